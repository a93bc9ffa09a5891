"""The training-budget study of the CRISPR chapter (issue 15), as the chapter reads it.

``tools/crispr_budget_study.py`` trains the styled-digit CRISPR at a few budgets and writes
:data:`RESULT`; the chapter shows it with :func:`table` and quotes :func:`headline`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...paths import repo_root

RESULT = "benchmarks/results/crispr_budget.json"


def read() -> list[dict[str, Any]]:
    """The committed result file: one record per run (see the tool's docstring)."""
    rows = json.loads((repo_root() / RESULT).read_text())
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{RESULT}: expected a non-empty list of runs")
    return rows


def _row(r: dict[str, Any]) -> dict[str, Any]:
    sw, bo = {s["attribute"]: s for s in r["swaps"]}, {b["attribute"]: b for b in r["borrows"]}
    return {"run": r["run"], "training (s)": round(r["train_seconds"]),
            "round trip keeps the digit": r["round_trip_digit_kept"]["rate"],
            "round trip draws 'double'": r["round_trip_style_kept"]["underline"]["double"]["rate"],
            "underline swap keeps the digit": sw["underline"]["digit_kept"]["rate"],
            "frame swap keeps the digit": sw["frame"]["digit_kept"]["rate"],
            "frame swap keeps the underline style": sw["frame"]["other_kept"]["rate"],
            "underline borrow copies the style": bo["underline"]["style_matched"]["rate"]}


def table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One line per run: round trip, swaps and the underline borrow (rates rounded to 3 places)."""
    return pd.DataFrame([_row(r) for r in rows]).set_index("run").round(3)


@dataclass(frozen=True)
class Headline:
    """Per run, in percent: the double underline redrawn by the round trip, and the lower of the
    two attributes' swap-keeps-the-digit and borrow-copies-the-style rates."""

    double: float
    digit: float
    borrow: float


def headline(r: dict[str, Any]) -> Headline:
    return Headline(100 * r["round_trip_style_kept"]["underline"]["double"]["rate"],
                    100 * min(s["digit_kept"]["rate"] for s in r["swaps"]),
                    100 * min(b["style_matched"]["rate"] for b in r["borrows"]))
