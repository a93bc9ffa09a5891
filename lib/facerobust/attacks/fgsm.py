"""FGSM (Goodfellow et al.) and RAND+FGSM (Tramer et al.), Eqs. (5.1)-(5.3) of the Defense-GAN chapter.

Untargeted, L-infinity, one gradient step on the cross-entropy of the given labels, clipped to
[0, 1]. The model may be any differentiable ``nn.Module`` -- a bare classifier, a substitute,
or a classifier behind :class:`facerobust.defenses.defense_gan.DefenseGAN` (white-box).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import AttackResult, check_batch


def _input_grad(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    (g,) = torch.autograd.grad(loss, x)
    return g


def _result(model: nn.Module, x_adv: Tensor, y: Tensor, **info: object) -> AttackResult:
    with torch.no_grad():
        pred = model(x_adv).argmax(1)
    return AttackResult(x_adv.detach(), pred != y, {"pred": pred, **info})


def _check(model: nn.Module, x: Tensor, y: Tensor, eps: float) -> None:
    check_batch(x)
    if y.shape != (len(x),) or y.dtype != torch.int64:
        raise ValueError(f"labels must be int64 of shape ({len(x)},), got {y.dtype} {tuple(y.shape)}")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"eps must lie in [0, 1], got {eps}")


def fgsm(model: nn.Module, x: Tensor, y: Tensor, eps: float) -> AttackResult:
    """x_adv = clip(x + eps * sign(grad_x CE(model(x), y)), 0, 1); success = label changed.

    ``success`` is judged by re-classifying ``x_adv`` with ``model`` itself; in a transfer
    (black-box) attack, judge the target separately.
    """
    _check(model, x, y, eps)
    model.eval()
    x_adv = (x + eps * _input_grad(model, x, y).sign()).clamp(0.0, 1.0)
    return _result(model, x_adv, y, eps=eps)


def rand_fgsm(model: nn.Module, x: Tensor, y: Tensor, eps: float, alpha: float = 0.05,
              generator: torch.Generator | None = None) -> AttackResult:
    """RAND+FGSM: x' = clip(x + alpha * sign(N(0, I))), then FGSM with eps - alpha from x'."""
    _check(model, x, y, eps)
    if not 0.0 <= alpha < eps:
        raise ValueError(f"RAND+FGSM needs 0 <= alpha < eps, got alpha={alpha}, eps={eps}")
    model.eval()
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    x1 = (x + alpha * noise.sign()).clamp(0.0, 1.0)
    x_adv = (x1 + (eps - alpha) * _input_grad(model, x1, y).sign()).clamp(0.0, 1.0)
    return _result(model, x_adv, y, eps=eps, alpha=alpha)
