"""What would decide the rows of chapter 2 that stay inconclusive (issue 28): for R6 (softmax more
vulnerable) and R8 (about half of the natural adversarials persist), each undecided part of each
seed, its estimate and how many times that seed's attacked pairs its 95% interval would need to clear
the threshold. The rules themselves are unchanged (:mod:`.claims_table`); this only writes the note.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...metrics.intervals import newcombe
from ..claims import INCONCLUSIVE, rate_between
from ..claims.deciding import in_words, times
from .results import METHODS, AttributeResults


def _count(res: AttributeResults, loss: str, stage: str, method: str) -> int:
    return int(res.run(loss, stage, method).adversarial().sum())


def open_parts(res: AttributeResults, band: tuple[float, float]) -> dict[str, list[str]]:
    """For R6 and R8, each undecided part of one seed: its estimate and how many times this seed's
    attacked pairs (``n_attack`` images) its interval needs to clear the threshold; ``band``: R8's."""
    out: dict[str, list[str]] = {"R6": [], "R8": []}
    n = res.n_pairs
    for m in METHODS:
        k1, k2 = _count(res, "softmax", "converged", m), _count(res, "euclidean", "converged", m)
        lo, hi = newcombe(k1, n, k2, n)
        if lo <= 0 < hi:
            d = k1 / n - k2 / n
            out["R6"].append(f"{m.upper()} {d:+.3f}: {times((hi - lo) / 2, abs(d))}")
    wrong_c = ~res.scores("euclidean", "converged").correct
    nat_2 = res.run("euclidean", "epoch2", "ffa").adversarial() & ~res.scores("euclidean", "epoch2").correct
    k, n2 = int((nat_2 & wrong_c).sum()), int(nat_2.sum())
    if n2 and (j := rate_between(k, n2, *band)).verdict == INCONCLUSIVE:  # the rule's own factor
        out["R8"].append(f"{k / n2:.3f}: {in_words(j.undecided[0][1])}")
    return out


def open_note(cid: str, verdict: str, parts: Mapping[int, Mapping[str, list[str]]]) -> str:
    """The note of an inconclusive R6 or R8: which seeds' parts are undecided and what would decide them."""
    if verdict != INCONCLUSIVE or cid not in ("R6", "R8"):
        return ""
    open_ = [f"seed {s} ({', '.join(p[cid])})" for s, p in parts.items() if p[cid]]
    if not open_:
        return ""
    return ("undecided on " + ", ".join(open_) + ": the factor is how many times its attacked pairs "
            "(n_attack images; the attack cost grows in proportion) a seed's interval needs to clear the "
            "threshold; the seeds must also agree")


