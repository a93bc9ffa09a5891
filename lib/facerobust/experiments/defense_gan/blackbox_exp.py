"""Black-box FGSM experiments of the Defense-GAN chapter: Tables 5.1/5.2, the L and R sweeps
(Tables 5.8-5.11), the eps sweep (Table 5.3) and the detection ROC (Figs. 5.4/5.5).

One projection per input set, recorded at every L of the grid with R_max restarts, gives the
whole L x R grid (see :class:`facerobust.defenses.defense_gan.ProjectionPath`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from ...attacks.fgsm import fgsm
from ...defenses.defense_gan import DefenseGAN, ProjectionPath
from ...models.base import accuracy
from . import placement
from .range_study import sent
from .whitebox_exp import adv_column
from .zoo import Bundle

COLUMNS = ("No attack", "No defense", "Defense-GAN-Rec", "Defense-GAN-Orig", "MagNet")  # then one per adv_eps


@dataclass
class BlackBoxRun:
    """Inputs and projections of one dataset's black-box experiments."""

    bundle: Bundle
    L: int
    R: int
    clean: ProjectionPath
    adv: dict[str, Tensor] = field(default_factory=dict)        # substitute -> x_adv
    adv_path: dict[str, ProjectionPath] = field(default_factory=dict)


def _acc(model: nn.Module, x: Tensor, y: Tensor) -> float:
    return accuracy(model, x, y)


@dataclass(frozen=True)
class BlackBoxConfig:
    """What :func:`run` reads: FGSM's ``eps``, the projection (``L``, ``R`` of the tables; ``R_max``
    restarts recorded at every step count of ``L_grid``), its ``seed`` and the ``device`` it runs on."""

    seed: int
    eps: float
    L: int
    R: int
    R_max: int
    L_grid: tuple[int, ...]
    device: str | None = "cpu"

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BlackBoxConfig:
        """The black-box settings of a chapter's parameters (the fields of the same names)."""
        def value(name: str) -> Any:
            v = params[name]
            return tuple(v) if isinstance(v, list) else v
        return cls(**{f.name: value(f.name) for f in fields(cls) if f.name in params})


def _cpu(path: ProjectionPath) -> ProjectionPath:
    return replace(path, mse=path.mse.cpu(), x_rec=path.x_rec.cpu(), z=path.z.cpu())


def run(b: Bundle, cfg: BlackBoxConfig) -> BlackBoxRun:
    """FGSM eps=cfg.eps on each substitute, and projections of the clean and adversarial test images
    (computed on ``cfg.device``, kept on the CPU)."""
    dev = cfg.device
    d = DefenseGAN(placement.module_on(b.G, dev), L=cfg.L, R=cfg.R_max, seed=cfg.seed)
    steps = tuple(sorted(set(cfg.L_grid) | {cfg.L}))
    x, y = placement.tensor_on(b.x_test, dev), placement.tensor_on(b.y_test, dev)
    r = BlackBoxRun(b, cfg.L, cfg.R, _cpu(d.project_path(x, steps)))
    for sub_name, sub in b.substitutes.items():
        xa = sent(fgsm(placement.module_on(sub, dev), x, y, eps=cfg.eps))
        r.adv[sub_name] = xa.cpu()
        r.adv_path[sub_name] = _cpu(d.project_path(xa, steps))
    return r


def table(r: BlackBoxRun, pairs: list[str], adv_eps: list[float]) -> pd.DataFrame:
    """Table 5.1/5.2: accuracy per classifier/substitute pair under black-box FGSM; one adversarial
    training column per eps of ``adv_eps`` (the classifiers the zoo trained)."""
    b, rows = r.bundle, {}
    for pair in pairs:
        c, s = pair.split("/")
        xa, y = r.adv[s], b.y_test
        rec = r.adv_path[s].best(r.L, r.R).x_rec
        reformer = b.reformer
        assert reformer is not None
        with torch.no_grad():
            x_mag = reformer(xa)
        clf = b.classifiers
        rows[pair] = [_acc(clf[c], b.x_test, y), _acc(clf[c], xa, y), _acc(clf[f"{c}-rec"], rec, y),
                      _acc(clf[c], rec, y), _acc(clf[c], x_mag, y),
                      *(_acc(clf[f"{c}-adv{e}"], xa, y) for e in adv_eps)]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=[*COLUMNS, *(adv_column(e) for e in adv_eps)])
    return df.rename_axis("Classifier/Substitute")


def sweep(r: BlackBoxRun, pair: str, L_for_R: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tables 5.8-5.11: clean and adversarial accuracy (Rec and Orig) vs L (R = R_max) and
    vs R (L = L_for_R)."""
    c, s = pair.split("/")
    b, y = r.bundle, r.bundle.y_test
    Rmax = r.clean.mse.shape[1]

    def row(L: int, R: int) -> list[float]:
        cl, ad = r.clean.best(L, R).x_rec, r.adv_path[s].best(L, R).x_rec
        return [_acc(b.classifiers[f"{c}-rec"], cl, y), _acc(b.classifiers[c], cl, y),
                _acc(b.classifiers[f"{c}-rec"], ad, y), _acc(b.classifiers[c], ad, y)]

    cols = ["Rec, no attack", "Orig, no attack", "Rec, adversarial", "Orig, adversarial"]
    Ls = [L for L in r.clean.steps if L > 0]
    by_L = pd.DataFrame([row(L, Rmax) for L in Ls], columns=cols, index=pd.Index(Ls, name="L"))
    Rs = [R for R in (1, 2, 5, 10, 20) if R <= Rmax]
    by_R = pd.DataFrame([row(L_for_R, R) for R in Rs], columns=cols, index=pd.Index(Rs, name="R"))
    return by_L, by_R


def roc(neg: Tensor, pos: Tensor) -> tuple[np.ndarray, np.ndarray, float]:
    """ROC of the detector 'score > theta means attack': (fpr, tpr, AUC); ties count one half."""
    s = np.concatenate([neg.numpy(), pos.numpy()])
    lab = np.concatenate([np.zeros(len(neg)), np.ones(len(pos))])
    order = np.argsort(-s, kind="stable")
    tpr = np.concatenate([[0], np.cumsum(lab[order]) / len(pos)])
    fpr = np.concatenate([[0], np.cumsum(1 - lab[order]) / len(neg)])
    ranks = pd.Series(s).rank().to_numpy()
    auc = (ranks[len(neg):].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
    return fpr, tpr, float(auc)


def detection(r: BlackBoxRun, sub: str, L_for_R: int) -> pd.DataFrame:
    """AUC of the reconstruction-MSE detector (clean vs FGSM test images) over the L and R grids."""
    Rmax = r.clean.mse.shape[1]
    rows = []
    for L in (s for s in r.clean.steps if s > 0):
        rows.append({"sweep": "L", "L": L, "R": Rmax,
                     "AUC": roc(r.clean.best(L, Rmax).mse, r.adv_path[sub].best(L, Rmax).mse)[2]})
    for R in (R for R in (1, 2, 5, 10, 20) if R <= Rmax):
        rows.append({"sweep": "R", "L": L_for_R, "R": R,
                     "AUC": roc(r.clean.best(L_for_R, R).mse, r.adv_path[sub].best(L_for_R, R).mse)[2]})
    return pd.DataFrame(rows)


def eps_sweep(r: BlackBoxRun, pair: str, eps_grid: list[float], n: int, L: int, R: int,
              seed: int, keep: int = 4) -> tuple[pd.DataFrame, dict[float, Any]]:
    """Table 5.3: Rec accuracy and detection AUC under black-box FGSM for several eps
    (first n test images). Also returns, per eps, the ROC curve and the first ``keep``
    adversarial images with their reconstructions (for Fig. 5.7)."""
    c, s = pair.split("/")
    b = r.bundle
    x, y = b.x_test[:n], b.y_test[:n]
    d = DefenseGAN(b.G, L=L, R=R, seed=seed)
    clean = d.project(x)
    rows, curves = [], {}
    for eps in eps_grid:
        xa = sent(fgsm(b.substitutes[s], x, y, eps=eps))
        p = d.project(xa)
        fpr, tpr, auc = roc(clean.mse, p.mse)
        curves[eps] = {"roc": (fpr, tpr), "x": x[:keep], "adv": xa[:keep], "rec": p.x_rec[:keep]}
        rows.append({"eps": eps, "No defense": _acc(b.classifiers[c], xa, y),
                     "Defense-GAN-Rec": _acc(b.classifiers[f"{c}-rec"], p.x_rec, y), "AUC": auc})
    return pd.DataFrame(rows).set_index("eps"), curves
