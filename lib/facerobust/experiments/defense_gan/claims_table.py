"""The closing "Paper vs this book" table of the Defense-GAN chapter, on the shared claims module.

Every row is built with :mod:`facerobust.experiments.claims` from the chapter's computed results
(:class:`Results`) and the paper values of :mod:`.printed` (document, table and line). Accuracies are
rates over the test images, judged on their Wilson intervals; trends on the fitted slope's
interval; a reproduction "reaches the paper's accuracy" when the whole interval lies above the
paper's value minus ``MARGIN`` (shown in the rule). Two settings make a row inconclusive rather
than a failure of the paper: a projection with other L, R than the dissertation's (the row says
which), and a generator trained far below the official budget ("inconclusive at our budget",
with the numbers). Rows compared with the Model F sweeps say that ours is model A. Every row that
stays inconclusive says in its note what would decide it and what that costs (:mod:`.open_rows`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import claims
from ..claims import (
    FAILS,
    Claim,
    Judgement,
    Paper,
    at_most,
    claim,
    greater,
    inconclusive,
    newcombe,
    not_run,
    rate_at_least,
    rate_at_most,
    rate_greater,
    rate_trend,
    within_factor,
)
from ..claims.deciding import note as deciding_note
from . import open_rows, printed, whitebox_exp

MARGIN = 0.05  # "reaches the paper's accuracy": the interval lies above paper - MARGIN
PAPER_L, PAPER_R = 200, 10
OFFICIAL_WIDTH, OFFICIAL_ITERS = 64, 200_000


@dataclass(frozen=True)
class Budget:
    """The generator training budget of this run (per dataset: width and generator iterations)."""

    width: int
    iters: Mapping[str, int]

    def official(self, ds: str) -> bool:
        return self.width >= OFFICIAL_WIDTH and self.iters.get(ds, 0) >= OFFICIAL_ITERS

    def text(self, ds: str) -> str:
        return (
            f"generator width {self.width}, {self.iters.get(ds, 0):,} iterations "
            f"(dissertation: {OFFICIAL_WIDTH}, {OFFICIAL_ITERS:,})"
        )


@dataclass(frozen=True)
class Results:
    """What the chapter computed, by dataset ("mnist5k", "fashion_mnist"): tables as returned by
    :mod:`.whitebox_exp` (whose rows carry their projection's L, R) and :mod:`.blackbox_exp`, with
    the settings they ran at."""

    budget: Budget
    wb: Mapping[str, pd.DataFrame]
    wb_n: int
    eps: float
    bb: Mapping[str, pd.DataFrame]
    bb_L: int
    bb_R: int
    n_test: Mapping[str, int]
    by_L: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    by_R: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    eps_sweep: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    n_eps: int = 0
    det_mse: Mapping[str, tuple[list[float], list[float]]] = field(default_factory=dict)  # clean, attacked
    time_ratio: float = math.nan
    time_L: int = 0


NAMES = {"mnist5k": "MNIST", "fashion_mnist": "F-MNIST"}
_SHORT = {"Defense-GAN-Rec": "Rec", "MagNet": "MagNet", "No defense": "none", "Adv. tr. eps=0.3": "advtr"}


def _get(df: pd.DataFrame | None, row: object, col: str) -> float:
    try:
        return float(df.loc[row, col]) if df is not None else math.nan
    except KeyError:
        return math.nan


def _k(acc: float, n: int) -> int:
    return int(round(acc * n))


def _more(j: Judgement, n: int, stage: str) -> str:
    """What more test images would do for ``j`` ("" if it is decided or open for another reason)."""
    return deciding_note(j, n, "test images", f"{stage} time grows in proportion")


def _reaches(
    acc: float, n: int, value: printed.Value, L: int, R: int, budget: Budget, ds: str, what: str, stage: str
) -> tuple[Judgement, str]:
    """Rec reaches the paper's accuracy: Wilson interval above paper - MARGIN; another L, R than the
    dissertation's, or a failure at a budget far below the official one, is inconclusive. With the
    judgement, what would decide it if it is inconclusive (``""`` otherwise)."""
    threshold = value.value - MARGIN
    if math.isnan(acc):
        return not_run(f"{what} >= {threshold:.3f}", "not in this profile"), ""
    j = rate_at_least(_k(acc, n), n, threshold, what=what)
    if (L, R) != (PAPER_L, PAPER_R):
        why = f"our projection runs L={L}, R={R}, not L={PAPER_L}, R={PAPER_R}"
        return inconclusive(j.ours, j.rule, why), open_rows.paper_projection(L, R, PAPER_L, PAPER_R, stage)
    if j.verdict == FAILS and not budget.official(ds):
        iters = budget.iters.get(ds, 0)
        return (inconclusive(j.ours, j.rule, f"at our budget: {budget.text(ds)}"),
                open_rows.bigger_generator(budget.width, iters, OFFICIAL_WIDTH, OFFICIAL_ITERS))
    return j, _more(j, n, stage)


def _note(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _whitebox(r: Results) -> list[Claim]:
    rows = []
    attack_row = {"FGSM": whitebox_exp.fgsm_label(r.eps), "RAND+FGSM": whitebox_exp.rand_fgsm_label(r.eps),
                  "CW-L2": "CW-L2"}
    for (ds, attack), values in printed.WHITEBOX.items():
        df = r.wb.get(ds)
        if df is None:
            continue
        label = attack_row[attack]
        if label not in df.index:
            continue
        for col, value in values.items():
            ours = _get(df, label, col)
            cid = f"W-{NAMES[ds]}-{attack}-{_SHORT[col]}"
            stage = "the white-box attacks'"
            if col == "Defense-GAN-Rec":
                L, R = int(_get(df, label, "L")), int(_get(df, label, "R"))
                what = f"Rec accuracy ({label})"
                j, decide = _reaches(ours, r.wb_n, value, L, R, r.budget, ds, what, stage)
                text = f"{NAMES[ds]} white-box {label}, model A: Defense-GAN-Rec reaches the paper's accuracy"
            else:
                j = (
                    rate_at_most(_k(ours, r.wb_n), r.wb_n, value.value + MARGIN, what=f"accuracy ({label})")
                    if not math.isnan(ours)
                    else not_run("accuracy <= paper + margin", "not in this profile")
                )
                decide = _more(j, r.wb_n, stage)
                text = f"{NAMES[ds]} white-box {label}, model A: {col} stays low"
            if attack != "CW-L2" and r.eps != 0.3:
                j, decide = inconclusive(j.ours, j.rule, f"run at eps={r.eps:g}, the paper's is 0.3"), ""
            rows.append(
                claim(
                    cid,
                    text,
                    Paper(value.text, value.source),
                    j,
                    _note(f"first {r.wb_n} test images; margin {MARGIN}", decide),
                )
            )
    return rows


def _blackbox(r: Results) -> list[Claim]:
    rows = []
    for (ds, pair), (rec_v, orig_v) in printed.BLACKBOX.items():
        df, n = r.bb.get(ds), r.n_test.get(ds, 0)
        if df is None or pair not in df.index:
            continue
        rec, orig, nodef = (_get(df, pair, c) for c in ("Defense-GAN-Rec", "Defense-GAN-Orig", "No defense"))
        name, stage = NAMES[ds], "the black-box stage's"
        j, decide = _reaches(rec, n, rec_v, r.bb_L, r.bb_R, r.budget, ds, "Rec accuracy", stage)
        rows.append(
            claim(
                f"B-{name}-{pair}-Rec",
                f"{name} black-box FGSM eps={r.eps:g} {pair}: Defense-GAN-Rec reaches the paper's accuracy",
                Paper(rec_v.text, rec_v.source),
                j,
                decide,
            )
        )
        lo, hi = newcombe(_k(rec, n), n, _k(orig, n), n)
        span = (0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
        j = at_most(abs(rec - orig), 0.01, interval=span, what="|Rec - Orig| (Newcombe)")
        decide = _more(j, n, stage)
        rows.append(
            claim(
                f"B-{name}-{pair}-RecOrig",
                f"{name} black-box {pair}: Rec and Orig within 0.01",
                Paper(
                    f"|{rec_v.text} - {orig_v.text}| = {abs(rec_v.value - orig_v.value):.4f}", rec_v.source
                ),
                j,
                decide,
            )
        )
        j = rate_greater(_k(rec, n), n, _k(nodef, n), n, names=("Rec", "no defense"))
        decide = _more(j, n, stage)
        rows.append(
            claim(
                f"B-{name}-{pair}-helps",
                f"{name} black-box {pair}: Defense-GAN-Rec beats no defense",
                Paper(f"{rec_v.text} vs no defense (same row)", rec_v.source),
                j,
                decide,
            )
        )
    return rows


# The sweep claims: (id suffix, statement, paper key, results table, column, x axis, claimed direction).
_SWEEPS = (
    ("L", "clean Rec accuracy rises with L", "clean Rec vs L", "by_L", "Rec, no attack", "log2 L", True),
    ("R", "adversarial Rec accuracy rises with R", "adv Rec vs R", "by_R", "Rec, adversarial", "R", True),
    ("eps", "Rec accuracy falls as eps grows", "Rec vs eps", "eps_sweep", "Defense-GAN-Rec", "eps", False),
)


def _sweep_claim(r: Results, ds: str, name: str, spec: tuple[str, str, str, str, str, str, bool],
                 note: str) -> Claim | None:
    suffix, statement, key, attr, column, axis, up = spec
    table = getattr(r, attr).get(ds)
    if table is None or len(table) < 2:
        return None
    n = r.n_eps if attr == "eps_sweep" else r.n_test.get(ds, 0)
    x = table.index.to_numpy(float)
    xs = np.log2(x) if axis == "log2 L" else x
    k = [_k(a, n) for a in table[column]]
    v = printed.SWEEPS[(ds, key)]
    judgement = rate_trend(xs, k, [n] * len(k), up=up, what=f"accuracy vs {axis}")
    decide = _more(judgement, n, "the sweep's")
    return claim(f"T-{name}-{suffix}", f"{name}: {statement}", Paper(v.text, v.source), judgement,
                 _note(note, decide))


def _trends(r: Results) -> list[Claim]:
    rows = []
    for ds, name in NAMES.items():
        note = "paper: Model F (not built here); ours: model A, substitute E"
        rows += [c for spec in _SWEEPS if (c := _sweep_claim(r, ds, name, spec, note)) is not None]
        if ds in r.det_mse:
            clean, adv = r.det_mse[ds]
            rows.append(
                claim(
                    f"D-{name}",
                    f"{name}: the reconstruction error of attacked images exceeds that of "
                    "clean ones (a detector better than chance)",
                    Paper(printed.DETECTION.text, printed.DETECTION.source),
                    greater(adv, clean, paired=True, names=("MSE adversarial", "MSE clean")),
                    note,
                )
            )
    return rows


def claim_rows(r: Results) -> list[Claim]:
    """Every row of the chapter's table."""
    rows = _whitebox(r) + _blackbox(r) + _trends(r)
    t = printed.TIME_R10_R1
    rows.append(
        claim(
            "Time-R",
            f"Time of R=10 over R=1 (L={r.time_L}, this CPU)",
            Paper(t.text, t.source),
            within_factor(r.time_ratio, printed.TIME_R10_R1_VALUE, 2.0),
            "a CPU has no idle parallel units: restarts cost time here; a wall-clock ratio, it moves "
            "between runs with the CPU and its load",
        )
    )
    return rows


def table(r: Results) -> pd.DataFrame:
    """The chapter's claims table (the shared columns)."""
    return claims.table(claim_rows(r))
