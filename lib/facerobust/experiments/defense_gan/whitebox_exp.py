"""White-box attacks of the Defense-GAN chapter (Table 5.4): FGSM, RAND+FGSM and CW-L2, with the
gradient taken through the unrolled L-step projection (as the official code's ``back_prop=True``).

The attacker knows G, L, R and the classifier but not the defense's random starts (the
"white-box" threat of Sec. 5.2; it draws its own with another seed). Defended accuracy is that
of the Rec classifier on the defense's own projection of the attacked images.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from ...attacks.base import AttackResult
from ...attacks.fgsm import fgsm, rand_fgsm
from ...defenses.defense_gan import DefenseGAN
from ...models.classifiers import accuracy
from .zoo import Bundle

Attack = Callable[[nn.Module, Tensor, Tensor], AttackResult]


def attacks(P: Mapping[str, Any]) -> dict[str, Attack]:
    """The chapter's white-box attacks; CW-L2 is the K-anonymity chapter's ``cw_l2`` with the
    official code's settings (one binary-search step, c = 100) at the profile's iteration count."""
    g = torch.Generator().manual_seed(P["seed"] + 7)
    out: dict[str, Attack] = {
        "FGSM eps=0.3": lambda m, x, y: fgsm(m, x, y, P["eps"]),
        "RAND+FGSM eps=0.3, alpha=0.05": lambda m, x, y: rand_fgsm(m, x, y, P["eps"], 0.05, generator=g),
    }
    if P["cw_steps"] > 0:
        from ...attacks.cw import cw_l2

        out["CW-L2"] = lambda m, x, y: cw_l2(m, x, y, c=P["cw_c"], binary_steps=1,
                                             steps=P["cw_steps"], lr=P["cw_lr"])
    return out


def run(b: Bundle, P: Mapping[str, Any], arch: str = "A") -> pd.DataFrame:
    """Table 5.4 rows for classifier ``arch``: accuracy with no attack / no defense / Defense-GAN-Rec /
    MagNet / adversarial training eps 0.3, each attacked white-box on the first n_whitebox images."""
    n = P["n_whitebox"]
    x, y = b.x_test[:n], b.y_test[:n]
    clf, rec_clf = b.classifiers[arch], b.classifiers[f"{arch}-rec"]
    attacker_defense = DefenseGAN(b.G, L=P["L_whitebox"], R=P["R_whitebox"], seed=P["seed"] + 1000)
    attacker_view = nn.Sequential(attacker_defense, rec_clf)
    defense = DefenseGAN(b.G, L=P["L_whitebox"], R=P["R_whitebox"], seed=P["seed"])
    assert b.reformer is not None
    magnet_model = nn.Sequential(b.reformer, clf)
    adv_clf = b.classifiers.get(f"{arch}-adv0.3")
    rows = {}
    for name, attack in attacks(P).items():
        row = {"No attack": accuracy(clf, x, y), "No defense": accuracy(clf, attack(clf, x, y).x_adv, y)}
        xa = attack(attacker_view, x, y).x_adv
        row["Defense-GAN-Rec"] = accuracy(rec_clf, defense.project(xa).x_rec, y)
        row["MagNet"] = accuracy(magnet_model, attack(magnet_model, x, y).x_adv, y)
        row["Adv. tr. eps=0.3"] = (accuracy(adv_clf, attack(adv_clf, x, y).x_adv, y)
                                   if adv_clf is not None else float("nan"))
        rows[name] = row
    df = pd.DataFrame.from_dict(rows, orient="index").rename_axis("Attack")
    return df
