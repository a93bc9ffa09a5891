"""The CRISPR chapter's rows over training seeds (issue 28), as the chapter reads them.

``tools/crispr_seed_study.py`` trains the chapter's CRISPR and its ablation with three training
seeds, judges every synthetic-set row per seed and across seeds, and writes :data:`RESULT`. The
chapter shows it beside its claims table with :func:`table`, and quotes :func:`spread` and
:func:`verdict_phrase`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...paths import repo_root
from ..claims import FAILS, HOLDS, INCONCLUSIVE, UNTESTABLE, seed_table

RESULT = "benchmarks/results/crispr_seeds.json"


def read() -> dict[str, Any] | None:
    """The committed result (see the tool's docstring), or None where it has not been run."""
    path = repo_root() / RESULT
    if not path.exists():
        return None
    study = json.loads(path.read_text())
    if not isinstance(study, dict) or not study.get("per_seed") or not study.get("across_seeds"):
        raise ValueError(f"{RESULT}: expected per_seed and across_seeds records")
    return study


def table(study: dict[str, Any]) -> pd.DataFrame:
    """One row per claim: its verdict on each seed and the verdict decided across seeds."""
    return seed_table(study["per_seed"], study["across_seeds"])


@dataclass(frozen=True)
class Spread:
    """The lowest and highest value of one quantity over the seeds, in percent."""

    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def _quantity(r: dict[str, Any], what: str) -> float:
    if what == "swap digit kept":
        return min(a["digit_kept"]["rate"] for a in r["swap"].values())
    if what == "borrow digit kept":
        return min(a["digit_kept"]["rate"] for a in r["borrow"].values())
    if what == "borrow style copied":
        return min(a["style_matched"]["rate"] for a in r["borrow"].values())
    if what == "round trip digit kept":
        return float(r["round_trip_digit_kept"]["rate"])
    raise ValueError(f"unknown quantity {what!r}")


QUANTITIES = ("swap digit kept", "borrow digit kept", "borrow style copied", "round trip digit kept")


def spread(study: dict[str, Any], what: str) -> Spread:
    """Lowest and highest over the seeds of one of :data:`QUANTITIES` (the lower attribute of two)."""
    values = [100 * _quantity(r, what) for r in study["per_seed"]]
    return Spread(min(values), max(values))


def verdict_phrase(verdict: str, n_seeds: int) -> str:
    """A verb phrase that completes "Decided over the seeds, S2 ..." for every verdict."""
    phrases = {
        HOLDS: f"holds on every one of the {n_seeds} seeds",
        FAILS: f"does not hold on any of the {n_seeds} seeds",
        INCONCLUSIVE: f"is inconclusive: the {n_seeds} seeds disagree, or one of them is within noise",
        UNTESTABLE: "cannot be tested here",
    }
    if verdict not in phrases:
        raise ValueError(f"unknown verdict {verdict!r}")
    return phrases[verdict]


def _pct(s: Spread) -> str:
    return f"{s.low:.1f}%" if round(s.low, 1) == round(s.high, 1) else f"{s.low:.1f}% to {s.high:.1f}%"


def summary(study: dict[str, Any] | None, rows: tuple[str, ...] = ("S2", "B2", "I3")) -> str:
    """The chapter's sentence on the seed study: how far the headline numbers move across seeds and
    the verdicts decided over them, or, where the study has not been run, that the rows rest on one
    seed and what running it costs. A complete sentence for every case."""
    if study is None:
        return (
            "The seed study has not been run for this commit (`tools/crispr_seed_study.py`, about "
            "25 CPU-minutes), so every row of the claims table rests on one training seed."
        )
    seeds_run = [r["seed"] for r in study["per_seed"]]
    names = (
        ", ".join(map(str, seeds_run[:-1])) + f" and {seeds_run[-1]}"
        if len(seeds_run) > 1
        else str(seeds_run[0])
    )
    moved = (
        f"Over training seeds {names} (on {study.get('cpu', 'this CPU')}), swaps keep the digit in "
        f"{_pct(spread(study, 'swap digit kept'))} of the test images (the lower of the two attributes), "
        f"borrows keep it in {_pct(spread(study, 'borrow digit kept'))} and copy the exemplar's style in "
        f"{_pct(spread(study, 'borrow style copied'))}."
    )
    decided = [
        f"{cid} {verdict_phrase(study['across_seeds'][cid]['verdict'], len(seeds_run))}"
        for cid in rows
        if cid in study["across_seeds"]
    ]
    return moved + (" Decided over the seeds, " + "; ".join(decided) + "." if decided else "")
