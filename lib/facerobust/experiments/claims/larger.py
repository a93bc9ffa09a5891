"""A chapter's claims at a larger setting than its profile affords, run once and kept (issue 28).

Where a row stays inconclusive because of a choice of ours (a sample size, a face count, L and R)
and lifting that choice in ``default`` does not fit the book's budget, ``tools/larger_setting.py``
runs the chapter once with the larger parameters and keeps every claim's value and verdict, with
the run's cost, machine and commit, in ``benchmarks/results/larger/<chapter>.json``.
:func:`beside` puts them next to this build's rows, so a reader sees where a verdict goes with more
compute. The rules are the same: nothing is loosened, only the setting grows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ...paths import repo_root
from .records import HOLDS, Claim


@dataclass(frozen=True)
class LargerRun:
    """One run of ``chapter`` on ``profile`` with ``overrides``: at ``commit`` on ``date``, on the
    ``cpu`` with ``threads`` torch threads, taking ``cpu_s`` CPU and ``wall_s`` wall seconds;
    ``rows``: claim id -> (this book's value, verdict) as the run's claims tables show them."""

    chapter: str
    profile: str
    overrides: dict[str, Any]
    commit: str
    date: str
    cpu: str
    threads: int
    cpu_s: float
    wall_s: float
    rows: dict[str, tuple[str, str]]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["rows"] = {k: {"this book": v, "verdict": w} for k, (v, w) in self.rows.items()}
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LargerRun:
        rows = {k: (str(r["this book"]), str(r["verdict"])) for k, r in d["rows"].items()}
        return cls(**{**d, "rows": rows})

    @property
    def setting(self) -> str:
        """The overrides as the runner takes them, e.g. ``n_attack=225, face_n_attack=27``."""
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items())


def path_of(chapter: str) -> Path:
    """Where ``chapter``'s larger run is kept."""
    return repo_root() / "benchmarks" / "results" / "larger" / f"{chapter}.json"


def read(chapter: str) -> LargerRun | None:
    """The kept larger run of ``chapter`` (None if none was run)."""
    p = path_of(chapter)
    return LargerRun.from_json(json.loads(p.read_text())) if p.exists() else None


def beside(rows: Sequence[Claim], run: LargerRun, *, all_rows: bool = False) -> pd.DataFrame:
    """This build's rows next to the larger run's: id, claim, verdict here, verdict and value at the
    larger setting. By default only the rows that do not hold here or whose verdict moves."""
    out = []
    for c in rows:
        value, verdict = run.rows.get(c.id, ("(not in the larger run)", ""))
        if all_rows or c.verdict != HOLDS or verdict != c.verdict:
            out.append({"id": c.id, "claim": c.statement, "this build": c.verdict,
                        f"at {run.setting}": verdict, "value there": value})
    return pd.DataFrame(out, columns=["id", "claim", "this build", f"at {run.setting}", "value there"])


__all__ = ["LargerRun", "beside", "path_of", "read"]
