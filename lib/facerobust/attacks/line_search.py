"""Magnitude of an attack direction: doubling line search + bisection (Rozsa et al. 2016, Sec. III).

Given a direction ``d`` (max |d| = 1, in grey levels per unit weight) the step weight ``w``
doubles -- ``w0, 2 w0, 4 w0, ...`` up to ``w_max`` -- until the decision flips; bisection inside
the last interval ``(w/2, w]`` then finds the smallest flipping weight to within ``tol``.
Every trial image is ``clip(round(255 x + w d), 0, 255) / 255``: integer grey levels, exactly
as the paper's adversarial images. Everything is batched over samples *and* attributes:
``x`` is (N, A, C, H, W) (or (N, C, H, W) for a single-attribute model), one search per pair,
and samples whose searches have all ended are no longer evaluated. Used by chapters 02-03.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from .base import AttackResult, check_batch


def perturb(x255: Tensor, d: Tensor, w: Tensor) -> Tensor:
    """Trial images in [0, 1]: ``clip(round(x255 + w d), 0, 255) / 255``; ``w`` (N, A)."""
    return (x255 + w[..., None, None, None] * d).round_().clamp_(0, 255).div_(255)


def line_search(
    scores: Callable[[Tensor], Tensor],
    x: Tensor,
    d: Tensor,
    w0: float = 1.0,
    w_max: float = 256.0,
    tol: float = 0.25,
) -> AttackResult:
    """Smallest weight ``w`` (within ``tol``) for which ``sign(scores(x + w d))`` flips.

    ``scores`` maps (n, A, C, H, W) -> (n, A) real scores ``f`` (decision = sign). Returns an
    :class:`AttackResult` whose ``x_adv`` is (N*A, C, H, W) (pair-major, attribute minor;
    (N, C, H, W) for 4-D input), ``success`` (N*A,) = decision differs from the clean one on
    re-classification, and ``info``: ``weight`` (N*A,) (NaN where no flip up to ``w_max``),
    ``shape`` (N, A) and ``queries`` (forward passes of the whole batch).
    """
    single = x.ndim == 4
    if single:
        x, d = x.unsqueeze(1), d.unsqueeze(1)
    if x.ndim != 5 or d.shape != x.shape:
        raise ValueError(f"x and d must both be (N, A, C, H, W); got {tuple(x.shape)} and {tuple(d.shape)}")
    check_batch(x.flatten(0, 1))
    if not (0 < w0 <= w_max) or tol <= 0:
        raise ValueError("need 0 < w0 <= w_max and tol > 0")
    x255 = (x.detach() * 255).round()
    n, a = x.shape[:2]
    with torch.no_grad():
        c0 = scores(x255 / 255) > 0
        lo, hi = torch.zeros(n, a), torch.full((n, a), math.nan)
        queries = 0

        def flips(w: Tensor, rows: Tensor) -> Tensor:
            nonlocal queries
            queries += 1
            return (scores(perturb(x255[rows], d[rows], w[rows])) > 0) != c0[rows]

        w = torch.full((n, a), float(w0))
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
        x_adv = torch.where(found[..., None, None, None], perturb(x255, d, hi.nan_to_num(0)), x255 / 255)
        success = (scores(x_adv) > 0) != c0
    shape = (n, a)
    flat = x_adv if not single else x_adv.squeeze(1)
    return AttackResult(
        flat.reshape(-1, *x.shape[2:]),
        success.reshape(-1),
        {"weight": hi.reshape(-1), "shape": shape, "queries": queries + 2},
    )
