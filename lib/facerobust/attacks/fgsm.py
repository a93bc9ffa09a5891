"""FGSM (Goodfellow et al.) and RAND+FGSM (Tramer et al.), Eqs. (5.1)-(5.3) of the Defense-GAN chapter.

L-infinity, one gradient step on the cross-entropy of the given labels, clipped to [0, 1]
(untargeted: up the loss of the true label; targeted: down the loss of the target). The model may
be any differentiable ``nn.Module`` -- a bare classifier, a substitute, or a classifier behind
:class:`facerobust.defenses.defense_gan.DefenseGAN` (white-box). Contract: :mod:`.base`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional

from ..validation import check_scalar
from .base import X_LAST, AttackResult, check_output, finish, prepare, untouched


def _input_grad(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        z = model(x)
        loss = functional.cross_entropy(z, check_output(z.detach(), y), reduction="sum")
        (g,) = torch.autograd.grad(loss, x)
    return g


def _step(model: nn.Module, x: Tensor, y: Tensor, eps: float, targeted: bool) -> Tensor:
    sign = -1.0 if targeted else 1.0
    return (x + sign * eps * _input_grad(model, x, y).sign()).clamp(0.0, 1.0)


@untouched
def fgsm(model: nn.Module, x: Tensor, y: Tensor | None = None, *, targeted: bool = False, eps: float,
         generator: torch.Generator | None = None) -> AttackResult:
    """FGSM, Eq. (5.1): ``x' = clip(x + eps * sign(grad_x CE(model(x), y)), 0, 1)``.

    Targeted: ``x' = clip(x - eps * sign(grad_x CE(model(x), t)), 0, 1)`` with ``y = t``.

    Args:
        model: differentiable classifier, (N, C, H, W) -> logits (N, K); used in its current mode.
        x: (N, C, H, W) float32 in [0, 1].
        y: (N,) int64 true labels (default: the model's prediction) or targets if ``targeted``.
        eps: L-inf step in [0, 1]. ``generator``: unused (one deterministic step).
    Returns:
        :class:`AttackResult`: ``x_adv`` (``x'`` where the label changed (reached the target),
        else ``x``), ``success`` by re-classifying ``x_adv``; ``info["x_last"]`` (N, C, H, W)
        the stepped image ``x'`` of every sample (what a transfer attack sends on).

    Example::

        res = fgsm(model, x, y, eps=0.3)
        acc_under_attack = 1 - res.rate
    """
    x, y, _ = prepare(model, x, y, targeted, clean=False)
    eps = check_scalar(eps, "eps", lo=0.0, hi=1.0)
    x_last = _step(model, x, y, eps, targeted)
    return finish(model, x, y, targeted, {X_LAST: x_last.detach()})


@untouched
def rand_fgsm(model: nn.Module, x: Tensor, y: Tensor | None = None, *, targeted: bool = False, eps: float,
              alpha: float = 0.05, generator: torch.Generator | None = None) -> AttackResult:
    """RAND+FGSM, Eqs. (5.2)-(5.3): ``x1 = clip(x + alpha * sign(N(0, I)))``, then FGSM with
    ``eps - alpha`` from ``x1``.

    Args: as :func:`fgsm`, plus ``alpha`` in [0, eps) and ``generator`` for the Gaussian draw
    (drawn on ``x.device``). Returns: as :func:`fgsm` (``info["x_last"]``: the stepped image).

    Example::

        g = torch.Generator().manual_seed(0)
        res = rand_fgsm(model, x, y, eps=0.3, alpha=0.05, generator=g)
    """
    x, y, _ = prepare(model, x, y, targeted, clean=False)
    eps = check_scalar(eps, "eps", lo=0.0, hi=1.0)
    alpha = check_scalar(alpha, "alpha", lo=0.0)
    if not alpha < eps:
        raise ValueError(f"RAND+FGSM needs 0 <= alpha < eps, got alpha={alpha}, eps={eps}")
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    x1 = (x + alpha * noise.sign()).clamp(0.0, 1.0)
    x_last = _step(model, x1, y, eps - alpha, targeted)
    return finish(model, x, y, targeted, {X_LAST: x_last.detach()})
