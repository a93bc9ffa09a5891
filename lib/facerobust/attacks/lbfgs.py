"""Szegedy et al.'s box-constrained L-BFGS attack (Eq. 1 of Mygdalis et al.), batched.

For a target ``t`` it minimises ``c * ||p||_2 + CE(f(x + p), t)`` subject to ``x + p`` in [0, 1]
with SciPy's L-BFGS-B (a true box-constrained L-BFGS, as in the original paper). A line search
over ``c`` (per sample: multiply by 10 until bracketed, then bisect geometrically) keeps the
largest ``c`` -- i.e. the smallest perturbation -- for which the minimiser reaches the target.
All images are optimised in one L-BFGS-B run on the sum of their (independent) objectives,
each with its own ``c``.

Used by the K-anonymity chapter (``notebooks/09_k_anonymity.py``) as a baseline.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.optimize import minimize
from torch import Tensor, nn

from ..validation import check_int, check_scalar
from .base import X_LAST, AttackResult, classify, decide, prepare, untouched


def _solve(model: nn.Module, x: Tensor, t: Tensor, c: Tensor, iters: int) -> Tensor:
    """One L-BFGS-B solve of ``sum_i c_i ||p_i|| + CE_i`` over the box; returns ``x + p``."""
    shape = x.shape
    x64 = x.double()

    def fun(p_flat: np.ndarray) -> tuple[float, np.ndarray]:
        p = torch.from_numpy(p_flat).to(x.device).reshape(shape).requires_grad_(True)
        xa = (x64 + p).float()
        ce = nn.functional.cross_entropy(model(xa), t, reduction="none")
        norm = (p.flatten(1).pow(2).sum(1) + 1e-12).sqrt()
        loss = (c.double() * norm).sum() + ce.double().sum()
        value = float(loss.detach())
        if not math.isfinite(value):  # one scalar check per evaluation instead of the logits
            raise ValueError("model: output contains NaN or infinite values during the attack")
        (g,) = torch.autograd.grad(loss, p)
        return value, g.reshape(-1).cpu().numpy()

    lo = (-x64).reshape(-1).cpu().numpy()
    hi = (1 - x64).reshape(-1).cpu().numpy()
    res = minimize(
        fun,
        np.zeros(x.numel()),
        jac=True,
        method="L-BFGS-B",
        bounds=np.stack([lo, hi], 1),
        options={"maxiter": iters},
    )
    return (x64 + torch.from_numpy(res.x).to(x.device).reshape(shape)).float().clamp(0, 1)


@untouched
def lbfgs(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    c: float = 1.0,
    search_steps: int = 6,
    iters: int = 50,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """Box-constrained L-BFGS (Eq. 1 of Mygdalis et al.): ``min c ||p||_2 + CE(f(x + p), t)``,
    ``x + p`` in [0, 1], with the largest ``c`` that reaches the goal kept per sample.

    Targeted: ``t = y`` and success = ``argmax == y``. Untargeted: ``t`` = the clean runner-up
    of ``y`` and success = ``argmax != y``.

    Args:
        model: differentiable classifier (N, C, H, W) -> logits (N, K).
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 targets (``targeted=True``) or true
        labels (default: the prediction). ``c`` > 0 initial constant, ``search_steps`` solves of
        ``iters`` L-BFGS-B iterations (both >= 1). ``generator``: unused (deterministic).
    Returns:
        :class:`AttackResult` (the original image where the goal was never reached); ``info``:
        ``c`` (N,) the constant that gave each image (NaN where none), ``l2`` (N,) (inf where
        none), ``x_last`` (N, C, H, W) the best image found (= ``x`` where none).

    Example::

        res = lbfgs(model, x, runner_up, targeted=True, search_steps=6, iters=50)
        print(res.rate, res.info["l2"][res.success].mean())
    """
    c = check_scalar(c, "c", lo=0.0, lo_open=True)
    check_int(search_steps, "search_steps", lo=1)
    check_int(iters, "iters", lo=1)
    x, y, z = prepare(model, x, y, targeted)
    assert z is not None
    t = y if targeted else z.masked_fill(nn.functional.one_hot(y, z.shape[1]).bool(), -torch.inf).argmax(1)
    with torch.enable_grad():
        return _search(model, x, y, t, targeted, c, search_steps, iters)


def _search(model: nn.Module, x: Tensor, y: Tensor, t: Tensor, targeted: bool, c: float,
            search_steps: int, iters: int) -> AttackResult:
    n, dev = len(x), x.device
    const = torch.full((n,), float(c), device=dev)
    lower = torch.zeros(n, device=dev)  # largest c known to succeed (0: none yet)
    upper = torch.full((n,), torch.inf, device=dev)  # smallest c known to fail (inf: none yet)
    best_x, best_l2 = x.clone(), torch.full((n,), torch.inf, device=dev)
    best_c = torch.full((n,), torch.nan, device=dev)
    for _ in range(search_steps):
        xa = _solve(model, x, t, const, iters)
        with torch.no_grad():
            ok = decide(classify(model, xa), y, targeted)
        l2 = (xa - x).flatten(1).norm(dim=1)
        better = ok & (l2 < best_l2)
        best_x[better], best_l2[better], best_c[better] = xa[better], l2[better], const[better]
        # success -> try a larger c (smaller perturbation); failure -> smaller c
        lower = torch.where(ok, torch.maximum(lower, const), lower)
        upper = torch.where(ok, upper, torch.minimum(upper, const))
        bracket = (lower > 0) & torch.isfinite(upper)
        const = torch.where(bracket, (lower * upper).sqrt(), torch.where(ok, const * 10, const / 10))
    with torch.no_grad():
        success = decide(classify(model, best_x), y, targeted) & torch.isfinite(best_l2)
    x_adv = torch.where(success[:, None, None, None], best_x, x)
    info = {"c": best_c, "l2": torch.where(success, best_l2, torch.inf), X_LAST: best_x.detach()}
    return AttackResult(x_adv.detach(), success, info)
