"""The paper's headline claims, each with the paper's figure, ours and a verdict decided by
a stated rule from computed values (chapters 01-03; the closing table of chapter 03).

Verdicts: "holds", "does not hold", or "not testable here" (when the quantity the rule needs
is undefined, e.g. no misclassified images in the sample).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from torch import Tensor

from . import paper
from .adversarial import adversarial

HOLDS, FAILS, UNTESTABLE = "holds", "does not hold", "not testable here"


def _verdict(ok: bool | None) -> str:
    return UNTESTABLE if ok is None else (HOLDS if ok else FAILS)


def _row(claim: str, rule: str, paper_value: str, ours: str, ok: bool | None) -> dict[str, str]:
    return {"claim": claim, "rule": rule, "paper": paper_value, "this book": ours, "verdict": _verdict(ok)}


def network_claims(err: pd.DataFrame, tests: pd.DataFrame) -> pd.DataFrame:
    """Claims about the classifiers (chapter 01)."""
    e, s, e2, tr = (
        err[c] for c in ("euclidean (converged)", "softmax (converged)", "euclidean (epoch2)", "trivial")
    )
    p_conv = float(tests.loc[tests.B == "euclidean (converged)", "p"].iloc[0])
    p_loss = float(tests.loc[tests.B == "softmax (converged)", "p"].iloc[0])
    beats = int((e < tr).sum())
    rel = 1 - e.mean() / tr.mean() if tr.mean() > 0 else float("nan")
    pe = paper.ERRORS
    return pd.DataFrame(
        [
            _row(
                "Euclidean nets beat Trivial on every attribute",
                "error < Trivial on all attributes",
                "40 of 40",
                f"{beats} of {len(e)}",
                beats == len(e),
            ),
            _row("Relative gain over Trivial", "reported only (different data)", "54%", f"{rel:.0%}", None),
            _row(
                "Training to convergence lowers the error",
                "mean falls and paired t-test p < 0.05",
                f"{pe['Euclidean (two epochs)']:.2f}% -> {pe['Euclidean (converged)']:.2f}%, p < 1e-10",
                f"{e2.mean():.2f}% -> {e.mean():.2f}%, p = {p_conv:.2g}",
                bool(e.mean() < e2.mean() and p_conv < 0.05),
            ),
            _row(
                "Softmax and Euclidean losses reach similar error",
                "|mean difference| < 1 point",
                f"{pe['Softmax (converged)']:.2f}% vs {pe['Euclidean (converged)']:.2f}% (p = 0.0003)",
                f"{s.mean():.2f}% vs {e.mean():.2f}% (p = {p_loss:.2g})",
                bool(abs(s.mean() - e.mean()) < 1),
            ),
        ]
    )


def _count(res: Mapping[str, Tensor], loss: str, stage: str, method: str) -> int:
    return int(adversarial(res, loss, stage, method).sum())


def attack_claims(res: Mapping[str, Tensor], still_adversarial: float | None = None) -> pd.DataFrame:
    """Claims about adversarials (chapters 02-03); ``still_adversarial``: mean diagonal of the
    two-epoch -> converged portability matrix (chapter 03), in [0, 1]."""
    c = {
        (lo, st, m): _count(res, lo, st, m)
        for lo in ("euclidean", "softmax")
        for st in ("epoch2", "converged")
        for m in ("fgs", "ffa")
    }
    fgs_adv = adversarial(res, "euclidean", "converged", "fgs")
    ffa_adv = adversarial(res, "euclidean", "converged", "ffa")
    covered = float((fgs_adv & ffa_adv).sum() / fgs_adv.sum()) if fgs_adv.any() else None
    ok = res["euclidean/converged/correct"]
    rate = {}
    for m in ("fgs", "ffa"):
        adv = adversarial(res, "euclidean", "converged", m)
        rate[m] = (
            float((adv & ok).sum() / ok.sum()) if ok.any() else None,
            float((adv & ~ok).sum() / (~ok).sum()) if (~ok).any() else None,
        )
    per_attr = (ffa_adv & ok).sum(0) / ok.sum(0).clamp_min(1)
    lo_, hi_ = float(per_attr.min()), float(per_attr.max())
    t = {k: sum(v for (lo, st, m), v in c.items() if lo == k[0] and st == k[1] and m == k[2]) for k in c}
    nat = rate["ffa"][1]
    minus = [r[1] for r in rate.values()]
    plus = [r[0] for r in rate.values()]
    known = [(a, b) for a, b in zip(minus, plus, strict=True) if a is not None and b is not None]
    more_often = all(a > b for a, b in known) if len(known) == len(minus) else None
    rows = [
        _row(
            "FFA finds more adversarials than FGS",
            "converged Euclidean: #FFA > #FGS",
            "16021 vs 10587",
            f"{c['euclidean', 'converged', 'ffa']} vs {c['euclidean', 'converged', 'fgs']}",
            c["euclidean", "converged", "ffa"] > c["euclidean", "converged", "fgs"],
        ),
        _row(
            "Almost every FGS adversarial is also an FFA one",
            "share of FGS pairs also FFA >= 95%",
            "'almost all'",
            "-" if covered is None else f"{covered:.0%}",
            None if covered is None else covered >= 0.95,
        ),
        _row(
            "Some attributes are robust, others are not",
            "per-attribute FFA+ rate spans <= 5% to >= 50%",
            "0% to nearly 100%",
            f"{lo_:.0%} to {hi_:.0%}",
            lo_ <= 0.05 and hi_ >= 0.5,
        ),
        _row(
            "Misclassified images are turned more often than correct ones",
            "rate(-) > rate(+) for FGS and FFA",
            "Fig. 3",
            " / ".join(
                f"{m.upper()} {p if p is None else f'{p:.0%}'} vs {q if q is None else f'{q:.0%}'}"
                for m, (p, q) in zip(("fgs", "ffa"), zip(minus, plus, strict=True), strict=True)
            ),
            more_often,
        ),
        _row(
            "More training does not reduce adversarials",
            "converged >= 0.9 x two-epoch count, both losses and methods",
            "Eucl. FGS 8827 -> 10587, FFA 16539 -> 16021",
            ", ".join(
                f"{lo[:4]}. {m.upper()} {t[lo, 'epoch2', m]} -> {t[lo, 'converged', m]}"
                for lo in ("euclidean", "softmax")
                for m in ("fgs", "ffa")
            ),
            all(
                t[lo, "converged", m] >= 0.9 * t[lo, "epoch2", m]
                for lo in ("euclidean", "softmax")
                for m in ("fgs", "ffa")
            ),
        ),
        _row(
            "Softmax networks are more vulnerable than Euclidean ones",
            "converged: softmax count > Euclidean, FGS and FFA",
            "FFA 23791 vs 16021; FGS 14478 vs 10587",
            f"FFA {c['softmax', 'converged', 'ffa']} vs {c['euclidean', 'converged', 'ffa']}; "
            f"FGS {c['softmax', 'converged', 'fgs']} vs {c['euclidean', 'converged', 'fgs']}",
            all(c["softmax", "converged", m] > c["euclidean", "converged", m] for m in ("fgs", "ffa")),
        ),
        _row(
            "Natural adversarials are common among misclassified training images",
            "FFA corrects >= 50% of misclassified pairs (converged Euclidean)",
            f"{paper.NATURAL_SHARE:.0%}",
            "-" if nat is None else f"{nat:.0%}",
            None if nat is None else nat >= 0.5,
        ),
    ]
    if still_adversarial is not None:
        rows.append(
            _row(
                "Over 30% of two-epoch adversarials stay adversarial after training",
                "mean diagonal of the right heatmap > 30%",
                "> 30%",
                f"{still_adversarial:.0%}",
                None
                if still_adversarial != still_adversarial
                else still_adversarial > paper.STILL_ADVERSARIAL,
            )
        )
    return pd.DataFrame(rows)


def as_table(df: pd.DataFrame) -> Any:
    """Left-aligned display of a claims table."""
    return df.style.hide(axis="index").set_properties(**{"text-align": "left"})


def real_face_claims(
    summary: pd.DataFrame, transfer: pd.DataFrame, attribute_of: Mapping[str, str]
) -> pd.DataFrame:
    """Claims checked on the real pretrained models and faces (chapter 03, experiment 6)."""
    ffa = int(summary[["FFA+", "FFA-"]].sum().sum())
    fgs = int(summary[["FGS+", "FGS-"]].sum().sum())
    share = summary["FFA+"] / summary["correct"].clip(lower=1)
    wrong = summary["faces"] - summary["correct"]
    nat = float(summary["FFA-"].sum() / wrong.sum()) if wrong.sum() else None
    same = [
        transfer.loc[t, s]
        for s in transfer.columns
        for t in transfer.index
        if s != t and attribute_of[s] == attribute_of[t] and transfer.loc[t, s] == transfer.loc[t, s]
    ]
    cross = [
        transfer.loc[t, s]
        for s in transfer.columns
        for t in transfer.index
        if attribute_of[s] != attribute_of[t] and transfer.loc[t, s] == transfer.loc[t, s]
    ]
    mean_same = float(sum(same) / len(same)) if same else None
    mean_cross = float(sum(cross) / len(cross)) if cross else None
    return pd.DataFrame(
        [
            _row(
                "Real faces: FFA finds at least as many adversarials as FGS",
                "#FFA >= #FGS over all models",
                "16021 vs 10587 (CelebA)",
                f"{ffa} vs {fgs}",
                ffa >= fgs,
            ),
            _row(
                "Real faces: robustness differs between models",
                "FFA+ share spans >= 30 points across models",
                "per attribute, Fig. 3",
                f"{share.min():.0%} to {share.max():.0%}",
                float(share.max() - share.min()) >= 0.3,
            ),
            _row(
                "Real faces: natural adversarials are common",
                "FFA corrects >= 50% of wrongly classified faces",
                "73%",
                "-" if nat is None else f"{nat:.0%}",
                None if nat is None else nat >= 0.5,
            ),
            _row(
                "Real faces: perturbations are attribute-specific",
                "mean cross-attribute flip rate < same-attribute cross-model rate",
                "most cross-attribute portability near 0",
                "-" if None in (mean_same, mean_cross) else f"{mean_cross:.0f}% vs {mean_same:.0f}%",
                None if mean_same is None or mean_cross is None else mean_cross < mean_same,
            ),
        ]
    )
