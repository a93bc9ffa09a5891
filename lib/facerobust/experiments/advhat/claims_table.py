"""Chapter 8 (AdvHat): the claims A1-A5 (spec, Paper 2, 2.12) judged with the shared claims module.

Each function returns a :class:`~facerobust.experiments.claims.Judgement` whose rule text is the
rule applied (thresholds are the module constants below); :func:`rows` turns them into the
chapter's table. The paper's own numbers were never recovered, so the "paper" column quotes its
qualitative claim with its source (:data:`PAPER`). Per-face drops are means over held-out views;
a claim about faces is judged over faces (at least :data:`MIN_FACES`), never over the views of one
face.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ...attacks.advhat.eot import HALF_WIDTHS
from ...attacks.advhat.projection import Placement
from ..claims import Claim, Judgement, Paper, all_of, at_least, claim, greater, inconclusive, trend

DROP_MIN = 0.2  # A1: every face's mean held-out cosine drop below grey
RATIO_MIN = 0.5  # A2: drop outside the EOT range >= half the drop inside
DROP_MARGIN = 0.01  # A3, A4: a drop (or a difference of drops) must exceed 0.01
MIN_FACES = 3  # claims about faces need at least three faces
ABSTRACT = "Komkov & Petiushko, abstract (seed komkov2019, l. 5)"
PAPER = {
    "A1": Paper("the sticker 'confuses' ArcFace R100 (numbers not recovered)", ABSTRACT),
    "A2": Paper("works 'in different shooting conditions' (numbers not recovered)", ABSTRACT),
    "A3": Paper("implied by the off-plane model (no ablation recovered)",
                "spec papers.md, A3, l. 642"),
    "A4": Paper("'transferable to other Face ID models' (numbers not recovered)", ABSTRACT),
    "A5": Paper("TV loss for printable, smooth stickers (w_tv = 1e-4)",
                "official code; spec papers.md, l. 546"),
}
STATEMENTS = {
    "A1": "An adversarial hat sticker lowers the cosine to the anchor on every face",
    "A2": "The drop survives placements outside the EOT ranges",
    "A3": "The off-plane model matters: the off-plane sticker beats a flat one",
    "A4": "A sticker made against dlib also lowers faceres's cosine (transfer)",
    "A5": "The TV weight makes stickers smoother (TV and high-frequency share fall)",
}


def a1(summary: pd.DataFrame) -> Judgement:
    """The smallest per-face mean drop (grey - adversarial cosine) is at least DROP_MIN."""
    drop, rej = summary["drop"], summary["rejected (d >= 0.6)"]
    j = at_least(float(drop.min()), DROP_MIN, what=f"smallest per-face drop ({len(drop)} faces)")
    ours = (f"drop {drop.min():.3f}-{drop.max():.3f} (mean {drop.mean():.3f}) on {len(drop)} faces; "
            f"dlib rejects {rej.mean():.0%} of adversarial views")
    return Judgement(j.verdict, ours, j.rule)


def _inside(name: str, value: float) -> bool:
    centre = float(getattr(Placement.default(1), name)[0])
    return abs(value - centre) <= HALF_WIDTHS[name] + 1e-9


def a2_table(rob: pd.DataFrame) -> pd.DataFrame:
    """Per swept parameter: mean drop inside the EOT range, outside it (<= 5 half-widths), ratio."""
    m = rob.pivot_table(index=["parameter", "value"], columns="sticker", values="cosine", aggfunc="mean")
    m = (m["grey"] - m["adversarial"]).rename("drop").reset_index()
    rows = []
    for name, g in m.groupby("parameter", sort=False):
        centre = float(getattr(Placement.default(1), str(name))[0])
        dist = (g["value"] - centre).abs() / HALF_WIDTHS[str(name)]
        inside = g["value"].map(lambda v, n=str(name): _inside(n, v))
        outside = (~inside) & (dist <= 5)
        d = g["drop"]
        rows.append({"parameter": name, "drop inside": float(d[inside].mean()),
                     "drop outside": float(d[outside].mean()) if outside.any() else float("nan")})
    t = pd.DataFrame(rows).set_index("parameter")
    t["ratio"] = t["drop outside"] / t["drop inside"]
    return t


def a2(t: pd.DataFrame) -> Judgement:
    """Every swept parameter's outside/inside drop ratio (:func:`a2_table`) is at least RATIO_MIN."""
    j = at_least(float(t["ratio"].min()), RATIO_MIN, what="smallest outside/inside drop ratio")
    ours = "ratio " + ", ".join(f"{k} {v:.2f}" for k, v in t["ratio"].items())
    return Judgement(j.verdict, ours, j.rule)


def a3(offplane: Sequence[float], flat: Sequence[float]) -> Judgement:
    """Per-face drops of the off-plane and the flat sticker (same held-out off-plane views): paired
    bootstrap over faces, margin DROP_MARGIN; inconclusive with fewer than MIN_FACES faces."""
    if len(offplane) < MIN_FACES:
        pairs = zip(offplane, flat, strict=True)
        ours = "; ".join(f"{o:.3f} (off-plane) vs {f:.3f} (flat)" for o, f in pairs)
        return inconclusive(ours, f"off-plane drop - flat drop > {DROP_MARGIN:g} over faces",
                            f"{len(offplane)} face(s); {MIN_FACES} needed (views of one face are not a "
                            "sample of faces)")
    return greater(offplane, flat, paired=True, margin=DROP_MARGIN, names=("off-plane drop", "flat drop"))


def a4(faceres_drops: Sequence[float]) -> Judgement:
    """faceres's per-face drop (grey - adversarial cosine to its own anchor) above DROP_MARGIN, on a
    bootstrap interval over faces. Not compared with dlib's drop: the two cosine scales differ."""
    if len(faceres_drops) < MIN_FACES:
        return inconclusive(", ".join(f"{d:.3f}" for d in faceres_drops), f"faceres drop > {DROP_MARGIN:g}",
                            f"{len(faceres_drops)} face(s); {MIN_FACES} needed")
    zero = [0.0] * len(faceres_drops)
    return greater(faceres_drops, zero, paired=True, margin=DROP_MARGIN, names=("faceres drop", "0"))


def a5(stats: pd.DataFrame) -> Judgement:
    """TV(S) and the high-frequency share fall with the TV weight: fitted slopes against the weights'
    rank (needs >= 3 weights; one sticker per weight, so the slopes' errors come from the residuals)."""
    s = stats.sort_values("w_tv")
    ours_tail = "; drop " + ", ".join(f"{d:.3f}" for d in s["drop"]) + " for w_tv " + \
        ", ".join(f"{w:g}" for w in s["w_tv"])
    if len(s) < 3:
        return inconclusive("TV " + ", ".join(f"{v:.0f}" for v in s["TV(S)"]) + ours_tail,
                            "TV(S) falls with w_tv", f"{len(s)} TV weights; 3 needed for a slope")
    x = list(range(len(s)))
    j = all_of([trend(x, s["TV(S)"].tolist(), up=False, fmt=".0f", what="TV(S) vs rank of w_tv"),
                trend(x, s["high-frequency share"].tolist(), up=False, fmt=".3f",
                      what="high-frequency share vs rank of w_tv")], ["TV", "high frequencies"])
    return Judgement(j.verdict, j.ours + ours_tail, j.rule)


def rows(judgements: Mapping[str, Judgement], notes: Mapping[str, str] | None = None) -> list[Claim]:
    """The closing table's claims, in the order given."""
    notes = notes or {}
    return [claim(k, STATEMENTS[k], PAPER[k], j, notes.get(k, "")) for k, j in judgements.items()]
