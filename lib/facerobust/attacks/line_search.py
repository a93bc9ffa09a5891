"""Magnitude of an attack direction: doubling line search + bisection (Rozsa et al. 2016, Sec. III).

Given a direction ``d`` (``max |d| = 1``, in grey levels per unit weight) the step weight ``w``
doubles -- ``w0, 2 w0, 4 w0, ...`` up to ``w_max`` -- until the decision flips; bisection inside
the last interval ``(w/2, w]`` then finds the smallest flipping weight to within ``tol``.
Every trial image is ``clip(round(255 x + w d), 0, 255) / 255``: integer grey levels, exactly
as the paper's adversarial images (a pair that does not flip returns its original image).
Everything is batched over samples *and* attributes:
``x`` is (N, A, C, H, W) (or (N, C, H, W) for a single-attribute model), one search per pair,
and samples whose searches have all ended are no longer evaluated. Used by chapters 02-03.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ..validation import check_batch, check_scalar
from .base import AttackResult


def perturb(x255: Tensor, d: Tensor, w: Tensor) -> Tensor:
    """Trial images in [0, 1]: ``clip(round(x255 + w d), 0, 255) / 255``; ``w`` (N, A)."""
    return (x255 + w[..., None, None, None] * d).round_().clamp_(0, 255).div_(255)


def line_search(
    scores: Callable[[Tensor], Tensor],
    x: Tensor,
    d: Tensor,
    *,
    w0: float = 1.0,
    w_max: float = 256.0,
    tol: float = 0.25,
) -> AttackResult:
    """Smallest weight ``w`` (within ``tol``) for which ``sign(f(x255 + w d))`` flips (Sec. III).

    Trial images are ``clip(round(255 x + w d), 0, 255) / 255``; ``w`` doubles from ``w0`` up to
    ``w_max`` until the decision flips, then bisection in the last interval.

    Args:
        scores: maps (n, A, C, H, W) -> (n, A) finite real scores ``f`` (decision = sign).
        x: (N, A, C, H, W) (or (N, C, H, W): one attribute) float32 in [0, 1].
        d: direction of the shape of ``x``, finite, ``max |d| = 1`` per pair (grey levels per unit).
        w0, w_max, tol: finite, ``0 < w0 <= w_max``, ``tol > 0``.
    Returns:
        :class:`AttackResult` with ``x_adv`` of the shape of ``x`` (the flipping image, or the
        original ``x`` where no weight up to ``w_max`` flips), ``success`` (N, A) (or (N,)) =
        decision differs from the clean one on re-classification, ``info``: ``weight`` (NaN where
        no flip) and ``queries`` (int64: forward evaluations of each pair), both shaped as ``success``.

    Example::

        res = line_search(lambda z: score_of(bank(z)), x5, d, w_max=256.0)
        print(res.success.float().mean(), res.info["weight"].nanmean())
    """
    single = isinstance(x, Tensor) and x.ndim == 4
    if single:
        x, d = x.unsqueeze(1), d.unsqueeze(1)
    if not isinstance(x, Tensor) or not isinstance(d, Tensor) or x.ndim != 5 or d.shape != x.shape:
        raise ValueError(f"x and d must both be (N, A, C, H, W); got {getattr(x, 'shape', x)} and "
                         f"{getattr(d, 'shape', d)}")
    check_batch(x.flatten(0, 1))
    if not d.is_floating_point() or not bool(torch.isfinite(d).all()):
        raise ValueError("d: the direction must be a finite float tensor")
    w0 = check_scalar(w0, "w0", lo=0.0, lo_open=True)
    w_max = check_scalar(w_max, "w_max", lo=w0)
    tol = check_scalar(tol, "tol", lo=0.0, lo_open=True)
    x_adv, success, info = _search(scores, x.detach(), d.detach(), w0, w_max, tol)
    if single:
        x_adv, success = x_adv.squeeze(1), success.squeeze(1)
        info = {k: v.squeeze(1) for k, v in info.items()}
    return AttackResult(x_adv, success, info)


def _finite_scores(scores: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    f = scores(z)
    ok = isinstance(f, Tensor) and tuple(f.shape) == tuple(z.shape[:2])
    if not ok or not bool(torch.isfinite(f).all()):
        got = tuple(f.shape) if isinstance(f, Tensor) else type(f).__name__
        raise ValueError(f"scores must map (n, A, ...) to finite (n, A) values, got {got} (NaN output?)")
    return f


def _search(scores: Callable[[Tensor], Tensor], x: Tensor, d: Tensor, w0: float, w_max: float,
            tol: float) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    x255 = (x * 255).round()
    n, a = x.shape[:2]
    dev = x.device
    with torch.no_grad():
        c0 = _finite_scores(scores, x255 / 255) > 0
        lo, hi = torch.zeros(n, a, device=dev), torch.full((n, a), math.nan, device=dev)
        queries = torch.ones(n, a, dtype=torch.int64, device=dev)

        def flips(w: Tensor, rows: Tensor) -> Tensor:
            queries[rows] += 1
            return (_finite_scores(scores, perturb(x255[rows], d[rows], w[rows])) > 0) != c0[rows]

        w = torch.full((n, a), float(w0), device=dev)
        for _ in range(int(math.floor(math.log2(w_max / w0))) + 1):
            open_ = hi.isnan()
            rows = open_.any(1).nonzero().squeeze(1)
            if len(rows) == 0:
                break
            f = flips(w, rows) & open_[rows]
            hi[rows] = torch.where(f, w[rows], hi[rows])
            lo[rows] = torch.where(open_[rows] & ~f, w[rows], lo[rows])
            w = w * 2
        found = ~hi.isnan()
        width = float((hi - lo)[found].max()) if found.any() else 0.0
        rows = found.any(1).nonzero().squeeze(1)
        for _ in range(max(0, math.ceil(math.log2(max(width, tol) / tol)))):
            mid = (lo + hi) / 2
            f = flips(torch.where(found, mid, hi.nan_to_num(0)), rows) & found[rows]
            hi[rows] = torch.where(f, mid[rows], hi[rows])
            lo[rows] = torch.where(found[rows] & ~f, mid[rows], lo[rows])
        x_try = torch.where(found[..., None, None, None], perturb(x255, d, hi.nan_to_num(0)), x255 / 255)
        success = (_finite_scores(scores, x_try) > 0) != c0
        queries += 1
        x_adv = torch.where(success[..., None, None, None], x_try, x)
    return x_adv, success, {"weight": hi, "queries": queries}
