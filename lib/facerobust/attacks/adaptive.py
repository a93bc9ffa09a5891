"""Adaptive-attack wrappers (Athalye, Carlini & Wagner 2018): EOT and BPDA, as models.

* :func:`eot` (Expectation over Transformation): a randomised model ``f`` (random input
  transformations, dropout at test time, a random projection) becomes its average over ``n``
  draws, ``f_bar(x) = (1/n) sum_i f(x; omega_i)``, whose gradient is the average of the draws'
  gradients; an attack on ``f_bar`` follows the expected output instead of one draw's noise.
* :func:`bpda` (Backward Pass Differentiable Approximation): a preprocessor ``g`` that is not
  differentiable, or whose gradient is useless or costly (Defense-GAN's projection runs hundreds of
  inner gradient steps), runs on the forward pass, while the backward pass uses a differentiable
  approximation ``h`` with ``h(x) ≈ g(x)`` (identity by default: the projection returns an image
  close to its input). ``nn.Sequential(bpda(projection), classifier)`` is then attacked end to end
  at the cost of a forward pass of ``g`` and a backward pass of the classifier.

Both are ``nn.Module`` s, so every attack of the library takes them as the model.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..validation import check_int


class EOT(nn.Module):
    """``forward(x) = mean_i model(x)`` over ``n`` independent calls (draws) of ``model``."""

    def __init__(self, model: nn.Module, n: int) -> None:
        super().__init__()
        self.model = model
        self.draws = check_int(n, "n", lo=1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.model(x)
        for _ in range(self.draws - 1):
            out = out + self.model(x)
        return out / self.draws


class BPDA(nn.Module):
    """``forward(x) = preprocessor(x)``; gradient ``d approx(x) / dx`` (identity when ``approx`` is None)."""

    def __init__(self, preprocessor: Callable[[Tensor], Tensor],
                 approx: Callable[[Tensor], Tensor] | None = None) -> None:
        super().__init__()
        self.preprocessor = preprocessor
        self.approx = approx

    def forward(self, x: Tensor) -> Tensor:
        out = self.preprocessor(x.detach()).detach()
        if not (torch.is_grad_enabled() and x.requires_grad):
            return out
        a = x if self.approx is None else self.approx(x)
        if a.shape != out.shape:
            raise ValueError(f"bpda: the approximation's output {tuple(a.shape)} must have the "
                             f"preprocessor's shape {tuple(out.shape)}")
        return out + (a - a.detach())  # value: exactly out (a - a = 0); gradient: d a / dx


def eot(model: nn.Module, n: int) -> EOT:
    """EOT: ``f_bar(x) = (1/n) sum_{i=1}^n f(x; omega_i)``, ``grad f_bar = (1/n) sum_i grad f(x; omega_i)``.

    Args:
        model: a randomised classifier (N, C, H, W) -> logits (N, K), used in its current mode
            (e.g. train mode for test-time dropout); each call draws fresh randomness.
        n: draws per call (>= 1); an attack's forward pass then costs ``n`` passes of ``model``
            (``EOT.draws``, which :func:`.worst_case.robust_accuracy` counts).
    Returns:
        :class:`EOT`, an ``nn.Module`` returning the mean logits (N, K).

    Example::

        res = apgd(eot(randomised_model, 20), x, y, eps=0.3, loss="ce")
        robust = 1 - res.rate
    """
    return EOT(model, n)


def bpda(preprocessor: Callable[[Tensor], Tensor], approx: Callable[[Tensor], Tensor] | None = None) -> BPDA:
    """BPDA: forward ``g(x)``, backward ``J_h(x)^T v`` with ``h = approx`` (``J_h = I`` by default).

    Args:
        preprocessor: ``g`` (N, C, H, W) -> (N, ...) any callable (an ``nn.Module`` is registered
            as a submodule); run on a detached input, so no graph is built through it.
        approx: differentiable ``h`` with the output shape of ``g``; ``None`` = identity (then
            ``g`` must keep the input's shape).
    Returns:
        :class:`BPDA`, an ``nn.Module`` whose output equals ``g(x)`` exactly.

    Example::

        model = nn.Sequential(bpda(DefenseGAN(G, L=200, R=10)), classifier)
        res = pgd(model, x, y, eps=0.3, steps=40, step_size=0.01)
    """
    return BPDA(preprocessor, approx)


__all__ = ["BPDA", "EOT", "bpda", "eot"]
