"""White-box attacks of the Defense-GAN chapter (Table 5.4): FGSM, RAND+FGSM and CW-L2, with the
gradient taken through the unrolled L-step projection (as the official code's ``back_prop=True``).

The attacker knows G, L, R and the classifier but not the defense's random starts (the
"white-box" threat of Sec. 5.2; it draws its own with another seed). Defended accuracy is that
of the Rec classifier on the defense's own projection of the attacked images. Row labels are built
from the parameters (``eps``), the adversarial-training columns from ``adv_eps``, and every row
records the L, R its projection ran at: FGSM and RAND+FGSM at ``L_whitebox``, ``R_whitebox``
(the dissertation's 200, 10 in ``default``), CW-L2, whose ``cw_steps`` gradient steps each go
through the whole unrolled graph, at ``L_cw``, ``R_cw``. Images are attacked ``wb_chunk`` at a
time, which bounds the memory of the unrolled graph and does not change the result. The attacks
run on ``device`` (the models are copied there; the table does not depend on it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from ...attacks.base import AttackResult, in_chunks
from ...attacks.fgsm import fgsm, rand_fgsm
from ...defenses.defense_gan import DefenseGAN
from ...models.base import accuracy
from . import placement
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


@dataclass(frozen=True)
class WhiteBoxConfig:
    """What :func:`run` reads: the attacks (``eps``; CW-L2's ``cw_steps``, ``cw_c``, ``cw_lr``), the
    projections they go through (``L_whitebox``, ``R_whitebox``; CW-L2's ``L_cw``, ``R_cw``), the
    ``n_whitebox`` images attacked ``wb_chunk`` at a time, the adversarial-training columns
    (``adv_eps``), the ``seed`` and the ``device`` the attacks run on."""

    seed: int
    eps: float
    L_whitebox: int
    R_whitebox: int
    cw_steps: int
    cw_c: float
    cw_lr: float
    L_cw: int
    R_cw: int
    n_whitebox: int
    wb_chunk: int
    adv_eps: tuple[float, ...]
    device: str | None = "cpu"

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> WhiteBoxConfig:
        """The white-box settings of a chapter's parameters (the fields of the same names)."""
        def value(name: str) -> Any:
            v = params[name]
            return tuple(v) if isinstance(v, list) else v
        return cls(**{f.name: value(f.name) for f in fields(cls) if f.name in params})


def attacks(cfg: WhiteBoxConfig) -> list[WhiteBoxAttack]:
    """The chapter's white-box attacks, labelled from ``cfg``; CW-L2 is the K-anonymity chapter's
    ``cw_l2`` with the official code's settings (one binary-search step, c = 100)."""
    g = torch.Generator().manual_seed(cfg.seed + 7)
    eps, L, R = cfg.eps, cfg.L_whitebox, cfg.R_whitebox
    out = [
        WhiteBoxAttack(fgsm_label(eps), lambda m, x, y: fgsm(m, x, y, eps=eps), L, R),
        WhiteBoxAttack(
            rand_fgsm_label(eps), lambda m, x, y: rand_fgsm(m, x, y, eps=eps, alpha=0.05, generator=g), L, R
        ),
    ]
    if cfg.cw_steps > 0:
        from ...attacks.cw import cw_l2

        out.append(
            WhiteBoxAttack(
                "CW-L2",
                lambda m, x, y: cw_l2(
                    m, x, y, c=cfg.cw_c, binary_steps=1, steps=cfg.cw_steps, lr=cfg.cw_lr
                ),
                cfg.L_cw,
                cfg.R_cw,
            )
        )
    return out


def run(b: Bundle, cfg: WhiteBoxConfig, arch: str = "A") -> pd.DataFrame:
    """Table 5.4 rows for classifier ``arch``: accuracy with no attack / no defense / Defense-GAN-Rec /
    MagNet / adversarial training at each ``adv_eps``, each attacked white-box on the first
    n_whitebox images; columns L and R give the projection the Defense-GAN cell ran through."""
    n, dev = cfg.n_whitebox, cfg.device
    x, y = placement.tensor_on(b.x_test[:n], dev), placement.tensor_on(b.y_test[:n], dev)
    clf = placement.module_on(b.classifiers[arch], dev)
    rec_clf = placement.module_on(b.classifiers[f"{arch}-rec"], dev)
    assert b.reformer is not None
    magnet_model = nn.Sequential(placement.module_on(b.reformer, dev), clf)
    G = placement.module_on(b.G, dev)
    rows = {}
    for a in attacks(cfg):
        attacker_view = nn.Sequential(DefenseGAN(G, L=a.L, R=a.R, seed=cfg.seed + 1000), rec_clf)
        defense = DefenseGAN(G, L=a.L, R=a.R, seed=cfg.seed)
        row: dict[str, float] = {
            "No attack": accuracy(clf, x, y),
            "No defense": accuracy(clf, a.run(clf, x, y).x_adv, y),
        }
        xa = sent(in_chunks(a.run, attacker_view, x, y, cfg.wb_chunk))
        row["Defense-GAN-Rec"] = accuracy(rec_clf, defense.project(xa).x_rec, y)
        row["L"], row["R"] = a.L, a.R
        row["MagNet"] = accuracy(magnet_model, a.run(magnet_model, x, y).x_adv, y)
        for e in cfg.adv_eps:
            adv_clf = placement.module_on(b.classifiers[f"{arch}-adv{e}"], dev)
            row[adv_column(e)] = accuracy(adv_clf, a.run(adv_clf, x, y).x_adv, y)
        rows[a.label] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("Attack")
