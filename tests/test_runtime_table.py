"""The run-time table of the GPU page is read from the executed notebooks' metadata, never typed, and
says "not measured" (with the reason) for a chapter without a default-profile timing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import runtime_table as rt  # noqa: E402


def _book(tmp: Path, runs: dict[str, dict | None]) -> Path:
    (tmp / "notebooks").mkdir()
    (tmp / "book" / "chapters").mkdir(parents=True)
    for stem, meta in runs.items():
        (tmp / "notebooks" / f"{stem}.py").write_text(f"# %% [markdown]\n# # {stem[:2]}. Title of {stem}\n")
        if meta is not None:
            nb = {"cells": [], "metadata": {"facerobust": meta}, "nbformat": 4, "nbformat_minor": 5}
            (tmp / "book" / "chapters" / f"{stem}.ipynb").write_text(json.dumps(nb))
    return tmp


def test_table_reads_the_metadata_and_says_not_measured(tmp_path: Path) -> None:
    root = _book(tmp_path, {
        "00_setup": {"profile": "default", "wall_s": 42.4, "cpu_s": 71.0},
        "01_nets": {"profile": "default", "wall_s": 3725.0, "cpu_s": 7000.2},
        "02_attacks": {"profile": "ci", "wall_s": 10.0, "cpu_s": 12.0},
        "03_port": {"profile": "default"},
        "04_auth": None,
        "A_own": {"profile": "default", "wall_s": 65.0, "cpu_s": 80.0},
    })
    rows = rt.table(root).splitlines()
    assert rows[2] == "| 00. Title of 00_setup | 42 s | 1 min 11 s | |"
    assert rows[3] == "| 01. Title of 01_nets | 1 h 02 min | 1 h 57 min | |"
    assert "not measured | not measured | this build ran the ci profile" in rows[4]
    assert "not measured | not measured | no timing recorded" in rows[5]
    assert "not measured | not measured | not executed in this build" in rows[6]
    assert rows[7] == "| A_. Title of A_own | 1 min 05 s | 1 min 20 s | |"
    assert rows[8] == "| **the 3 measured** | **1 h 04 min** | **1 h 59 min** | |"


def test_durations() -> None:
    assert [rt.duration(s) for s in (0.4, 59.6, 60, 3599, 3600, 7322)] == [
        "0 s", "1 min 00 s", "1 min 00 s", "59 min 59 s", "1 h 00 min", "2 h 02 min"]


def test_the_book_includes_the_generated_table() -> None:
    assert "/_build/generated/runtime_table.md" in (ROOT / "book" / "gpu.md").read_text()
    assert "tools/runtime_table.py" in (ROOT / "Makefile").read_text()
