"""The closing "Paper vs this book" table of the Defense-GAN chapter (spec's headline claims).

Every verdict is decided by a rule applied to computed values:

- a claim that a defense reaches an accuracy ("reaches ~a") *holds* when ours >= a - TOL;
- a claim that accuracy stays low ("at most a") *holds* when ours <= a + TOL;
- a trend ("rises with R") *holds* when every step moves the claimed way by more than -TOL;
- a ratio (runtime) *holds* when ours lies within a factor 2 of the paper's;
- a row whose experiment did not run is "not run".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

TOL = 0.05


def _at_least(ours: float, paper: float) -> str:
    return "not run" if math.isnan(ours) else ("holds" if ours >= paper - TOL else "does not hold")


def _at_most(ours: float, paper: float) -> str:
    return "not run" if math.isnan(ours) else ("holds" if ours <= paper + TOL else "does not hold")


def _trend(values: Sequence[float], up: bool = True) -> str:
    if len(values) < 2:
        return "not run"
    steps = [(b - a) if up else (a - b) for a, b in zip(values, values[1:], strict=False)]
    return "holds" if all(s > -TOL for s in steps) and sum(steps) > 0 else "does not hold"


def _get(df: pd.DataFrame | None, row: Any, col: str) -> float:
    try:
        return float(df.loc[row, col]) if df is not None else math.nan
    except KeyError:
        return math.nan


def table(R: Mapping[str, Any], labels: Mapping[str, str]) -> pd.DataFrame:
    """Claims table from the chapter's results ``R``: keys ``bb``, ``by_L``, ``by_R``, ``det``,
    ``eps``, ``wb`` (dicts by dataset) and ``time``; ``labels`` names the settings used (e.g. L, R)."""
    rows: list[tuple[str, str, str, str]] = []

    def add(claim: str, paper: str, ours: float | str, verdict: str) -> None:
        rows.append((claim, paper, ours if isinstance(ours, str) else f"{ours:.3f}", verdict))

    m, f = "mnist5k", "fashion_mnist"
    wb_m, wb_f = R["wb"].get(m), R["wb"].get(f)
    add(f"MNIST white-box FGSM, model A, Defense-GAN-Rec ({labels['wb']})", "0.988 (L=200, R=10)",
        v := _get(wb_m, "FGSM eps=0.3", "Defense-GAN-Rec"), _at_least(v, 0.988))
    add(f"MNIST white-box RAND+FGSM, model A, Defense-GAN-Rec ({labels['wb']})", "0.988",
        v := _get(wb_m, "RAND+FGSM eps=0.3, alpha=0.05", "Defense-GAN-Rec"), _at_least(v, 0.988))
    add(f"MNIST white-box CW-L2, model A, Defense-GAN-Rec ({labels['wb']})", "0.989",
        v := _get(wb_m, "CW-L2", "Defense-GAN-Rec"), _at_least(v, 0.989))
    add("MNIST white-box CW-L2, model A, MagNet stays low", "0.038",
        v := _get(wb_m, "CW-L2", "MagNet"), _at_most(v, 0.038))
    add("MNIST white-box CW-L2, model A, adv. training eps=0.3 collapses", "0.077",
        v := _get(wb_m, "CW-L2", "Adv. tr. eps=0.3"), _at_most(v, 0.077))
    add("MNIST white-box CW-L2, model A, no defense", "0.141",
        v := _get(wb_m, "CW-L2", "No defense"), _at_most(v, 0.141))
    add(f"F-MNIST white-box FGSM, model A, Defense-GAN-Rec ({labels['wb']})", "0.879",
        v := _get(wb_f, "FGSM eps=0.3", "Defense-GAN-Rec"), _at_least(v, 0.879))
    bb_m, bb_f = R["bb"].get(m), R["bb"].get(f)
    for pair, paper in (("A/B", 0.9312), ("A/E", 0.9139)):
        add(f"MNIST black-box FGSM {pair}, Defense-GAN-Rec ({labels['bb']})", f"{paper}",
            v := _get(bb_m, pair, "Defense-GAN-Rec"), _at_least(v, paper))
        rec, orig = _get(bb_m, pair, "Defense-GAN-Rec"), _get(bb_m, pair, "Defense-GAN-Orig")
        add(f"MNIST black-box {pair}: |Rec - Orig| small", "<= 0.01", abs(rec - orig),
            _at_most(abs(rec - orig), 0.01))
    for pair, paper in (("A/B", 0.586), ("A/E", 0.479)):
        add(f"F-MNIST black-box FGSM {pair}, Defense-GAN-Rec is weak", f"{paper}",
            v := _get(bb_f, pair, "Defense-GAN-Rec"), _at_most(v, paper))
    trends = {m: ("0.927 -> 0.996 (L 25 -> 1600)", "0.533 -> 0.946 (R 1 -> 20)",
                  "0.986 -> 0.931 (eps 0.1 -> 0.3)"),
              f: ("0.804 -> 0.964 (L 25 -> 1600)", "0.350 -> 0.481 (R 1 -> 10)",
                  "0.884 -> 0.513 (eps 0.1 -> 0.3)")}
    for ds, name in ((m, "MNIST"), (f, "F-MNIST")):
        byL, byR, eps, det = R["by_L"].get(ds), R["by_R"].get(ds), R["eps"].get(ds), R["det"].get(ds)
        if byL is not None:
            clean = list(byL["Rec, no attack"])
            add(f"{name}: clean Rec accuracy rises with L", trends[ds][0],
                " -> ".join(f"{a:.3f}" for a in clean), _trend(clean))
        if byR is not None:
            adv = list(byR["Rec, adversarial"])
            add(f"{name}: adversarial Rec accuracy rises with R", trends[ds][1],
                " -> ".join(f"{a:.3f}" for a in adv), _trend(adv))
        if eps is not None:
            acc = list(eps["Defense-GAN-Rec"])
            add(f"{name}: Rec accuracy falls as eps grows", trends[ds][2],
                " -> ".join(f"{a:.3f}" for a in acc), _trend(acc, up=False))
        if det is not None:
            aucR = list(det[det.sweep == "R"]["AUC"])
            add(f"{name}: detection AUC > 0.5 and rising with R", "qualitative (AUCs not printed)",
                " -> ".join(f"{a:.3f}" for a in aucR),
                "holds" if aucR and min(aucR) > 0.5 and _trend(aucR) == "holds" else "does not hold")
    t = R.get("time")
    if t is not None and 1 in t.index and 10 in t.index:
        L = max(t.columns)
        ratio = float(t.loc[10, L] / t.loc[1, L])
        add(f"Time R=10 / R=1 (L={L}, this CPU)", "1.24 (TITAN X, L=200)", ratio,
            "holds" if 0.5 * 1.24 <= ratio <= 2 * 1.24 else "does not hold")
    return pd.DataFrame(rows, columns=["Claim", "Dissertation", "This book", "Verdict"])
