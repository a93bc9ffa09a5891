"""The paper's headline claims for chapters 01-03, judged with the shared claims module.

Every builder returns a list of :class:`~facerobust.experiments.claims.Claim` (the chapter shows
``claims.table(rows)``); paper values come from :data:`.printed.QUOTES` with their lines. Rates are
judged on Wilson or Newcombe 95% intervals over (image, attribute) pairs, means over attributes on
paired bootstrap intervals. A claim that compares differently trained networks (softmax vs
Euclidean, two epochs vs converged) rests on training randomness: it is judged on every training
seed run (:func:`~facerobust.experiments.claims.seeded`: at least :data:`MIN_SEEDS`, or it is
inconclusive). Thresholds are module constants shown in each rule's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from torch import Tensor

from ..claims import (
    FAILS,
    HOLDS,
    Claim,
    Judgement,
    across_seeds,
    all_of,
    claim,
    equals,
    greater,
    rate_at_least,
    rate_at_most,
    rate_between,
    rate_greater,
    seeded,
    similar,
    untestable,
)
from . import open_rows
from .printed import GOATEE_NO_BEARD, QUOTES
from .results import AttributeResults

MIN_SEEDS = 3  # training seeds needed before a claim that rests on training randomness gets a verdict
SIMILAR_POINTS = 1.0  # "similar error": mean softmax - Euclidean error within +-1 percentage point
ALMOST_ALL = 0.95  # "almost all" FGS adversarials are FFA adversarials
ROBUST, MOST = 0.05, 0.5  # "cannot be formed at all" (<= 5%) vs "most" (>= 50%)
NOT_FEWER = -0.02  # "more training does not reduce": converged - two-epoch rate above -2 points
NATURAL_COMMON = 0.5  # natural adversarials are "common": FFA corrects at least half
HALF_BAND = (0.3, 0.7)  # "half ... were not corrected": a band of +-0.2 around one half
STILL, SPECIFIC = 0.30, 0.5  # "more than 30%" still adversarial; "most" perturbations are specific
SPREAD = 0.3  # real faces: FFA+ shares of the most and least robust models differ by > 30 points

Res = AttributeResults


def _over_seeds(per_seed: Sequence[Judgement], seeds: Sequence[int], training: bool) -> Judgement:
    """Seeds agree (``across_seeds``); a training-randomness claim needs MIN_SEEDS (``seeded``)."""
    if training:
        return seeded(per_seed, seeds, min_seeds=MIN_SEEDS)
    return per_seed[0] if len(seeds) == 1 else across_seeds(per_seed, seeds)


def _count(res: Res, loss: str, stage: str, method: str, mask: Tensor | None = None) -> int:
    adv = res.run(loss, stage, method).adversarial()
    return int((adv if mask is None else adv & mask).sum())


# ---------------------------------------------------------------- chapter 01: the networks


def _beats_trivial(err: pd.DataFrame, n_test: int) -> Judgement:
    """Every attribute's converged Euclidean test error below Trivial's (Newcombe per attribute)."""
    k = lambda col: [round(v / 100 * n_test) for v in err[col]]  # noqa: E731
    parts = [rate_greater(t, n_test, e, n_test, names=("Trivial", "Euclidean"))
             for t, e in zip(k("trivial"), k("euclidean (converged)"), strict=True)]
    verdict = all_of(parts, list(err.index)).verdict
    below = sum(p.verdict == HOLDS for p in parts)
    worse = [a for a, p in zip(err.index, parts, strict=True) if p.verdict == FAILS]
    ours = f"{below} of {len(parts)} attributes clearly below Trivial" + (f"; worse: {', '.join(worse)}"
                                                                          if worse else "")
    return Judgement(verdict, ours, f"{parts[0].rule}, on every attribute (n={n_test} test images)")


def network_claims(errs: Mapping[int, pd.DataFrame], n_test: int, celeba: bool = False) -> list[Claim]:
    """Claims about the classifiers (chapter 01) from the error tables of every training seed
    (``tables.error_table``: errors in %, one row per attribute)."""
    seeds = list(errs)
    e = {s: errs[s]["euclidean (converged)"] for s in seeds}
    e2 = {s: errs[s]["euclidean (epoch2)"] for s in seeds}
    soft = {s: errs[s]["softmax (converged)"] for s in seeds}
    gain = [1 - e[s].mean() / errs[s]["trivial"].mean() for s in seeds]
    gain_text = ", ".join(f"{g:.0%}" for g in gain)
    return [
        claim("N1", "Euclidean networks beat Trivial on every attribute", QUOTES["beats_trivial"],
              _over_seeds([_beats_trivial(errs[s], n_test) for s in seeds], seeds, training=True)),
        claim("N2", "Relative gain over Trivial", QUOTES["relative_gain"],
              equals(gain[0], 0.54, tol=0.05, fmt=".2f") if celeba else
              untestable("the gain depends on CelebA's label balance; CelebA is not obtainable offline",
                         gain_text)),
        claim("N3", "Training past two epochs lowers the mean error", QUOTES["convergence"],
              _over_seeds([greater(e2[s], e[s], paired=True, names=("two epochs", "converged"))
                           for s in seeds], seeds, training=True),
              note="bootstrap over attributes (the paper: paired T-test, pairing not stated)"),
        claim("N4", "Softmax and Euclidean networks reach similar error", QUOTES["softmax_error"],
              _over_seeds([similar(soft[s], e[s], margin=SIMILAR_POINTS, paired=True,
                                   names=("softmax", "Euclidean")) for s in seeds], seeds, training=True),
              note="errors in %, margin in percentage points"),
    ]


# ---------------------------------------------------------------- chapter 02: the attacks


def _more(res: Res, a: tuple[str, str, str], b: tuple[str, str, str], names: tuple[str, str],
          margin: float = 0.0) -> Judgement:
    """Rate of (loss, stage, method) ``a`` above ``b`` over all (image, attribute) pairs (Newcombe)."""
    n = res.n_pairs
    return rate_greater(_count(res, *a), n, _count(res, *b), n, margin=margin, names=names)


def _spread(res: Res) -> Judgement:
    """The most robust attribute's FFA+ rate <= ROBUST and the least robust one's >= MOST."""
    ok = res.scores("euclidean", "converged").correct
    k, n = (res.run("euclidean", "converged", "ffa").adversarial() & ok).sum(0), ok.sum(0)
    rate = k / n.clamp_min(1)
    lo, hi = int(rate.argmin()), int(rate.argmax())
    return all_of([rate_at_most(int(k[lo]), int(n[lo]), ROBUST, what="FFA+ rate"),
                   rate_at_least(int(k[hi]), int(n[hi]), MOST, what="FFA+ rate")],
                  ["most robust attribute", "least robust"])


def _one_seed_attacks(res: Res) -> dict[str, Judgement]:
    ok = res.scores("euclidean", "converged").correct
    fgs, ffa = (res.run("euclidean", "converged", m).adversarial() for m in ("fgs", "ffa"))
    wrong_c, wrong_2 = ~ok, ~res.scores("euclidean", "epoch2").correct
    nat_2 = res.run("euclidean", "epoch2", "ffa").adversarial() & wrong_2
    lost = nat_2 & ~(ffa & wrong_c)
    combos = [(lo, m) for lo in ("euclidean", "softmax") for m in ("fgs", "ffa")]
    eucl = ("euclidean", "converged")
    rate_pm = [rate_greater(_count(res, *eucl, m, wrong_c), int(wrong_c.sum()), _count(res, *eucl, m, ok),
                            int(ok.sum()), names=("rate(-)", "rate(+)")) for m in ("fgs", "ffa")]
    more_training = [_more(res, (lo, "converged", m), (lo, "epoch2", m), ("converged", "two epochs"),
                           NOT_FEWER) for lo, m in combos]
    softmax = [_more(res, ("softmax", "converged", m), (*eucl, m), ("softmax", "Euclidean"))
               for m in ("ffa", "fgs")]
    return {
        "R1": _more(res, (*eucl, "ffa"), (*eucl, "fgs"), ("FFA", "FGS")),
        "R2": rate_at_least(int((fgs & ffa).sum()), int(fgs.sum()), ALMOST_ALL,
                            what="FGS adversarials also FFA"),
        "R3": _spread(res),
        "R4": all_of(rate_pm, ["FGS", "FFA"]),
        "R5": all_of(more_training, [f"{lo[:4]}. {m.upper()}" for lo, m in combos]),
        "R6": all_of(softmax, ["FFA", "FGS"]),
        "R7": rate_at_least(int((ffa & wrong_c).sum()), int(wrong_c.sum()), NATURAL_COMMON,
                            what="misclassified pairs FFA corrects"),
        "R8": rate_between(int((nat_2 & wrong_c).sum()), int(nat_2.sum()), *HALF_BAND,
                           what="two-epoch natural FFA adversarials still misclassified at convergence"),
        "R9": rate_at_least(int((lost & ok).sum()), int(lost.sum()), 0.5,
                            what="no-longer-natural adversarials classified correctly"),
    }


ATTACK_CLAIMS = {  # id: (statement, quote, rests on training randomness)
    "R1": ("FFA finds more adversarials than FGS (converged Euclidean)", "ffa_vs_fgs", False),
    "R2": ("Almost every FGS adversarial is also an FFA one", "fgs_in_ffa", False),
    "R3": ("Some attributes cannot be flipped, on others most images can", "robust_spread", False),
    "R4": ("Misclassified images are turned more often than correct ones", "natural_more", False),
    "R5": ("More training does not reduce adversarials (both losses, both methods)", "training", True),
    "R6": ("Softmax networks are more vulnerable than Euclidean ones", "softmax_vulnerable", True),
    "R7": ("Natural adversarials are common: FFA corrects most misclassified training pairs",
           "natural_share", False),
    "R8": ("About half of the two-epoch natural adversarials are not corrected by training",
           "natural_persist", True),
    "R9": ("Most two-epoch natural adversarials that training removes are then classified correctly",
           "natural_learnt", True),
}


def attack_claims(res_by_seed: Mapping[int, Res]) -> list[Claim]:
    """Claims about adversarials (chapter 02) from the attack results of every training seed run."""
    seeds = list(res_by_seed)
    per = {s: _one_seed_attacks(r) for s, r in res_by_seed.items()}
    parts = {s: open_rows.open_parts(per[s]) for s in seeds}  # the rules' own undecided parts
    rows = []
    for cid, (text, q, training) in ATTACK_CLAIMS.items():
        j = _over_seeds([per[s][cid] for s in seeds], seeds, training)
        rows.append(claim(cid, text, QUOTES[q], j, note=open_rows.open_note(cid, j.verdict, parts)))
    return rows


# ---------------------------------------------------------------- chapter 03: portability, real faces


def _counts(m: pd.DataFrame, diagonal: bool) -> tuple[int, int]:
    """Pooled (flipped, tested) over the diagonal or the off-diagonal cells of a portability matrix
    (``m.attrs['n']``: adversarials per source attribute)."""
    k = n = 0
    for j, src in enumerate(m.columns):
        ns = int(m.attrs["n"][src])
        for i in range(len(m.index)):
            if (i == j) == diagonal and ns:
                k, n = k + round(float(m.iat[i, j]) / 100 * ns), n + ns
    return k, n


def _named(name: str, j: Judgement) -> Judgement:
    """``j`` with ``name`` in front of the value it shows (e.g. which cell a seed's largest one is)."""
    return Judgement(j.verdict, f"{name}: {j.ours}", j.rule)


def _one_seed_portability(left: pd.DataFrame, right: pd.DataFrame) -> dict[str, Judgement]:
    """P1-P4 on one training seed's panels (:func:`.portability.panels`)."""
    stacked = [(float(left.iat[i, j]), left.columns[j], left.index[i]) for i in range(len(left.index))
               for j in range(len(left.columns)) if i != j and left.iat[i, j] == left.iat[i, j]]
    top = max(stacked, default=(float("nan"), "-", "-"))
    n_top = int(left.attrs["n"][top[1]]) if stacked else 0
    k_top = round(top[0] / 100 * n_top) if stacked else 0
    return {
        "P1": rate_at_least(*_counts(right, True), STILL, what="still adversarial (pooled)"),
        "P2": rate_at_most(*_counts(left, False), SPECIFIC, what="off-diagonal flips (pooled)"),
        "P3": _named(f"{top[1]} -> {top[2]}", rate_at_least(k_top, n_top, GOATEE_NO_BEARD,
                                                           what="largest off-diagonal cell")),
        "P4": rate_greater(*_counts(right, False), *_counts(left, False), names=("two-epoch", "converged")),
    }


PORTABILITY_CLAIMS = {  # id: (statement, quote, rests on training randomness, note)
    "P1": ("Over 30% of two-epoch adversarials stay adversarial after training", "still_adversarial", True,
           ""),
    "P2": ("Most perturbations for one attribute do not flip another", "mostly_specific", False, ""),
    "P3": ("The most portable pair (each seed's own) flips as often as Goatee -> No_Beard", "goatee", False,
           "the largest of many cells: selected, so biased upward"),
    "P4": ("Two-epoch adversarials port to other attributes more than converged ones", "portability_rises",
           True, ""),
}


def portability_claims(panels: Mapping[int, tuple[pd.DataFrame, pd.DataFrame]]) -> list[Claim]:
    """Fig. 4 claims from every attacked training seed's panels ``{seed: (left, right)}``: ``left``
    (converged adversarials) and ``right`` (two-epoch adversarials) from
    :func:`.portability.portability`, tested on that seed's converged networks. Claims comparing the
    two snapshots (P1, P4) rest on training randomness; the others must agree on every seed."""
    seeds = list(panels)
    per = {s: _one_seed_portability(*panels[s]) for s in seeds}
    return [claim(cid, text, QUOTES[q], _over_seeds([per[s][cid] for s in seeds], seeds, training), note=note)
            for cid, (text, q, training, note) in PORTABILITY_CLAIMS.items()]


def real_face_claims(summary: pd.DataFrame, transfer: pd.DataFrame,
                     attribute_of: Mapping[str, str]) -> list[Claim]:
    """Claims checked on the real pretrained models and faces (chapter 03, experiment 6):
    ``summary`` per model (faces, correct, FGS+/-, FFA+/-), ``transfer`` flip rates (%) tested x source."""
    n = int(summary["faces"].sum())
    ffa, fgs = int(summary[["FFA+", "FFA-"]].sum().sum()), int(summary[["FGS+", "FGS-"]].sum().sum())
    share = summary["FFA+"] / summary["correct"].clip(lower=1)
    hi, lo = share.idxmax(), share.idxmin()
    wrong = int((summary["faces"] - summary["correct"]).sum())
    cells = [(transfer.loc[t, s], attribute_of[s] == attribute_of[t]) for s in transfer.columns
             for t in transfer.index if s != t and transfer.loc[t, s] == transfer.loc[t, s]]
    same, cross = [v for v, k in cells if k], [v for v, k in cells if not k]
    return [
        claim("F1", "Real faces: FFA finds more adversarials than FGS", QUOTES["ffa_vs_fgs"],
              rate_greater(ffa, n, fgs, n, names=("FFA", "FGS")), note="(face, model) pairs"),
        claim("F2", "Real faces: robustness differs between models", QUOTES["robust_spread"],
              rate_greater(int(summary.loc[hi, "FFA+"]), int(summary.loc[hi, "correct"]),
                           int(summary.loc[lo, "FFA+"]), int(summary.loc[lo, "correct"]),
                           margin=SPREAD, names=(str(hi), str(lo))),
              note="FFA+ share of the least and the most robust model (selected: biased apart)"),
        claim("F3", "Real faces: natural adversarials are common", QUOTES["natural_share"],
              rate_at_least(int(summary["FFA-"].sum()), wrong, NATURAL_COMMON,
                            what="misclassified faces FFA corrects")),
        claim("F4", "Real faces: perturbations are attribute-specific", QUOTES["mostly_specific"],
              greater(same, cross, paired=False, names=("same-attribute", "cross-attribute"), fmt=".1f"),
              note="flip rates (%) of the transfer matrix's off-diagonal cells"),
    ]
