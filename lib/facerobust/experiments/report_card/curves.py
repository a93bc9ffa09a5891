"""Accuracy-perturbation curves and minimal perturbations (RobFR's measures), per target.

**Curve.** Robust accuracy against the L-inf radius on a grid ``eps_1 < eps_2 < ...``, by APGD-CE
(through the surrogate where there is one). A point turned at ``eps_j`` is turned at every larger
radius (the same image lies in the larger ball), so each radius attacks only the points that
survived the previous one; the smallest grid radius that turns a point is its *minimal L-inf
budget* (a linear search over the grid, as RobFR's first stage; 0 for a clean mistake, inf if
none turns it).

**Minimal L2.** DeepFool and C&W-L2 (the book's minimal-norm attacks, :mod:`facerobust.attacks.deepfool`,
:mod:`facerobust.attacks.cw`) on every correctly classified point; a point's minimal perturbation is
the smaller successful L2 norm of the two (inf if neither succeeds), and the card reports the
median over the points, RobFR's main measure. Both are upper bounds on the true minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from torch import Tensor

from ...attacks.apgd import apgd
from ...attacks.base import AttackResult
from ...attacks.cw import cw_l2
from ...attacks.deepfool import deepfool
from ...attacks.transfer import transfer
from ...attacks.worst_case import AttackSpec, robust_accuracy
from .evaluate import seed_of
from .targets import Part, Target


@dataclass(frozen=True)
class Curve:
    """``eps`` grid (ascending), ``robust`` points left after each radius (the clean-correct
    count at ``eps`` = 0 first), ``n`` points and ``min_eps`` (n,) per-point minimal grid radius."""

    eps: tuple[float, ...]
    robust: tuple[int, ...]
    n: int
    min_eps: np.ndarray

    @property
    def accuracy(self) -> list[float]:
        return [k / self.n for k in self.robust]

    def median_min_eps(self) -> float:
        """Median over the clean-correct points of their minimal grid radius (inf if most survive)."""
        m = self.min_eps[self.min_eps > 0]
        return float(np.median(m)) if len(m) else math.nan


def _curve_part(target: Target, part: Part, grid: Sequence[float], seed: int, index: int) -> tuple[list[int],
                                                                                                   np.ndarray]:
    with torch.no_grad():
        alive = (part.model(part.x).argmax(1) == part.y).nonzero().squeeze(1)
    min_eps = np.where(np.isin(np.arange(len(part.x)), alive.cpu().numpy()), np.inf, 0.0)
    counts = [len(alive)]
    for eps in grid:
        if len(alive):
            spec = AttackSpec("APGD-CE", apgd, {"eps": eps, "norm": "Linf", "steps": target.settings.steps,
                                                "loss": "ce"})
            if part.attacked is not None:
                through = partial(transfer, source=part.attacked, attack=apgd)
                spec = AttackSpec("APGD-CE", through, spec.params)
            res = robust_accuracy(part.model, part.x[alive], part.y[alive], [spec],
                                  generator=seed_of(seed, target.name, f"curve {eps:g}", str(index)))
            broken = alive[~res.robust]
            min_eps[broken.cpu().numpy()] = eps
            alive = alive[res.robust]
        counts.append(len(alive))
    return counts, min_eps


def curve(target: Target, grid: Sequence[float], *, seed: int) -> Curve:
    """The target's accuracy-perturbation curve over the L-inf ``grid`` (all parts joined)."""
    eps = tuple(sorted(float(e) for e in grid))
    if not eps or eps[0] <= 0:
        raise ValueError(f"grid must hold radii > 0, got {list(grid)}")
    parts = [_curve_part(target, p, eps, seed, i) for i, p in enumerate(target.parts)]
    robust = tuple(int(sum(c[j] for c, _ in parts)) for j in range(len(eps) + 1))
    return Curve((0.0, *eps), robust, target.n, np.concatenate([m for _, m in parts]))


def _l2(res: AttackResult, x: Tensor) -> Tensor:
    d = (res.x_adv - x).flatten(1).norm(dim=1)
    return torch.where(res.success, d, torch.full_like(d, torch.inf))


def minimal_l2(target: Target, *, seed: int) -> np.ndarray:
    """Per clean-correct point, the smallest L2 perturbation DeepFool or C&W found (inf: none);
    clean mistakes are left out. All parts joined."""
    s, out = target.settings, []
    for part in target.parts:
        with torch.no_grad():
            ok = part.model(part.x).argmax(1) == part.y
        x, y = part.x[ok], part.y[ok]
        if not len(x):
            continue
        best = torch.full((len(x),), torch.inf, device=x.device)
        runs = {"deepfool": partial(deepfool, candidates=min(target.n_classes, 10)),
                "cw": partial(cw_l2, binary_steps=s.cw_binary, steps=s.cw_steps)}
        for name in s.minimal:
            attack = runs[name]
            res = (attack(part.model, x, y) if part.attacked is None else
                   transfer(part.model, x, y, source=part.attacked, attack=attack))
            best = torch.minimum(best, _l2(res, x))
        out.append(best.cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


def median_l2(per_point: np.ndarray) -> float:
    """Median of the minimal L2 perturbations (inf when more than half were never turned; nan if none)."""
    return float(np.median(per_point)) if len(per_point) else math.nan


__all__ = ["Curve", "curve", "median_l2", "minimal_l2"]
