"""Szegedy et al.'s box-constrained L-BFGS attack (Eq. 1 of Mygdalis et al.), batched.

For a target ``t`` it minimises ``c * ||p||_2 + CE(f(x + p), t)`` subject to ``x + p`` in [0, 1]
with SciPy's L-BFGS-B (a true box-constrained L-BFGS, as in the original paper). A line search
over ``c`` (per sample: multiply by 10 until bracketed, then bisect geometrically) keeps the
largest ``c`` -- i.e. the smallest perturbation -- for which the minimiser reaches the target.
All images are optimised in one L-BFGS-B run on the sum of their (independent) objectives,
each with its own ``c``.

Used by the K-anonymity chapter (``notebooks/06_k_anonymity.py``) as a baseline.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import minimize
from torch import Tensor, nn

from .base import AttackResult, check_batch


def _solve(model: nn.Module, x: Tensor, t: Tensor, c: Tensor, iters: int) -> Tensor:
    """One L-BFGS-B solve of ``sum_i c_i ||p_i|| + CE_i`` over the box; returns ``x + p``."""
    shape = x.shape
    x64 = x.double()

    def fun(p_flat: np.ndarray) -> tuple[float, np.ndarray]:
        p = torch.from_numpy(p_flat).reshape(shape).requires_grad_(True)
        xa = (x64 + p).float()
        ce = nn.functional.cross_entropy(model(xa), t, reduction="none")
        norm = (p.flatten(1).pow(2).sum(1) + 1e-12).sqrt()
        loss = (c.double() * norm).sum() + ce.double().sum()
        (g,) = torch.autograd.grad(loss, p)
        return float(loss.detach()), g.reshape(-1).numpy()

    lo = (-x64).reshape(-1).numpy()
    hi = (1 - x64).reshape(-1).numpy()
    res = minimize(
        fun,
        np.zeros(x.numel()),
        jac=True,
        method="L-BFGS-B",
        bounds=np.stack([lo, hi], 1),
        options={"maxiter": iters},
    )
    return (x64 + torch.from_numpy(res.x).reshape(shape)).float().clamp(0, 1)


def lbfgs(
    model: nn.Module,
    x: Tensor,
    target: Tensor,
    *,
    c: float = 1.0,
    search_steps: int = 6,
    iters: int = 50,
) -> AttackResult:
    """Targeted L-BFGS attack on ``x`` (N, C, H, W) in [0, 1] toward ``target`` (N,).

    ``search_steps`` solves of ``iters`` L-BFGS-B iterations each; ``info["c"]`` is the
    constant that gave each returned image (NaN where the target was never reached, in which
    case the original image is returned and ``success`` is False).
    """
    check_batch(x)
    if not isinstance(target, Tensor) or target.shape != (len(x),) or target.dtype != torch.int64:
        raise ValueError(f"target must be an int64 tensor of shape ({len(x)},)")
    if search_steps < 1 or iters < 1 or c <= 0:
        raise ValueError("search_steps and iters must be >= 1, c > 0")
    x = x.detach()
    n = len(x)
    const = torch.full((n,), float(c))
    lower = torch.zeros(n)  # largest c known to succeed (0: none yet)
    upper = torch.full((n,), torch.inf)  # smallest c known to fail (inf: none yet)
    best_x, best_l2 = x.clone(), torch.full((n,), torch.inf)
    best_c = torch.full((n,), torch.nan)
    for _ in range(search_steps):
        xa = _solve(model, x, target, const, iters)
        with torch.no_grad():
            ok = model(xa).argmax(1) == target
        l2 = (xa - x).flatten(1).norm(dim=1)
        better = ok & (l2 < best_l2)
        best_x[better], best_l2[better], best_c[better] = xa[better], l2[better], const[better]
        # success -> try a larger c (smaller perturbation); failure -> smaller c
        lower = torch.where(ok, torch.maximum(lower, const), lower)
        upper = torch.where(ok, upper, torch.minimum(upper, const))
        bracket = (lower > 0) & torch.isfinite(upper)
        const = torch.where(bracket, (lower * upper).sqrt(), torch.where(ok, const * 10, const / 10))
    with torch.no_grad():
        success = (model(best_x).argmax(1) == target) & torch.isfinite(best_l2)
    x_adv = torch.where(success[:, None, None, None], best_x, x)
    return AttackResult(x_adv, success, {"c": best_c, "l2": torch.where(success, best_l2, torch.inf)})
