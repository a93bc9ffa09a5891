"""What would decide a row that stays inconclusive (issue 28): how many times its sample the row's
95% interval needs to clear the rule's threshold.

The half-width of a Wilson, Newcombe or fitted-slope interval falls as one over the square root of
the sample size, so an interval of half-width ``h`` around an estimate ``g`` away from the threshold
clears it at about ``(h / g) ** 2`` times the sample, if the estimate stays where it is. That is an
estimate for a note, not a rule: the rules (:mod:`.rules`) are unchanged and decide every row.
The rules record each undecided interval's factor in :attr:`.records.Judgement.undecided`;
:func:`note` writes it into a row's note.
"""

from __future__ import annotations

import math

from ...metrics.intervals import Z95
from .records import INCONCLUSIVE, Judgement


def sample_factor(half: float, gap: float) -> float:
    """How many times its sample an interval of half-width ``half`` needs to clear a threshold
    ``gap`` away from its estimate (``inf`` when the estimate sits on the threshold)."""
    if half < 0 or gap < 0 or math.isnan(half) or math.isnan(gap):
        raise ValueError(f"need half >= 0 and gap >= 0, got half={half}, gap={gap}")
    return math.inf if gap < 1e-9 else (half / gap) ** 2


def interval_factor(lo: float, hi: float, estimate: float, threshold: float) -> float:
    """:func:`sample_factor` of the interval ``[lo, hi]`` around ``estimate`` against ``threshold``
    (for a roughly symmetric interval: a difference's, a slope's; a rate's is :func:`wilson_factor`)."""
    if not lo <= estimate <= hi:
        raise ValueError(f"need lo <= estimate <= hi, got {estimate} in [{lo}, {hi}]")
    return sample_factor((hi - lo) / 2, abs(estimate - threshold))


def _wilson_side(p: float, m: float) -> tuple[float, float]:
    """The Wilson 95% interval of a rate ``p`` seen on ``m`` (real) samples."""
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * m)) / (1 + z2 / m)
    half = Z95 * math.sqrt(p * (1 - p) / m + z2 / (4 * m * m)) / (1 + z2 / m)
    return centre - half, centre + half


def wilson_factor(k: int, n: int, threshold: float) -> float:
    """How many times its ``n`` samples the Wilson interval of the rate ``k/n`` needs to lie wholly
    on its side of ``threshold``, the rate staying where it is (exact for the Wilson formula, which
    near 0 and 1 narrows faster than one over the square root of the sample); ``inf`` when the rate
    sits on the threshold."""
    if not 0 <= k <= n or n == 0:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    p = k / n
    if abs(p - threshold) < 1e-9:
        return math.inf

    def clears(m: float) -> bool:
        lo, hi = _wilson_side(p, m)
        return lo > threshold if p > threshold else hi < threshold

    lo_m, hi_m = float(n) / 2, float(n)
    while not clears(hi_m):
        lo_m, hi_m = hi_m, hi_m * 2
    for _ in range(60):  # bisection to well below one sample
        mid = (lo_m + hi_m) / 2
        lo_m, hi_m = (lo_m, mid) if clears(mid) else (mid, hi_m)
    return hi_m / n


def in_words(factor: float) -> str:
    """A sample factor in words: ``"about 25x"``, or why no sample size decides it."""
    if math.isinf(factor):
        return "no sample size (the estimate sits on the threshold)"
    return f"about {factor:.0f}x"


def note(j: Judgement, n: int, unit: str, cost: str, available: int | None = None) -> str:
    """The note of a row that more data would decide: for each undecided interval of ``j``, how
    many times the ``n`` ``unit`` (and how many that is) it needs, and what grows with them
    (``cost``, e.g. "the attacks' time grows in proportion"); with ``available``, how many the data
    here hold when some part needs more. Empty when ``j`` is decided or is inconclusive for another
    reason than its sample."""
    if j.verdict != INCONCLUSIVE or not j.undecided:
        return ""
    if n <= 0:
        raise ValueError(f"need a positive sample size, got {n}")

    def one(label: str, f: float) -> str:
        what = in_words(f) if math.isinf(f) else f"{in_words(max(f, 1.0))} (~{math.ceil(max(f, 1.0) * n):,})"
        return f"{label}: {what}" if label else what

    parts = "; ".join(one(label, f) for label, f in j.undecided)
    text = f"more data would decide it, if the estimates stay (times the {n} {unit}): {parts}; {cost}"
    if available is not None and any(math.isinf(f) or f * n > available for _, f in j.undecided):
        text += f"; the data here hold {available:,}"
    return text
