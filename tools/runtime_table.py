"""Write the book's run-time table from the executed chapters' own metadata (never typed by hand).

The runner records each chapter's wall time and CPU time (user + system) in the executed notebook's
``facerobust`` metadata block (``wall_s``, ``cpu_s``, ``profile``). This script
reads ``book/chapters/*.ipynb`` and writes a markdown table that ``book/gpu.md`` includes. A chapter
whose notebook is missing, lacks the timings, or was executed on another profile than ``default``
reads "not measured" (with the reason), so the table never shows a number it does not have.

    python tools/runtime_table.py   # run by `make html`; writes _build/generated/runtime_table.md
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "generated" / "runtime_table.md"
PROFILE = "default"


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    m = round(seconds / 60)
    return f"{m // 60} h {m % 60:02d} min"


def title(source: Path) -> str:
    """The chapter's heading (``# 7. Defense-GAN: ...``) from its jupytext source."""
    m = re.search(r"^# # (.+)$", source.read_text(encoding="utf-8"), re.MULTILINE)
    return m.group(1).strip() if m else source.stem


def timing(notebook: Path) -> tuple[float, float] | str:
    """(wall_s, cpu_s) of a default-profile run, or the reason there is none."""
    if not notebook.exists():
        return "not measured (not executed in this build)"
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {}).get("facerobust", {})
    if meta.get("profile") != PROFILE:
        return f"not measured (this build ran the {meta.get('profile', 'unknown')} profile)"
    wall, cpu = meta.get("wall_s"), meta.get("cpu_s")
    if not isinstance(wall, (int, float)) or not isinstance(cpu, (int, float)):
        return "not measured (no timing recorded)"
    return float(wall), float(cpu)


def table(root: Path = ROOT) -> str:
    nb_dir = root / "notebooks"
    sources = sorted([*nb_dir.glob("[0-9][0-9]_*.py"), *nb_dir.glob("[A-Z]_*.py")])
    rows = ["| chapter | wall time | CPU time | note |", "|---|---|---|---|"]
    total_wall = total_cpu = 0.0
    measured = 0
    for src in sources:
        t = timing(root / "book" / "chapters" / f"{src.stem}.ipynb")
        if isinstance(t, str):
            why = t.removeprefix("not measured (").removesuffix(")")
            rows.append(f"| {title(src)} | not measured | not measured | {why} |")
            continue
        measured += 1
        total_wall, total_cpu = total_wall + t[0], total_cpu + t[1]
        rows.append(f"| {title(src)} | {duration(t[0])} | {duration(t[1])} | |")
    if measured:
        total = f"**{duration(total_wall)}** | **{duration(total_cpu)}**"
        rows.append(f"| **the {measured} measured** | {total} | |")
    return "\n".join(rows) + "\n"


def write(out: Path = OUT, root: Path = ROOT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    text = table(root)
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return out


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
