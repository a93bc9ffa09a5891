"""Chapter 5 (AdvHat): the claims A1-A5 (spec, Paper 2, 2.12) judged from the computed tables.

Each verdict follows a rule stated in :data:`RULES` (printed next to the table in the chapter).
The paper's own numbers were never recovered, so the "paper" column quotes its qualitative claim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...attacks.advhat.eot import HALF_WIDTHS
from ...attacks.advhat.projection import Placement

RULES = {
    "A1": "holds if on every face the adversarial sticker lowers the mean held-out cosine by >= 0.2 below "
          "grey; in part if it lowers it on every face and dlib rejects (distance >= 0.6) most views",
    "A2": "holds if, for every swept parameter, the mean drop at the swept values outside the EOT range "
          "(up to 5 half-widths away) is at least half the mean drop inside it",
    "A3": "holds if, under the off-plane held-out views, the off-plane sticker's mean drop exceeds the "
          "flat sticker's by more than 0.01",
    "A4": "holds if faceres's mean drop is above 0.01 and below dlib's; does not hold if <= 0.01",
    "A5": "holds if TV(S) and the high-frequency share fall as w_tv grows and the drop at the largest "
          "w_tv is below the drop at the smallest; in part if only the smoothness part holds",
}
PAPER = {
    "A1": "a hat sticker 'confuses' ArcFace R100 (numbers not recovered)",
    "A2": "works 'in different shooting conditions' (numbers not recovered)",
    "A3": "implied by the off-plane model (no ablation recovered)",
    "A4": "'transferable to other Face ID models' (numbers not recovered)",
    "A5": "TV loss for printable, smooth stickers (w_tv = 1e-4)",
}


def a1(summary: pd.DataFrame) -> tuple[str, str]:
    drop = summary["drop"]
    rej = summary["rejected (d >= 0.6)"]
    ours = (f"drop {drop.min():.3f}-{drop.max():.3f} (mean {drop.mean():.3f}) on {len(drop)} faces; "
            f"dlib rejects {rej.mean():.0%} of adversarial views")
    if (drop >= 0.2).all():
        return ours, "holds"
    if (drop > 0).all() and rej.mean() > 0.5:
        return ours, "holds in part"
    return ours, "does not hold"


def _inside(name: str, value: float) -> bool:
    centre = float(getattr(Placement.default(1), name)[0])
    return abs(value - centre) <= HALF_WIDTHS[name] + 1e-9


def a2(rob: pd.DataFrame) -> tuple[str, str, pd.DataFrame]:
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
    ok = bool((t["ratio"] >= 0.5).all())
    ours = "outside/inside drop ratio " + ", ".join(f"{k} {v:.2f}" for k, v in t["ratio"].items())
    return ours, "holds" if ok else "does not hold", t


def a3(offplane_drop: float, flat_drop: float) -> tuple[str, str]:
    ours = f"drop {offplane_drop:.3f} (off-plane sticker) vs {flat_drop:.3f} (flat sticker)"
    return ours, "holds" if offplane_drop - flat_drop > 0.01 else "does not hold"


def a4(faceres_drop: float, dlib_drop: float) -> tuple[str, str]:
    ours = f"faceres drop {faceres_drop:.3f} vs dlib drop {dlib_drop:.3f}"
    if faceres_drop <= 0.01:
        return ours, "does not hold"
    return ours, "holds" if faceres_drop < dlib_drop else "holds (transfer as strong as white-box)"


def a5(stats: pd.DataFrame) -> tuple[str, str]:
    s = stats.sort_values("w_tv")
    smooth = bool(np.all(np.diff(s["TV(S)"]) < 0) and np.all(np.diff(s["high-frequency share"]) <= 1e-9))
    weaker = bool(s["drop"].iloc[-1] < s["drop"].iloc[0])
    ours = ("TV " + ", ".join(f"{v:.0f}" for v in s["TV(S)"]) + "; drop "
            + ", ".join(f"{d:.3f}" for d in s["drop"])
            + " for w_tv " + ", ".join(f"{w:g}" for w in s["w_tv"]))
    return ours, "holds" if smooth and weaker else ("holds in part" if smooth else "does not hold")


def table(results: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The closing table: claim, the paper's statement, ours (computed), verdict, rule."""
    return pd.DataFrame([{"claim": k, "paper": PAPER[k], "this book": v[0], "verdict": v[1], "rule": RULES[k]}
                         for k, v in results.items()]).set_index("claim")
