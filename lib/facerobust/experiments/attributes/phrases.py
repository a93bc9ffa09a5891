"""Phrases that chapters 01-03 glue into their prose, built so that the sentence reads right for
every value a run can give: one or many, none, a missing value (nan), one seed or several.

Each builder returns a fragment that fits the sentence the chapter writes around it; the unit tests
render every case (``tests/test_attribute_phrases.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``"no errors"``, ``"1 error"``, ``"5 errors"`` (``plural`` defaults to noun + 's')."""
    if n < 0:
        raise ValueError(f"a count must be >= 0, got {n}")
    many = plural or f"{noun}s"
    return f"no {many}" if n == 0 else f"1 {noun}" if n == 1 else f"{n} {many}"


def capped(k: int, total: int) -> str:
    """The networks whose best validation error came at the epoch cap, as the rest of a sentence
    that starts "Of the N networks trained,": none / one / several, each with what "converged"
    then means (a plateau, or the best snapshot within the budget)."""
    if not 0 <= k <= total:
        raise ValueError(f"need 0 <= k <= total, got {k} of {total}")
    if k == 0:
        return ("none had its lowest validation error at the epoch cap (max_epochs): every one stopped "
                "improving before the budget ran out, so \"converged\" is a plateau for all of them")
    if k == 1:
        return ("1 had its lowest validation error at the epoch cap (max_epochs), i.e. was still improving "
                "when training stopped; for it, \"converged\" is the best snapshot within the budget, "
                "not a plateau")
    return (f"{k} had their lowest validation error at the epoch cap (max_epochs), i.e. were still "
            "improving when training stopped; for those, \"converged\" is the best snapshot within the "
            "budget, not a plateau")


def spread(values: Sequence[float], fmt: str = ".2f", unit: str = "") -> str:
    """A number over training seeds: ``"5.10 %"`` for one seed, ``"between 4.90 % and 5.30 % across
    the 3 training seeds"`` for several (``"nan"`` values are left out; none left: ``"not measured"``)."""
    vals = [float(v) for v in values if not math.isnan(float(v))]
    if not vals:
        return "not measured"
    lo, hi = min(vals), max(vals)
    if len(vals) == 1:
        return f"{lo:{fmt}}{unit} (one training seed)"
    if format(lo, fmt) == format(hi, fmt):
        return f"{lo:{fmt}}{unit} on each of the {len(vals)} training seeds"
    return f"between {lo:{fmt}}{unit} and {hi:{fmt}}{unit} across the {len(vals)} training seeds"


def share(value: float, what: str) -> str:
    """``"42 % of <what>"``, or ``"an undefined share (no <what>)"`` for nan."""
    if math.isnan(value):
        return f"an undefined share (there are no {what})"
    return f"{value:.0f} % of {what}"


def top_pair(top: pd.DataFrame) -> str:
    """The largest off-diagonal entry of a portability matrix (:func:`.portability.top_offdiagonal`):
    ``"Smiling -> Young (31 %)"``, or ``"none (no source attribute has an adversarial that could
    port)"`` for an empty table."""
    if not len(top):
        return "none (no source attribute has an adversarial that could port)"
    row = top.iloc[0]
    return f"{row['source']} -> {row['tested']} ({float(row['flipped (%)']):.0f} %)"


_VERDICT_FORMS = {"holds": ("holds", "hold"), "does not hold": ("does not hold", "do not hold")}


def verdict_counts(counts: Mapping[str, int]) -> str:
    """``{"holds": 1, "inconclusive": 3}`` -> ``"1 holds, 3 inconclusive"`` (verbs agree with the
    count: ``"2 hold"``, ``"1 does not hold"``); zero counts are left out; ``"no rows"`` if empty."""
    parts = []
    for verdict, n in counts.items():
        if n:
            one, many = _VERDICT_FORMS.get(verdict, (verdict, verdict))
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts) if parts else "no rows"


__all__ = ["capped", "count", "share", "spread", "top_pair", "verdict_counts"]
