"""Carlini-Wagner L2 attack (Carlini & Wagner 2017), batched, with a binary search over ``c``.

Minimises ``||x' - x||_2^2 + c * f(x')`` over ``x' = (tanh(w) + 1) / 2`` (the tanh change of
variables keeps ``x'`` in the box [0, 1] without clipping), where ``f`` is the margin loss
``max(Z_y - max_{j != y} Z_j + kappa, 0)`` (untargeted) or ``max(max_{j != t} Z_j - Z_t + kappa, 0)``
(targeted). Each sample has its own ``c``, found by a batched binary search.

Used by the K-anonymity chapter (baseline, ``notebooks/06_k_anonymity.py``) and by the
Defense-GAN chapter. Signature kept stable: ``cw_l2(model, x, y, ...) -> AttackResult``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import AttackResult, check_batch


def _margin(logits: Tensor, label: Tensor, targeted: bool, kappa: float) -> Tensor:
    """C&W's f_6: how far ``label`` is from being (targeted) / from not being (untargeted) top-1."""
    own = logits.gather(1, label[:, None]).squeeze(1)
    other = logits.masked_fill(nn.functional.one_hot(label, logits.shape[1]).bool(), -torch.inf)
    best_other = other.max(1).values
    gap = best_other - own if targeted else own - best_other
    return (gap + kappa).clamp(min=0.0)


def _succeeded(logits: Tensor, label: Tensor, targeted: bool, kappa: float) -> Tensor:
    own = logits.gather(1, label[:, None]).squeeze(1)
    other = logits.masked_fill(nn.functional.one_hot(label, logits.shape[1]).bool(), -torch.inf)
    best_other = other.max(1).values
    return own - best_other > kappa if targeted else best_other - own > kappa


def _check_labels(x: Tensor, y: Tensor, name: str) -> None:
    if not isinstance(y, Tensor) or y.shape != (len(x),) or y.dtype != torch.int64:
        raise ValueError(f"{name} must be an int64 tensor of shape ({len(x)},)")


def cw_l2(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    target: Tensor | None = None,
    c: float = 1.0,
    kappa: float = 0.0,
    binary_steps: int = 5,
    steps: int = 100,
    lr: float = 0.05,
    abort_early: bool = True,
) -> AttackResult:
    """Carlini-Wagner L2 on a batch ``x`` (N, C, H, W) in [0, 1] with true labels ``y``.

    ``target`` (N,) makes it targeted. ``c`` is the initial constant of every sample's binary
    search (``binary_steps`` rounds of ``steps`` Adam iterations at learning rate ``lr``).
    The default ``lr`` is above Carlini's 0.01 because images with many pixels at exactly 0 or
    1 (MNIST) sit where tanh is flat and barely move in a few hundred steps at 0.01.
    Returns the smallest-L2 adversarial found per sample (the original image where none was
    found, with ``success`` False); ``info`` holds ``c`` (the constant that gave it) and ``l2``.
    The success mask is recomputed by re-classifying ``x_adv``.
    """
    check_batch(x)
    _check_labels(x, y, "y")
    if target is not None:
        _check_labels(x, target, "target")
    if binary_steps < 1 or steps < 1 or c <= 0 or lr <= 0:
        raise ValueError("binary_steps and steps must be >= 1, c and lr > 0")
    targeted = target is not None
    label = target if target is not None else y
    n = len(x)
    x = x.detach()
    w0 = torch.atanh((2 * x - 1).clamp(-1 + 1e-6, 1 - 1e-6))
    const = torch.full((n,), float(c), dtype=x.dtype)
    lower = torch.zeros(n, dtype=x.dtype)
    upper = torch.full((n,), 1e10, dtype=x.dtype)
    best_l2 = torch.full((n,), torch.inf, dtype=x.dtype)
    best_x = x.clone()
    best_c = torch.full((n,), torch.nan, dtype=x.dtype)
    for _ in range(binary_steps):
        w = w0.clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=lr)
        found = torch.zeros(n, dtype=torch.bool)
        prev = torch.inf
        for it in range(steps):
            xa = (torch.tanh(w) + 1) / 2
            logits = model(xa)
            l2 = (xa - x).flatten(1).pow(2).sum(1)
            loss = (l2 + const * _margin(logits, label, targeted, kappa)).sum()
            (w.grad,) = torch.autograd.grad(loss, w)
            with torch.no_grad():
                ok = _succeeded(logits, label, targeted, kappa)
                better = ok & (l2 < best_l2)
                best_l2 = torch.where(better, l2, best_l2)
                best_x[better] = xa[better]
                best_c = torch.where(better, const, best_c)
                found |= ok
            opt.step()
            if abort_early and it % max(steps // 10, 1) == 0:
                if loss.item() > prev * 0.9999:
                    break
                prev = loss.item()
        upper = torch.where(found, torch.minimum(upper, const), upper)
        lower = torch.where(found, lower, torch.maximum(lower, const))
        const = torch.where(upper < 1e9, (lower + upper) / 2, const * 10)
    with torch.no_grad():
        success = _succeeded(model(best_x), label, targeted, 0.0) & torch.isfinite(best_l2)
    x_adv = torch.where(success[:, None, None, None], best_x, x)
    l2_out = torch.where(success, (x_adv - x).flatten(1).norm(dim=1), torch.full_like(best_l2, torch.inf))
    return AttackResult(x_adv.detach(), success, {"c": best_c, "l2": l2_out})
