"""What the dissertation's Chapter 3 says (it prints no numbers), and the chapter's claims table.

Every statement is quoted from ``seeds/samangouei-dissertation-attributes-semantic-gap.txt``
with its line numbers; the thresholds that turn a qualitative statement into a test are ours and
are arguments of :func:`claims_table` (shown in the table's rule column).
Used by ``notebooks/05_crispr.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import claims as C
from .celeba import CelebARun
from .evaluate import BorrowResult, DiversityResult, Probe, SwapResult
from .fashion import FashionSwap

DOC = "Samangouei dissertation"
PAPER = {
    "swap": C.Paper("a swap on attribute i is S(x, i) -> x^ with C_oracle(x, i) != C_oracle(x^, i)",
                    f"{DOC} Sec. 3.3, lines 2767-2769"),
    "diverse": C.Paper("subsequent invocations of S produce x^ and x^' such that x^ != x^'",
                       f"{DOC} Sec. 3.3, lines 2769-2771"),
    "diverse_target": C.Paper("a Diverse Swap adheres to the same constraint [as a Swap]",
                              f"{DOC} Sec. 3.3, line 2769"),
    "atomic": C.Paper("sampling largely produces coherent attributes; one failure (one lens light, "
                      "the other dark) suggests the space is not atomic", f"{DOC} Sec. 3.6, lines 3226-3232"),
    "borrow": C.Paper("attribute i is borrowed from exemplar image x_exemplar to image x",
                      f"{DOC} Sec. 3.3, lines 2791-2803; Fig. 3.5"),
    "inv": C.Paper("C_inv is unable to identify the attributes from any input images",
                   f"{DOC} Sec. 3.4.2, lines 2885-2890"),
    "attr": C.Paper("C_attr(j)(a_i) = 0.5 for j != i (maximally confused about the other attributes)",
                    f"{DOC} Sec. 3.4.3, lines 2940-2955"),
    "celeba": C.Paper("on CelebA, plausible Diverse Swaps of bangs and eyeglasses and Borrows of the smile "
                      "(pictures only; a classifier trained on 2k validation images)",
                      f"{DOC} Sec. 3.5, lines 3186-3249; Figs. 3.3-3.5"),
}


@dataclass(frozen=True)
class Thresholds:
    """The numbers that make the qualitative statements testable (all shown in the table)."""

    swap: float = 0.8
    digit: float = 0.9
    diverse_target: float = 0.8
    borrow: float = 0.8
    probe_margin: float = 0.1
    atomic: float = 0.2


def _by_attr(judgements: Sequence[C.Judgement], names: Sequence[str]) -> C.Judgement:
    return C.all_of(list(judgements), list(names))


def _probe_rows(probes: Sequence[Probe], th: Thresholds) -> tuple[C.Judgement, C.Judgement]:
    inv = [p for p in probes if p.source == "z" and p.target != "digit"]
    cross = [p for p in probes if p.source.startswith("a_") and p.source[2:] != p.target]
    j_inv = _by_attr([C.rate_at_most(p.correct, p.n, p.chance + th.probe_margin, what="probe accuracy")
                      for p in inv], [f"y_{p.target} from z" for p in inv])
    j_cross = _by_attr([C.rate_at_most(p.correct, p.n, p.chance + th.probe_margin, what="probe accuracy")
                        for p in cross], [f"y_{p.target} from {p.source}" for p in cross])
    return j_inv, j_cross


def claims_table(swaps: Sequence[SwapResult], diversity: Sequence[DiversityResult],
                 borrows: Sequence[BorrowResult], probes: Sequence[Probe],
                 ablation_probes: Sequence[Probe] | None, seeds: Sequence[int],
                 th: Thresholds = Thresholds()) -> tuple[list[C.Claim], pd.DataFrame]:
    """The claims of spec Sec. 3.7 judged on one run (synthetic styled digits)."""
    names = [s.attribute for s in swaps]
    rows = [
        C.claim("S1", "Swap reaches the target class (independent oracle), per attribute", PAPER["swap"],
                _by_attr([C.rate_at_least(s.target_reached, s.n, th.swap) for s in swaps], names)),
        C.claim("S2", "Swap keeps the digit (independent digit oracle)", PAPER["swap"],
                _by_attr([C.rate_at_least(s.digit_kept, s.n, th.digit) for s in swaps], names)),
        C.claim("S3", "Swap keeps the other attribute's style", PAPER["swap"],
                _by_attr([C.rate_at_least(s.other_kept, s.n, th.digit) for s in swaps], names)),
        C.claim("D1", "Diverse Swaps differ, and more inside the attribute region than outside",
                PAPER["diverse"],
                _by_attr([C.greater(d.inside.tolist(), d.outside.tolist(), paired=True,
                                    names=("inside", "outside")) for d in diversity],
                         [d.attribute for d in diversity])),
        C.claim("D2", "Every Diverse Swap sample is judged as the target class", PAPER["diverse_target"],
                _by_attr([C.rate_at_least(d.target_reached, d.n, th.diverse_target) for d in diversity],
                         [d.attribute for d in diversity])),
        C.claim("D3", "Samples are largely atomic (halves of the region agree in style)", PAPER["atomic"],
                _by_attr([C.rate_at_most(d.non_atomic, d.n, th.atomic, what="non-atomic share")
                          for d in diversity], [d.attribute for d in diversity]),
                note="the failure mode itself is shown in the Diverse Swap figure (red frames)"),
        C.claim("B1", "Borrow copies the exemplar's style", PAPER["borrow"],
                _by_attr([C.rate_at_least(b.style_matched, b.n, th.borrow) for b in borrows],
                         [b.attribute for b in borrows])),
        C.claim("B2", "Borrow keeps the query's digit", PAPER["borrow"],
                _by_attr([C.rate_at_least(b.digit_kept, b.n, th.digit) for b in borrows],
                         [b.attribute for b in borrows])),
    ]
    j_inv, j_cross = _probe_rows(probes, th)
    rows += [C.claim("I1", "z tells no attribute (after-the-fact MLP probe near chance)", PAPER["inv"],
                     j_inv),
             C.claim("I2", "a_i tells nothing of attribute j != i (probe near chance)", PAPER["attr"],
                     j_cross)]
    if ablation_probes is None:
        rows.append(C.claim("I3", "L_inv and L_attr are what make the codes invariant (ablation)",
                            PAPER["inv"], C.not_run("probe accuracy lower with L_inv/L_attr than without",
                                                    "ablation not trained in this profile")))
    else:
        k1, n1 = _pooled(ablation_probes)
        k2, n2 = _pooled(probes)
        j = C.rate_greater(k1, n1, k2, n2, names=("without", "with"))
        rows.append(C.claim("I3", "L_inv and L_attr lower the invariance probes' accuracy (ablation)",
                            PAPER["inv"], C.seeded([j], list(seeds)[:1])))
    return rows, C.table(rows)


def fashion_rows(swaps: Sequence[FashionSwap], th: Thresholds = Thresholds()) -> list[C.Claim]:
    """Swap on Fashion-MNIST garments, judged by chapter 1's networks and a LeNet-5 class judge."""
    names = [s.swap.attribute for s in swaps]

    def named(s: FashionSwap) -> C.Judgement:
        if not s.n_named:
            return C.untestable("no swapped label vector names a Fashion-MNIST class")
        return C.rate_at_least(s.consistent, s.n_named, th.swap, what="class consistent")

    return [
        C.claim("F1", "Swap reaches the target class on Fashion-MNIST (chapter 1's attribute networks as "
                "oracles), per attribute", PAPER["swap"],
                _by_attr([C.rate_at_least(s.swap.target_reached, s.swap.n, th.swap) for s in swaps], names)),
        C.claim("F2", "Swap keeps the other attribute (chapter 1's network) and an upper-body garment "
                "(class judge)", PAPER["swap"],
                _by_attr([C.all_of([C.rate_at_least(s.swap.others_kept, s.swap.n, th.digit),
                                    C.rate_at_least(s.in_set, s.swap.n, th.digit)], ["other", "garment"])
                          for s in swaps], names)),
        C.claim("F3", "The swapped garment is read as a class that has the swapped labels (where one "
                "exists)", PAPER["swap"], _by_attr([named(s) for s in swaps], names),
                note="the class must change: chapter 1's attributes are functions of the class"),
    ]


def celeba_rows(run: CelebARun | None, reason: str, th: Thresholds = Thresholds()) -> list[C.Claim]:
    """Swap on CelebA (bangs, eyeglasses, smiling at 64x64), or 'not testable here' with ``reason``."""
    st1 = "Swap reaches the target class on CelebA 64x64 (independent classifier), per attribute"
    st2 = "Swap keeps the other two attributes on CelebA"
    if run is None:
        return [C.claim("C1", st1, PAPER["celeba"], C.untestable(reason)),
                C.claim("C2", st2, PAPER["celeba"], C.untestable(reason))]
    names = [s.attribute for s in run.swaps]
    return [C.claim("C1", st1, PAPER["celeba"],
                    _by_attr([C.rate_at_least(s.target_reached, s.n, th.swap) for s in run.swaps], names)),
            C.claim("C2", st2, PAPER["celeba"],
                    _by_attr([C.rate_at_least(s.others_kept, s.n, th.digit) for s in run.swaps], names))]


def _pooled(probes: Sequence[Probe]) -> tuple[int, int]:
    """Correct answers and total over the invariance probes (z -> y and a_i -> y_j, j != i)."""
    use = [p for p in probes if (p.source == "z" and p.target != "digit")
           or (p.source.startswith("a_") and p.source[2:] != p.target)]
    return int(np.sum([p.correct for p in use])), int(np.sum([p.n for p in use]))
