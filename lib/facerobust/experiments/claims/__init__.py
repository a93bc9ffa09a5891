"""One claims module for every chapter's "Paper vs this book" table.

A :class:`Claim` records what a document says (:class:`Paper`: the value as printed and the
document and line it comes from), what this book measured, the rule that decides between them and
the verdict. Rules are built by the constructors below; each returns a :class:`Judgement` whose
``rule`` text is the rule applied, with every threshold and margin it uses (a tolerance is a visible
argument, never a hidden constant).

One vocabulary: :data:`HOLDS`, :data:`FAILS` ("does not hold"), :data:`INCONCLUSIVE` (our run cannot
tell: the difference is within noise, or the experiment did not run at a comparable setting) and
:data:`UNTESTABLE` ("not testable here": the data or model cannot be had, with the reason).

Comparisons are made against noise: a rate carries its Wilson 95% interval, a difference of means a
bootstrap interval, a trend the interval of its fitted slope. A claim holds only when the whole
interval lies on the claimed side, does not hold when the whole interval lies on the other side, and
is inconclusive otherwise.

Example::

    from facerobust.experiments import claims
    paper = claims.Paper("0.988", "dissertation Table 5.2")
    rows = [claims.claim("D1", "Defense-GAN recovers MNIST white-box FGSM accuracy", paper,
                         claims.rate_at_least(92, 100, 0.90))]
    claims.table(rows)
"""

from __future__ import annotations

from ...metrics.intervals import Z95, bootstrap_diff, newcombe, slope_interval, wilson
from .records import (
    COLUMNS,
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    UNTESTABLE,
    VERDICTS,
    Claim,
    Judgement,
    Paper,
    claim,
    counts,
    seed_table,
    table,
)
from .rules import (
    across_seeds,
    all_of,
    at_least,
    at_most,
    equals,
    greater,
    inconclusive,
    not_run,
    qualitative,
    rate_at_least,
    rate_at_most,
    rate_between,
    rate_greater,
    rate_trend,
    seeded,
    similar,
    trend,
    untestable,
    within_factor,
)

__all__ = ["COLUMNS", "FAILS", "HOLDS", "INCONCLUSIVE", "UNTESTABLE", "VERDICTS", "Z95", "Claim", "Judgement",
           "Paper", "across_seeds", "all_of", "at_least", "at_most", "bootstrap_diff", "claim", "counts",
           "equals", "greater", "inconclusive", "newcombe", "not_run", "qualitative", "rate_at_least",
           "rate_at_most", "rate_between", "rate_greater", "rate_trend", "seed_table", "seeded", "similar",
           "slope_interval", "table", "trend", "untestable", "wilson", "within_factor"]
