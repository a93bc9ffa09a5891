"""The K-anonymity chapter's claims, judged with the shared claims module against the paper's
Table 1 (:mod:`.printed`). Used by ``notebooks/09_k_anonymity.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..claims import Claim, Judgement, Paper, all_of, claim, greater, rate_at_least, rate_at_most, table
from ..claims.deciding import note
from .printed import PAPER_FOR, PAPER_TABLE1, ROWS, SOURCES

BASELINES = ["L-BFGS", "DeepFool", "C&W"]
SLACK = 0.05  # allowed excess of a pmf bin over 1/K ("in almost every case")
ASR_MIN = 0.98  # "about 100%": the paper's lowest ASR is 98.53 (CIFAR-10 L-BFGS)
SIM_POINTS = 2.0  # K=5, 9 similarity "very close to" L-BFGS': at most 2 points (x100) below it
RECOVER = 0.5  # "take rank 2" recovers most labels after a baseline
CW_EFFECT = 0.01  # K5c: the CW-SSIM term must lower the mean MSE by more than 1% of it to count
SHORT = {"MNIST-5k / LeNet-5": "m", "Fashion-MNIST / MobileNetV2": "f", "Real faces / dlib descriptor": "y"}


def _k(rate: float, n: int) -> int:
    """A printed share (in [0, 1]) of ``n`` samples back to its count."""
    return int(round(rate * n))


def _mse(t: pd.DataFrame, a: str) -> list[float]:
    return np.asarray(t.loc[a, "MSE per image"], dtype=float).tolist()


def _sim(t: pd.DataFrame, a: str, sim: str) -> list[float]:
    return np.asarray(t.loc[a, f"{sim} per image"], dtype=float).tolist()


def _values(paper: pd.DataFrame, rows: list[str], col: str, scale: float = 1.0, fmt: str = ".2f") -> str:
    """Values in row order, comma-separated (no order sign: the paper's own values need not rise)."""
    return ", ".join(f"{paper.loc[r, col] * scale:{fmt}}" for r in rows)


def _pmf_claims(t: pd.DataFrame, n: int) -> list[tuple[str, str, Paper, Judgement]]:
    base = BASELINES + ["K-anon. K=1"]
    parts = [rate_at_least(_k(float(t.loc[a, "pmf"][1]), n), n, 1 / 5, what="p(2)") for a in base]
    out = [("K1", "baselines and K=1 leave the true label at rank 2 (p(2) >= 1/5)",
            Paper("Fig. 1: yes", SOURCES["fig1"]), all_of(parts, base))]
    for K in (5, 9):
        a = f"K-anon. K={K}"
        if a not in t.index:
            continue
        pmf = np.asarray(t.loc[a, "pmf"], dtype=float)
        outside = float(pmf[0] + pmf[K + 1 :].sum())
        spread = all_of([rate_at_most(_k(float(pmf.max()), n), n, 1 / K + SLACK, what="largest p(j)"),
                         rate_at_most(_k(outside, n), n, SLACK, what="mass outside ranks 2..K+1")],
                        ["max bin", "outside"])
        out.append((f"K2 K={K}", f"K={K} spreads the true label evenly over ranks 2..K+1",
                    Paper(f"p(j) <= 1/{K} 'in almost every case'", SOURCES["fig1"]), spread))
    return out


def _claims_one(name: str, t: pd.DataFrame, available: int | None = None) -> list[Claim]:
    sim = "SSIM" if "SSIM" in t.columns else "MS-SSIM"
    paper = PAPER_TABLE1[PAPER_FOR.get(name, "MNIST")]
    n = int(t["n"].iloc[0])
    rows = _pmf_claims(t, n)
    attacks = [a for a in ROWS if a in t.index]
    asr = all_of([rate_at_least(_k(float(t.loc[a, "ASR %"]) / 100, n), n, ASR_MIN, what="ASR")
                  for a in attacks], attacks)
    rows.append(("K3", "ASR about 100% for every method", Paper(
        f"{paper['ASR %'].min():.2f}-{paper['ASR %'].max():.2f}", SOURCES["table"]), asr))
    ks = [a for a in ("K-anon. K=1", "K-anon. K=5", "K-anon. K=9") if a in t.index]
    grows = all_of([greater(_mse(t, b), _mse(t, a), paired=True, names=(b[-3:], a[-3:]), fmt=".2e")
                    for a, b in zip(ks, ks[1:], strict=False)], [f"{a[-3:]} -> {b[-3:]}" for a, b in
                                                                 zip(ks, ks[1:], strict=False)])
    rows.append(("K4", "MSE grows with K (K=1 < K=5 < K=9)",
                 Paper(f"{_values(paper, ks, 'MSE', 1e3)} (x1e-3, K=1, 5, 9)", SOURCES["grows"]), grows))
    pk1, plb = paper.loc["K-anon. K=1"], paper.loc["L-BFGS"]
    beats = all_of([greater(_mse(t, "L-BFGS"), _mse(t, "K-anon. K=1"), paired=True,
                            names=("L-BFGS", "K=1"), fmt=".2e"),
                    greater(_sim(t, "K-anon. K=1", sim), _sim(t, "L-BFGS", sim), paired=True,
                            names=("K=1", "L-BFGS"), fmt=".1f")],
                   ["MSE", sim])
    printed = f"MSE {pk1['MSE']:.2e} vs {plb['MSE']:.2e}; {pk1.iloc[1]:.1f} vs {plb.iloc[1]:.1f}"
    rows.append(("K5a", "K=1 beats L-BFGS on MSE and similarity", Paper(printed, SOURCES["least"]), beats))
    least = all_of([greater(_mse(t, b), _mse(t, "K-anon. K=1"), paired=True, names=(b, "K=1"), fmt=".2e")
                    for b in BASELINES], BASELINES)
    rows.append(("K5b", "K=1 has the least MSE of all methods", Paper(
        f"least: {paper.loc[BASELINES + ['K-anon. K=1'], 'MSE'].idxmin()}", SOURCES["least"]), least))
    if "K-anon. K=1, no CW-SSIM" in t.index:
        ab = "K-anon. K=1, no CW-SSIM"
        margin = CW_EFFECT * float(np.mean(_mse(t, "K-anon. K=1")))  # shown in the rule as a number
        term = all_of([greater(_mse(t, ab), _mse(t, "K-anon. K=1"), paired=True, margin=margin,
                               names=("without", "with"), fmt=".2e"),
                       greater(_sim(t, "K-anon. K=1", sim), _sim(t, ab, sim), paired=True,
                               names=("with", "without"), fmt=".2f")], ["MSE", sim])
        rows.append(("K5c", f"the CW-SSIM term lowers the perturbation (K=1 with vs without it; MSE by more "
                     f"than {CW_EFFECT:.0%})",
                     Paper("credited, not ablated", SOURCES["cw_ssim"]), term))
    for K in (5, 9):
        a = f"K-anon. K={K}"
        if a in t.index:
            close = greater(_sim(t, a, sim), _sim(t, "L-BFGS", sim), paired=True,
                            margin=-SIM_POINTS, names=(f"K={K}", "L-BFGS"), fmt=".1f")
            printed = f"{paper.loc[a].iloc[1]:.2f} vs {plb.iloc[1]:.2f}"
            rows.append((f"K7 K={K}", f"K={K} similarity close to or above L-BFGS'",
                         Paper(printed, SOURCES["close"]), close))
    rec = [rate_at_least(_k(float(t.loc[b, "rank-2 recovery %"]) / 100, n), n, RECOVER, what="recovery")
           for b in BASELINES]
    rec += [rate_at_most(_k(float(t.loc[f"K-anon. K={K}", "rank-2 recovery %"]) / 100, n), n,
                         1 / K + SLACK, what="recovery") for K in (5, 9) if f"K-anon. K={K}" in t.index]
    labels = BASELINES + [f"K={K}" for K in (5, 9) if f"K-anon. K={K}" in t.index]
    recovery = all_of(rec, labels)
    rows.append(("K6", "'take rank 2' recovers most labels after a baseline, about 1/K after K-anonymity",
                 Paper("implied, not measured", SOURCES["recovery"]), recovery))
    tag, short = SHORT.get(name, name), name.split(" / ")[0]
    cost = "the chapter's attack time grows in proportion"
    return [claim(f"{cid} ({tag})", f"{short}: {text}", pap, j,
                  note(j, n, "attacked images", cost, available)) for cid, text, pap, j in rows]


def claims_rows(tables: dict[str, pd.DataFrame],
                available: Mapping[str, int] | None = None) -> list[Claim]:
    """Every (setting, claim) as a :class:`~facerobust.experiments.claims.Claim`; an inconclusive
    row that more attacked images would decide says how many in its note, and, for a setting in
    ``available`` (e.g. the faces), how many the data hold."""
    return [c for name, t in tables.items() for c in _claims_one(name, t, (available or {}).get(name))]


def claims_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (setting, claim), in the shared claims columns."""
    return table(claims_rows(tables))
