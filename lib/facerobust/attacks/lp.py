"""The geometry of a bounded attack: the L-inf or L2 ball of radius ``eps`` around ``x0``, cut by
the pixel box [0, 1].

* ``project(x, x0)``: the nearest point of ``{x' : ||x' - x0||_p <= eps} ∩ [0, 1]^D`` for L-inf
  (clip to ``x0 ± eps``, then to [0, 1]: exact, the set is a box) and the ball then the box for L2
  (``x0 + delta * min(1, eps / ||delta||_2)`` then clip; clipping toward ``x0`` in [0, 1] only
  shortens ``delta``, so the result stays in the ball);
* ``ascent(g)``: the steepest-ascent direction of unit norm for the norm, ``sign(g)`` (L-inf) or
  ``g / ||g||_2`` (L2);
* ``random_start(x0)``: uniform in the L-inf ball, or uniform in the L2 ball; clipped to [0, 1].

Seeded draws (:func:`uniform`, :func:`normal`, :func:`integers`) are made on the generator's
device, then moved to the images' device: a CPU generator then drives an attack on a GPU, with the
same numbers on every device.

Used by :mod:`.pgd`, :mod:`.apgd` and :mod:`.square`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..validation import check_choice, check_scalar

NORMS = ("Linf", "L2")


def check_budget(norm: object, eps: object) -> tuple[str, float]:
    """A norm name in :data:`NORMS` and a finite ``eps >= 0`` (L-inf: at most 1); returns them."""
    name = check_choice(norm, "norm", NORMS)
    return name, check_scalar(eps, "eps", lo=0.0, hi=1.0 if name == "Linf" else None)


def _view(v: Tensor, like: Tensor) -> Tensor:
    return v.view(-1, *[1] * (like.ndim - 1))


def norms(delta: Tensor, norm: str) -> Tensor:
    """Per-sample ``||delta||_p`` (N,) for ``norm`` in :data:`NORMS`."""
    flat = delta.flatten(1)
    return flat.abs().amax(1) if norm == "Linf" else flat.norm(dim=1)


def project(x: Tensor, x0: Tensor, eps: float | Tensor, norm: str) -> Tensor:
    """Nearest point to ``x`` in the ``eps``-ball around ``x0`` within [0, 1] (see the module doc)."""
    if norm == "Linf":
        return torch.minimum(torch.maximum(x, x0 - eps), x0 + eps).clamp_(0.0, 1.0)
    delta = x - x0
    scale = (eps / norms(delta, "L2").clamp_min(1e-12)).clamp(max=1.0)
    return (x0 + delta * _view(scale, x)).clamp_(0.0, 1.0)


def ascent(g: Tensor, norm: str) -> Tensor:
    """Unit-norm steepest-ascent direction: ``sign(g)`` (L-inf) or ``g / ||g||_2`` (L2; 0 for g = 0)."""
    if norm == "Linf":
        return g.sign()
    return g / _view(norms(g, "L2") + 1e-12, g)


def _device(generator: torch.Generator | None, like: Tensor) -> torch.device:
    return generator.device if generator is not None else like.device


def uniform(shape: tuple[int, ...], like: Tensor, generator: torch.Generator | None) -> Tensor:
    """U[0, 1) draws of ``shape`` (dtype and device of ``like``)."""
    dev = _device(generator, like)
    return torch.rand(shape, generator=generator, dtype=like.dtype, device=dev).to(like.device)


def normal(shape: tuple[int, ...], like: Tensor, generator: torch.Generator | None) -> Tensor:
    """N(0, 1) draws of ``shape`` (dtype and device of ``like``)."""
    dev = _device(generator, like)
    return torch.randn(shape, generator=generator, dtype=like.dtype, device=dev).to(like.device)


def integers(high: int, shape: tuple[int, ...], like: Tensor, generator: torch.Generator | None) -> Tensor:
    """Integers uniform in [0, high) of ``shape`` (int64, on the device of ``like``)."""
    dev = _device(generator, like)
    return torch.randint(0, high, shape, generator=generator, device=dev).to(like.device)


def random_start(x0: Tensor, eps: float, norm: str, generator: torch.Generator | None) -> Tensor:
    """A point drawn uniformly from the ``eps``-ball around ``x0``, clipped to [0, 1].

    L2: a Gaussian direction scaled to radius ``eps * u^(1/D)``, ``u ~ U(0, 1)``, ``D`` = pixels."""
    if norm == "Linf":
        return (x0 + eps * (2 * uniform(tuple(x0.shape), x0, generator) - 1)).clamp_(0.0, 1.0)
    d = normal(tuple(x0.shape), x0, generator)
    r = uniform((len(x0),), x0, generator) ** (1 / x0[0].numel())
    return (x0 + ascent(d, "L2") * _view(eps * r, x0)).clamp_(0.0, 1.0)


__all__ = ["NORMS", "ascent", "check_budget", "integers", "normal", "norms", "project", "random_start",
           "uniform"]
