"""Carlini-Wagner L2 attack (Carlini & Wagner 2017), batched, with a binary search over ``c``.

Minimises ``||x' - x||_2^2 + c * f(x')`` over ``x' = (tanh(w) + 1) / 2`` (the tanh change of
variables keeps ``x'`` in the box [0, 1] without clipping), where ``f`` is the margin loss
``max(Z_y - max_{j != y} Z_j + kappa, 0)`` (untargeted) or ``max(max_{j != t} Z_j - Z_t + kappa, 0)``
(targeted). Each sample has its own ``c``, found by a batched binary search.

Used by the K-anonymity chapter (baseline, ``notebooks/09_k_anonymity.py``) and by the
Defense-GAN chapter. Contract: :mod:`.base`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..validation import check_int, check_scalar
from .base import X_LAST, AttackResult, classify, prepare, untouched


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


@untouched
def cw_l2(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    c: float = 1.0,
    kappa: float = 0.0,
    binary_steps: int = 5,
    steps: int = 100,
    lr: float = 0.05,
    abort_early: bool = True,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """Carlini-Wagner L2: ``min ||x' - x||_2^2 + c * f(x')`` over ``x' = (tanh(w) + 1) / 2``.

    ``f`` is the margin loss above (untargeted: away from ``y``; targeted: toward ``y``); each
    sample's ``c`` is found by ``binary_steps`` rounds of ``steps`` Adam iterations at rate ``lr``.
    The default ``lr`` is above Carlini's 0.01 because images with many pixels at exactly 0 or
    1 (MNIST) sit where tanh is flat and barely move in a few hundred steps at 0.01.

    Args:
        model: differentiable classifier (N, C, H, W) -> logits (N, K).
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 true labels (default: the
        prediction) or, with ``targeted=True``, the targets. ``c`` > 0 (initial constant),
        ``kappa`` >= 0 (confidence), ``binary_steps``, ``steps`` >= 1, ``lr`` > 0, all finite.
        ``generator``: unused (deterministic).
    Returns:
        :class:`AttackResult`: the smallest-L2 adversarial found per sample (the original where
        none, ``success`` False), ``success`` by re-classification; ``info``: ``c`` (N,) the
        constant that gave it (NaN where none), ``l2`` (N,) (inf where none), ``x_last``
        (N, C, H, W) the best image found (= ``x`` where none).

    Example::

        res = cw_l2(model, x, runner_up, targeted=True, binary_steps=5, steps=100)
        print(res.rate, res.info["l2"][res.success].median())
    """
    c = check_scalar(c, "c", lo=0.0, lo_open=True)
    kappa = check_scalar(kappa, "kappa", lo=0.0)
    check_int(binary_steps, "binary_steps", lo=1)
    check_int(steps, "steps", lo=1)
    lr = check_scalar(lr, "lr", lo=0.0, lo_open=True)
    x, y, _ = prepare(model, x, y, targeted)
    with torch.enable_grad():
        return _cw(model, x, y, targeted, c, kappa, binary_steps, steps, lr, abort_early)


def _cw(model: nn.Module, x: Tensor, label: Tensor, targeted: bool, c: float, kappa: float,
        binary_steps: int, steps: int, lr: float, abort_early: bool) -> AttackResult:
    n, dev = len(x), x.device
    w0 = torch.atanh((2 * x - 1).clamp(-1 + 1e-6, 1 - 1e-6))
    const = torch.full((n,), float(c), dtype=x.dtype, device=dev)
    lower = torch.zeros(n, dtype=x.dtype, device=dev)
    upper = torch.full((n,), 1e10, dtype=x.dtype, device=dev)
    best_l2 = torch.full((n,), torch.inf, dtype=x.dtype, device=dev)
    best_x = x.clone()
    best_c = torch.full((n,), torch.nan, dtype=x.dtype, device=dev)
    for _ in range(binary_steps):
        w = w0.clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=lr)
        found = torch.zeros(n, dtype=torch.bool, device=dev)
        prev = torch.inf
        for it in range(steps):
            xa = (torch.tanh(w) + 1) / 2
            logits = classify(model, xa)
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
        success = _succeeded(classify(model, best_x), label, targeted, 0.0) & torch.isfinite(best_l2)
    x_adv = torch.where(success[:, None, None, None], best_x, x)
    l2_out = torch.where(success, (x_adv - x).flatten(1).norm(dim=1), torch.full_like(best_l2, torch.inf))
    return AttackResult(x_adv.detach(), success, {"c": best_c, "l2": l2_out, X_LAST: best_x.detach()})
