"""The CRISPR chapter's claims table: the dissertation's statements (:mod:`.printed`) judged on this
run with the shared claims module. The thresholds that turn a qualitative statement into a test
are ours and are arguments of :func:`styled_claims` (shown in the table's rule column).
Used by ``notebooks/05_crispr.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..claims import (
    Claim,
    Judgement,
    all_of,
    claim,
    greater,
    not_run,
    rate_at_least,
    rate_at_most,
    rate_greater,
    seeded,
    table,
    untestable,
)
from .celeba import CelebARun
from .evaluate import BorrowResult, DiversityResult, SwapResult
from .fashion import FashionSwap
from .printed import PAPER
from .probes import Probe


@dataclass(frozen=True)
class Thresholds:
    """The numbers that make the qualitative statements testable (all shown in the table)."""

    swap: float = 0.8
    digit: float = 0.9
    diverse_target: float = 0.8
    borrow: float = 0.8
    probe_margin: float = 0.1
    atomic: float = 0.2


def _by_attr(judgements: Sequence[Judgement], names: Sequence[str]) -> Judgement:
    return all_of(list(judgements), list(names))


def _probe_rows(probes: Sequence[Probe], th: Thresholds) -> tuple[Judgement, Judgement]:
    inv = [p for p in probes if p.source == "z" and p.target != "digit"]
    cross = [p for p in probes if p.source.startswith("a_") and p.source[2:] != p.target]
    j_inv = _by_attr([rate_at_most(p.correct, p.n, p.chance + th.probe_margin, what="probe accuracy")
                      for p in inv], [f"y_{p.target} from z" for p in inv])
    j_cross = _by_attr([rate_at_most(p.correct, p.n, p.chance + th.probe_margin, what="probe accuracy")
                        for p in cross], [f"y_{p.target} from {p.source}" for p in cross])
    return j_inv, j_cross


def styled_claims(swaps: Sequence[SwapResult], diversity: Sequence[DiversityResult],
                  borrows: Sequence[BorrowResult], probes: Sequence[Probe],
                  ablation_probes: Sequence[Probe] | None, seeds: Sequence[int],
                  th: Thresholds = Thresholds()) -> tuple[list[Claim], pd.DataFrame]:
    """The claims of spec Sec. 3.7 judged on one run (synthetic styled digits)."""
    names = [s.attribute for s in swaps]
    rows = [
        claim("S1", "Swap reaches the target class (independent oracle), per attribute", PAPER["swap"],
              _by_attr([rate_at_least(s.target_reached, s.n, th.swap) for s in swaps], names)),
        claim("S2", "Swap keeps the digit (independent digit oracle)", PAPER["swap"],
              _by_attr([rate_at_least(s.digit_kept, s.n, th.digit) for s in swaps], names)),
        claim("S3", "Swap keeps the other attribute's style", PAPER["swap"],
              _by_attr([rate_at_least(s.other_kept, s.n, th.digit) for s in swaps], names)),
        claim("D1", "Diverse Swaps differ, and more inside the attribute region than outside",
              PAPER["diverse"],
              _by_attr([greater(d.inside.tolist(), d.outside.tolist(), paired=True,
                                names=("inside", "outside")) for d in diversity],
                       [d.attribute for d in diversity])),
        claim("D2", "Every Diverse Swap sample is judged as the target class", PAPER["diverse_target"],
              _by_attr([rate_at_least(d.target_reached, d.n, th.diverse_target) for d in diversity],
                       [d.attribute for d in diversity])),
        claim("D3", "Samples are largely atomic (halves of the region agree in style)", PAPER["atomic"],
              _by_attr([rate_at_most(d.non_atomic, d.n, th.atomic, what="non-atomic share")
                        for d in diversity], [d.attribute for d in diversity]),
              note="the failure mode itself is shown in the Diverse Swap figure (red frames)"),
        claim("B1", "Borrow copies the exemplar's style", PAPER["borrow"],
              _by_attr([rate_at_least(b.style_matched, b.n, th.borrow) for b in borrows],
                       [b.attribute for b in borrows])),
        claim("B2", "Borrow keeps the query's digit", PAPER["borrow"],
              _by_attr([rate_at_least(b.digit_kept, b.n, th.digit) for b in borrows],
                       [b.attribute for b in borrows])),
    ]
    j_inv, j_cross = _probe_rows(probes, th)
    rows += [claim("I1", "z tells no attribute (after-the-fact MLP probe near chance)", PAPER["inv"],
                   j_inv),
             claim("I2", "a_i tells nothing of attribute j != i (probe near chance)", PAPER["attr"],
                   j_cross)]
    if ablation_probes is None:
        rows.append(claim("I3", "L_inv and L_attr are what make the codes invariant (ablation)",
                          PAPER["inv"], not_run("probe accuracy lower with L_inv/L_attr than without",
                                                "ablation not trained in this profile")))
    else:
        k1, n1 = _pooled(ablation_probes)
        k2, n2 = _pooled(probes)
        j = rate_greater(k1, n1, k2, n2, names=("without", "with"))
        rows.append(claim("I3", "L_inv and L_attr lower the invariance probes' accuracy (ablation)",
                          PAPER["inv"], seeded([j], list(seeds)[:1])))
    return rows, table(rows)


def fashion_rows(swaps: Sequence[FashionSwap], th: Thresholds = Thresholds()) -> list[Claim]:
    """Swap on Fashion-MNIST garments, judged by chapter 1's networks and a LeNet-5 class judge."""
    names = [s.swap.attribute for s in swaps]

    def named(s: FashionSwap) -> Judgement:
        if not s.n_named:
            return untestable("no swapped label vector names a Fashion-MNIST class")
        return rate_at_least(s.consistent, s.n_named, th.swap, what="class consistent")

    return [
        claim("F1", "Swap reaches the target class on Fashion-MNIST (chapter 1's attribute networks as "
              "oracles), per attribute", PAPER["swap"],
              _by_attr([rate_at_least(s.swap.target_reached, s.swap.n, th.swap) for s in swaps], names)),
        claim("F2", "Swap keeps the other attribute (chapter 1's network) and an upper-body garment "
              "(class judge)", PAPER["swap"],
              _by_attr([all_of([rate_at_least(s.swap.others_kept, s.swap.n, th.digit),
                                rate_at_least(s.in_set, s.swap.n, th.digit)], ["other", "garment"])
                        for s in swaps], names)),
        claim("F3", "The swapped garment is read as a class that has the swapped labels (where one "
              "exists)", PAPER["swap"], _by_attr([named(s) for s in swaps], names),
              note="the class must change: chapter 1's attributes are functions of the class"),
    ]


def celeba_rows(run: CelebARun | None, reason: str, th: Thresholds = Thresholds()) -> list[Claim]:
    """Swap on CelebA (bangs, eyeglasses, smiling at 64x64), or 'not testable here' with ``reason``."""
    st1 = "Swap reaches the target class on CelebA 64x64 (independent classifier), per attribute"
    st2 = "Swap keeps the other two attributes on CelebA"
    if run is None:
        return [claim("C1", st1, PAPER["celeba"], untestable(reason)),
                claim("C2", st2, PAPER["celeba"], untestable(reason))]
    names = [s.attribute for s in run.swaps]
    return [claim("C1", st1, PAPER["celeba"],
                  _by_attr([rate_at_least(s.target_reached, s.n, th.swap) for s in run.swaps], names)),
            claim("C2", st2, PAPER["celeba"],
                  _by_attr([rate_at_least(s.others_kept, s.n, th.digit) for s in run.swaps], names))]


def _pooled(probes: Sequence[Probe]) -> tuple[int, int]:
    """Correct answers and total over the invariance probes (z -> y and a_i -> y_j, j != i)."""
    use = [p for p in probes if (p.source == "z" and p.target != "digit")
           or (p.source.startswith("a_") and p.source[2:] != p.target)]
    return int(np.sum([p.correct for p in use])), int(np.sum([p.n for p in use]))
