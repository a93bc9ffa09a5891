"""Claims of the documents that the card can test again with adaptive attacks.

* **D-white-box** - the dissertation (Table 5.4): Defense-GAN-Rec keeps 0.988 accuracy on MNIST
  under white-box FGSM at eps = 0.3 (classifier A, L = 200, R = 10). Re-tested with the card's
  adaptive worst case (BPDA + EOT, the unrolled projection, and the rest) at L-inf 0.3, with the
  rule of chapter 7: the Wilson interval must lie above the paper's value minus 0.05; a failure
  with a generator trained below the official budget is inconclusive, as there.
* **D-athalye** - Athalye, Carlini & Wagner 2018 (Table 1): their attack leaves Defense-GAN 55%
  accuracy on MNIST at an L2 distance of 0.005 in their normalisation. Holds when the card's
  adaptive attack leaves at most 55% at the card's L2 budget (the whole interval at or below 0.55).
"""

from __future__ import annotations

import math

from .. import claims
from .results import TargetResult

WHITEBOX_PAPER = claims.Paper("0.988",
                              "Samangouei dissertation, Table 5.4 (MNIST, FGSM eps=0.3, model A), line 5355")
ATHALYE_PAPER = claims.Paper("0.55",
                             "Athalye, Carlini & Wagner 2018, Table 1 (Defense-GAN, MNIST, 0.005 (l2))")
MARGIN = 0.05
"""Chapter 7's margin: "reaches the paper's accuracy" means the interval lies above paper - MARGIN."""


def mse_to_l2(mse: float, pixels: int) -> float:
    """The L2 norm of a perturbation whose mean squared value per pixel is ``mse``: sqrt(mse * pixels)."""
    if mse < 0 or pixels < 1:
        raise ValueError(f"need mse >= 0 and pixels >= 1, got {mse}, {pixels}")
    return math.sqrt(mse * pixels)


def whitebox_claim(r: TargetResult, label: str, official_generator: bool,
                   generator_text: str) -> claims.Claim:
    """D-white-box on the Defense-GAN target's worst case at the L-inf 0.3 budget ``label``."""
    wc = r.by_budget.get(label)
    statement = "Defense-GAN-Rec is robust to white-box attacks (MNIST, L-inf 0.3), re-tested adaptively"
    if wc is None:
        return claims.claim("D-white-box", statement, WHITEBOX_PAPER,
                            claims.not_run("Wilson interval above 0.988 - 0.05", f"no {label} budget"))
    j = claims.rate_at_least(wc.k, wc.n, 0.988 - MARGIN, what="robust accuracy (adaptive worst case)")
    note = f"first {wc.n} test digits; margin {MARGIN}"
    if j.verdict == claims.FAILS and not official_generator:
        j = claims.inconclusive(j.ours, j.rule, f"at our generator budget: {generator_text}")
    return claims.claim("D-white-box", statement, WHITEBOX_PAPER, j, note)


def athalye_claim(r: TargetResult, label: str, l2_from_paper: float) -> claims.Claim:
    """D-athalye on the Defense-GAN target's worst case at the L2 budget ``label``; ``l2_from_paper``
    is the paper's 0.005 read as a mean squared error per pixel, shown in the note."""
    wc = r.by_budget.get(label)
    statement = "an adaptive attack leaves Defense-GAN at most 55% accuracy at a small L2 budget (MNIST)"
    if wc is None:
        return claims.claim("D-athalye", statement, ATHALYE_PAPER,
                            claims.not_run("Wilson interval at most 0.55", f"no {label} budget"))
    j = claims.rate_at_most(wc.k, wc.n, 0.55, what=f"robust accuracy at {label} (adaptive worst case)")
    note = (f"0.005 read as a mean squared error per pixel is an L2 norm of {l2_from_paper:.2f} on 28 x 28; "
            "that reading of their normalisation is ours")
    return claims.claim("D-athalye", statement, ATHALYE_PAPER, j, note)


__all__ = ["ATHALYE_PAPER", "MARGIN", "WHITEBOX_PAPER", "athalye_claim", "mse_to_l2", "whitebox_claim"]
