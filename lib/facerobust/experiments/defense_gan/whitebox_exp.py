"""White-box attacks of the Defense-GAN chapter (Table 5.4): FGSM, RAND+FGSM and CW-L2, with the
gradient taken through the unrolled L-step projection (as the official code's ``back_prop=True``).

The attacker knows G, L, R and the classifier but not the defense's random starts (the
"white-box" threat of Sec. 5.2; it draws its own with another seed). Defended accuracy is that
of the Rec classifier on the defense's own projection of the attacked images. Row labels are built
from the parameters (``eps``), the adversarial-training columns from ``adv_eps``, and every row
records the L, R its projection ran at: FGSM and RAND+FGSM at ``L_whitebox``, ``R_whitebox``
(the dissertation's 200, 10 in ``default``), CW-L2, whose ``cw_steps`` gradient steps each go
through the whole unrolled graph, at ``L_cw``, ``R_cw``. Images are attacked ``wb_chunk`` at a
time, which bounds the memory of the unrolled graph and does not change the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from ...attacks.base import AttackResult, in_chunks
from ...attacks.fgsm import fgsm, rand_fgsm
from ...defenses.defense_gan import DefenseGAN
from ...models.base import accuracy
from .range_study import sent
from .zoo import Bundle

Attack = Callable[[nn.Module, Tensor, Tensor], AttackResult]


@dataclass(frozen=True)
class WhiteBoxAttack:
    """One white-box attack of Table 5.4 and the projection (L, R) it is run through."""

    label: str
    run: Attack
    L: int
    R: int


def fgsm_label(eps: float) -> str:
    return f"FGSM eps={eps:g}"


def rand_fgsm_label(eps: float, alpha: float = 0.05) -> str:
    return f"RAND+FGSM eps={eps:g}, alpha={alpha:g}"


def adv_column(eps: float) -> str:
    return f"Adv. tr. eps={eps:g}"


def attacks(P: Mapping[str, Any]) -> list[WhiteBoxAttack]:
    """The chapter's white-box attacks, labelled from ``P``; CW-L2 is the K-anonymity chapter's
    ``cw_l2`` with the official code's settings (one binary-search step, c = 100)."""
    g = torch.Generator().manual_seed(P["seed"] + 7)
    eps, L, R = P["eps"], P["L_whitebox"], P["R_whitebox"]
    out = [
        WhiteBoxAttack(fgsm_label(eps), lambda m, x, y: fgsm(m, x, y, eps=eps), L, R),
        WhiteBoxAttack(
            rand_fgsm_label(eps), lambda m, x, y: rand_fgsm(m, x, y, eps=eps, alpha=0.05, generator=g), L, R
        ),
    ]
    if P["cw_steps"] > 0:
        from ...attacks.cw import cw_l2

        out.append(
            WhiteBoxAttack(
                "CW-L2",
                lambda m, x, y: cw_l2(
                    m, x, y, c=P["cw_c"], binary_steps=1, steps=P["cw_steps"], lr=P["cw_lr"]
                ),
                P["L_cw"],
                P["R_cw"],
            )
        )
    return out


def run(b: Bundle, P: Mapping[str, Any], arch: str = "A") -> pd.DataFrame:
    """Table 5.4 rows for classifier ``arch``: accuracy with no attack / no defense / Defense-GAN-Rec /
    MagNet / adversarial training at each ``adv_eps``, each attacked white-box on the first
    n_whitebox images; columns L and R give the projection the Defense-GAN cell ran through."""
    n = P["n_whitebox"]
    x, y = b.x_test[:n], b.y_test[:n]
    clf, rec_clf = b.classifiers[arch], b.classifiers[f"{arch}-rec"]
    assert b.reformer is not None
    magnet_model = nn.Sequential(b.reformer, clf)
    rows = {}
    for a in attacks(P):
        attacker_view = nn.Sequential(DefenseGAN(b.G, L=a.L, R=a.R, seed=P["seed"] + 1000), rec_clf)
        defense = DefenseGAN(b.G, L=a.L, R=a.R, seed=P["seed"])
        row: dict[str, float] = {
            "No attack": accuracy(clf, x, y),
            "No defense": accuracy(clf, a.run(clf, x, y).x_adv, y),
        }
        xa = sent(in_chunks(a.run, attacker_view, x, y, P["wb_chunk"]))
        row["Defense-GAN-Rec"] = accuracy(rec_clf, defense.project(xa).x_rec, y)
        row["L"], row["R"] = a.L, a.R
        row["MagNet"] = accuracy(magnet_model, a.run(magnet_model, x, y).x_adv, y)
        for e in P["adv_eps"]:
            adv_clf = b.classifiers[f"{arch}-adv{e}"]
            row[adv_column(e)] = accuracy(adv_clf, a.run(adv_clf, x, y).x_adv, y)
        rows[a.label] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("Attack")
