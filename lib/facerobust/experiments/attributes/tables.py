"""Tables of the Rozsa chapters: test errors and t-tests (Fig. 2), success rates (Fig. 3),
Table I with overlaps, and natural adversarials, all from computed tensors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch
from scipy import stats

from ...data.types import AttributeSet
from ...metrics.pass_score import TAU
from . import printed
from .results import METHODS, STAGES, AttributeResults
from .training import errors


def error_table(models: Mapping[str, Any], data: Mapping[str, AttributeSet]) -> pd.DataFrame:
    """Per-attribute test error (%) of both losses at both snapshots and of Trivial (the
    training set's majority class), sorted by the converged Euclidean error (Fig. 2)."""
    test, train = data["test"], data["train"]
    cols = {
        f"{loss} ({stage})": errors(getattr(snap, stage), test) * 100
        for loss, (snap, _) in models.items()
        for stage in STAGES
    }
    majority = torch.where(train.a.float().mean(0) > 0, 1, -1)
    cols["trivial"] = (test.a != majority).float().mean(0) * 100
    cols["positive share"] = (test.a > 0).float().mean(0) * 100
    df = pd.DataFrame({k: v.numpy() for k, v in cols.items()}, index=list(test.names))
    return df.sort_values("euclidean (converged)")


def paired_tests(err: pd.DataFrame) -> pd.DataFrame:
    """Paired t-tests over attributes. The paper reports paired T-tests without saying what it
    pairs; pairing the attributes is our reading."""
    pairs = [
        ("euclidean (converged)", "softmax (converged)"),
        ("euclidean (epoch2)", "euclidean (converged)"),
        ("euclidean (converged)", "trivial"),
    ]
    rows = []
    for a, b in pairs:
        t, p = stats.ttest_rel(err[a], err[b]) if (err[a] != err[b]).any() else (0.0, 1.0)
        rows.append(
            {
                "A": a,
                "B": b,
                "mean A (%)": err[a].mean(),
                "mean B (%)": err[b].mean(),
                "t": float(t),
                "p": float(p),
            }
        )
    return pd.DataFrame(rows)


def success_rates(
    res: AttributeResults, names: tuple[str, ...], loss: str = "euclidean", stage: str = "converged"
) -> pd.DataFrame:
    """Fig. 3: per attribute, the share (%) of correctly (+) / wrongly (-) classified images
    that FGS and FFA turn into PASS-valid adversarials; NaN where no image is in the group."""
    correct = res.scores(loss, stage).correct
    out = {}
    for m in METHODS:
        adv = res.run(loss, stage, m).adversarial()
        for sign, grp in (("+", correct), ("-", ~correct)):
            n = grp.sum(0).float()
            out[f"{m.upper()}{sign}"] = torch.where(
                n > 0, (adv & grp).sum(0) / n.clamp_min(1) * 100, float("nan")
            )
    df = pd.DataFrame({k: v.numpy() for k, v in out.items()}, index=list(names))
    df["n-"] = (~correct).sum(0).numpy()
    return df.sort_values("FGS+", ascending=False)


def table_one(res: AttributeResults, losses: tuple[str, ...] = ("euclidean", "softmax")) -> pd.DataFrame:
    """Table I: counts of FGS+/FGS-/FFA+/FFA- adversarial pairs at two epochs and at
    convergence, and their overlap (pairs adversarial with the same sign at both stages),
    beside the paper's counts (which are over 40 attributes x 1000 images)."""
    rows = []
    for loss in losses:
        for m in METHODS:
            for sign in ("+", "-"):
                cnt, masks = {}, {}
                for st in STAGES:
                    ok = res.scores(loss, st).correct
                    masks[st] = res.run(loss, st, m).adversarial() & (ok if sign == "+" else ~ok)
                    cnt[st] = int(masks[st].sum())
                p2, pc, po = printed.TABLE_I[(loss, f"{m.upper()}{sign}")]
                rows.append(
                    {
                        "loss": loss,
                        "type": f"{m.upper()}{sign}",
                        "two epochs": cnt["epoch2"],
                        "converged": cnt["converged"],
                        "overlap": int((masks["epoch2"] & masks["converged"]).sum()),
                        "paper two epochs": p2,
                        "paper converged": pc,
                        "paper overlap": po,
                    }
                )
    return pd.DataFrame(rows).set_index(["loss", "type"])


def overlap_breakdown(
    res: AttributeResults, loss: str = "euclidean", method: str = "ffa"
) -> pd.DataFrame:
    """Pairs adversarial at both stages, split by correctness at two epochs x at convergence
    (the paper's overlap rows do not say which stage decides '+' or '-')."""
    both = res.run(loss, "epoch2", method).adversarial() & res.run(loss, "converged", method).adversarial()
    c2, cc = res.scores(loss, "epoch2").correct, res.scores(loss, "converged").correct
    return pd.DataFrame(
        {
            f"converged {sc}": {
                f"two epochs {s2}": int((both & (c2 == v2) & (cc == vc)).sum())
                for s2, v2 in (("+", True), ("-", False))
            }
            for sc, vc in (("+", True), ("-", False))
        }
    )


def natural_adversarials(res: AttributeResults, loss: str = "euclidean") -> pd.DataFrame:
    """Natural adversarials per method: misclassified pairs, how many an imperceptible
    perturbation corrects (share), and of the two-epoch ones, how many are no longer natural
    adversarials at convergence and how many of those the converged nets classify correctly."""
    rows = []
    for m in METHODS:
        wrong_c, wrong_2 = ~res.scores(loss, "converged").correct, ~res.scores(loss, "epoch2").correct
        nat_c = res.run(loss, "converged", m).adversarial() & wrong_c
        nat_2 = res.run(loss, "epoch2", m).adversarial() & wrong_2
        lost = nat_2 & ~nat_c
        rows.append(
            {
                "method": m.upper(),
                "misclassified (converged)": int(wrong_c.sum()),
                "natural adversarials (converged)": int(nat_c.sum()),
                "share": float(nat_c.sum() / wrong_c.sum().clamp_min(1)),
                "natural at two epochs": int(nat_2.sum()),
                "still misclassified at convergence": int((nat_2 & wrong_c).sum()),
                "not natural at convergence": int(lost.sum()),
                "of which learnt (correct at convergence)": int((lost & ~wrong_c).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("method")


def overshoot(res: AttributeResults, stage: str = "converged") -> pd.DataFrame:
    """The FGS failure mode of the Euclidean loss: where the output overshoots its label
    (``y f > 1``), ``sign(f - y)`` points *away* from the boundary. Flip rates (%) of FGS and FFA
    on correctly classified pairs, with and without overshoot."""
    net, y = res.scores("euclidean", stage), res.y
    f, ok = net.score, net.correct
    rows = {}
    for name, grp in (("y f > 1 (overshoot)", ok & (y * f > 1)), ("0 < y f <= 1", ok & (y * f <= 1))):
        n = int(grp.sum())
        rows[name] = {"pairs": n} | {
            f"{m.upper()} flips (%)": float((res.run("euclidean", stage, m).flip & grp).sum())
            / max(n, 1)
            * 100
            for m in METHODS
        }
    return pd.DataFrame(rows).T


def pass_summary(
    res: AttributeResults, loss: str = "euclidean", stage: str = "converged"
) -> pd.DataFrame:
    """Per method: flipped pairs, how many PASS accepts, median weight and PASS, ECC fallbacks."""
    rows = {}
    for m in METHODS:
        run = res.run(loss, stage, m)
        flip, p, w = run.flip, run.pass_score, run.weight
        rows[m.upper()] = {
            "pairs": flip.numel(),
            "flipped": int(flip.sum()),
            f"PASS >= {TAU:g}": int(run.adversarial().sum()),
            "median weight (grey levels)": float(w[flip].median()) if flip.any() else float("nan"),
            "median PASS": float(p[flip].median()) if flip.any() else float("nan"),
            "ECC fallbacks": int((flip & ~run.ecc).sum()),
        }
    return pd.DataFrame(rows).T


def seed_means(errs: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """Mean test error (%) over attributes of every column of :func:`error_table`, one row per
    training seed, and a last row ``range`` (max - min over the seeds): how far the chapter's
    headline numbers move with the training seed."""
    cols = ["euclidean (converged)", "euclidean (epoch2)", "softmax (converged)", "trivial"]
    df = pd.DataFrame({s: e[cols].mean() for s, e in errs.items()}).T
    df.index = [f"seed {s}" for s in errs]
    return pd.concat([df, (df.max() - df.min()).to_frame("range").T])


def seed_counts(res_by_seed: Mapping[int, AttributeResults]) -> pd.DataFrame:
    """Chapter 02's headline numbers per training seed: PASS-valid adversarial pairs of the converged
    networks (both losses, both methods), the share of misclassified pairs FFA corrects (Euclidean),
    and a last row ``range`` (max - min over the seeds)."""
    rows = {}
    for s, res in res_by_seed.items():
        row: dict[str, float] = {"pairs": res.n_pairs}
        for loss in ("euclidean", "softmax"):
            for m in METHODS:
                row[f"{loss} {m.upper()}"] = int(res.run(loss, "converged", m).adversarial().sum())
        wrong = ~res.scores("euclidean", "converged").correct
        nat = res.run("euclidean", "converged", "ffa").adversarial() & wrong
        row["natural share (FFA)"] = float(nat.sum() / wrong.sum().clamp_min(1))
        rows[f"seed {s}"] = row
    df = pd.DataFrame.from_dict(rows, orient="index")
    return pd.concat([df, (df.max() - df.min()).to_frame("range").T])
