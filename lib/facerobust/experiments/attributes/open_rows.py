"""What would decide the rows of chapter 2 that stay inconclusive (issue 28): for R6 (softmax more
vulnerable) and R8 (about half of the natural adversarials persist), each undecided part of each
seed and how many times that seed's attacked pairs its 95% interval would need to clear the
threshold. The factors are the rules' own (:attr:`~..claims.Judgement.undecided`, recorded by
:mod:`..claims.rules` as each seed's row is judged); this only writes the note.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..claims import INCONCLUSIVE, Judgement
from ..claims.deciding import in_words

OPEN = ("R6", "R8")


def open_parts(judged: Mapping[str, Judgement]) -> dict[str, list[str]]:
    """For R6 and R8, each undecided part of one seed's judgements (``judged``: row id -> the
    seed's judgement): its label and how many times the seed's attacked pairs (``n_attack``
    images) its interval needs to clear the threshold."""
    return {cid: [f"{label}: {in_words(f)}" if label else in_words(f) for label, f in judged[cid].undecided]
            if judged[cid].verdict == INCONCLUSIVE else [] for cid in OPEN}


def open_note(cid: str, verdict: str, parts: Mapping[int, Mapping[str, list[str]]]) -> str:
    """The note of an inconclusive R6 or R8: which seeds' parts are undecided and what would decide them."""
    if verdict != INCONCLUSIVE or cid not in OPEN:
        return ""
    open_ = [f"seed {s} ({', '.join(p[cid])})" for s, p in parts.items() if p[cid]]
    if not open_:
        return ""
    return ("undecided on " + ", ".join(open_) + ": the factor is how many times its attacked pairs "
            "(n_attack images; the attack cost grows in proportion) a seed's interval needs to clear the "
            "threshold; the seeds must also agree")
