"""Square Attack (Andriushchenko et al. 2020): a score-based random search, L-inf and L2.

No gradient: only forward passes under ``torch.no_grad`` (the model's backward is never called).
Each iteration changes one random square window of side ``s`` (the same position for every image
of the batch, as in the official code; signs are drawn per image and channel) and keeps the change
when the margin loss ``max_{j != y} z_j - z_y`` (targeted: ``z_t - max_{j != t} z_j``) rises, or
when the image is misclassified. The window's area is ``p`` times the image's, ``p`` halving from
``p_init`` after 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 iterations (rescaled to the
budget with ``rescale_schedule``, as torchattacks does; AutoAttack does not).

* L-inf: start from vertical stripes ``x + eps * sign`` (one sign per column and channel); a
  window is set to ``clip(x ± eps)`` with a fresh sign per channel: every iterate is a vertex of
  the ball.
* L2: start from a 5 x 5 grid of the pattern ``eta`` (two halves of concentric squares of opposite
  sign), rescaled to norm ``eps``; a step moves the perturbation's mass from a second window into
  the first, reshaped as ``eta``, and rescales the whole perturbation to norm ``eps``.

A sample stops at its first misclassified query. Contract: :mod:`.base`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..validation import check_int, check_scalar
from . import losses, lp
from .base import X_LAST, AttackResult, classify, decide, finish, prepare, untouched
from .rows import Rows

_HALVINGS = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)


def p_schedule(it: int, p_init: float, queries: int, rescale: bool) -> float:
    """Fraction ``p`` of the image a window covers at iteration ``it``."""
    if rescale:
        it = int(it / queries * 10000)
    return p_init / 2 ** sum(it > h for h in _HALVINGS)


def _rings(a: int, b: int, device: torch.device) -> Tensor:
    """``a x b`` concentric rectangles: pixel at ring distance ``d`` from the centre holds
    ``sum_{k >= d} 1 / (k + 1)^2``; unit L2 norm."""
    k = max(a // 2 + 1, b // 2 + 1)
    tail = (1.0 / torch.arange(1, k + 1, device=device) ** 2).flip(0).cumsum(0).flip(0)
    rows = (torch.arange(a, device=device) - a // 2).abs()
    cols = (torch.arange(b, device=device) - b // 2).abs()
    m = tail[torch.maximum(rows[:, None], cols[None, :])]
    return m / m.norm()


def eta(s: int, device: torch.device, flip: bool) -> Tensor:
    """The L2 window pattern (s, s): rings on the top half, minus rings on the bottom; unit norm;
    transposed when ``flip``."""
    m = torch.cat([_rings(s // 2, s, device), -_rings(s - s // 2, s, device)]) if s > 1 else \
        torch.ones(1, 1, device=device)
    m = m / m.norm()
    return m.T if flip else m


@untouched
def square(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    eps: float,
    norm: str = "Linf",
    queries: int = 5000,
    p_init: float = 0.8,
    rescale_schedule: bool = False,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """Square Attack: ``x_{k+1} = x_k + delta_k`` if ``L(x_k + delta_k) > L(x_k)``, else ``x_k``,

    ``L(x) = max_{j != y} z_j(x) - z_y(x)`` (untargeted; targeted ``z_t - max_{j != t} z_j``),
    ``delta_k`` a random square update inside the ``eps``-ball within [0, 1] (module doc).

    Args:
        model: classifier (N, C, H, W) -> logits or scores (N, K); only forward passes.
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 true labels (default: the
        prediction) or, with ``targeted=True``, the targets. ``eps`` >= 0 (L-inf: <= 1),
        ``norm`` "Linf" or "L2", ``queries`` >= 1 the search budget per sample (the starting
        point included), ``p_init`` in (0, 1], ``rescale_schedule`` (bool), ``generator`` for
        every random draw (drawn on its device).
    Returns:
        :class:`AttackResult`; ``info``: ``x_last`` (N, C, H, W) the first successful query, or
        for a failed sample its best point (highest loss); ``queries`` (N,) int64 forward passes
        spent on each sample: the search's plus the clean check and the final re-classification;
        ``gradients`` (N,) zeros (no backward pass).

    Example::

        res = square(model, x, y, eps=0.3, queries=5000)
        print(res.rate, res.info["queries"][res.success].median())
    """
    norm, eps = lp.check_budget(norm, eps)
    check_int(queries, "queries", lo=1)
    p_init = check_scalar(p_init, "p_init", lo=0.0, hi=1.0, lo_open=True)
    if not isinstance(rescale_schedule, bool):
        raise ValueError(f"rescale_schedule must be a bool, got {rescale_schedule!r}")
    x, y, z0 = prepare(model, x, y, targeted)
    assert z0 is not None
    with torch.no_grad():
        rows = Rows.tile(x, decide(z0, y, targeted), 1, y=y)
        fn = losses.objective("margin", targeted)
        start = _start_linf if norm == "Linf" else _start_l2
        _query(model, rows, fn, targeted, start(rows["x0"], eps, generator), first=True)
        for it in range(queries - 1):
            if len(rows) == 0:
                break
            p = p_schedule(it, p_init, queries, rescale_schedule)
            step = _step_linf if norm == "Linf" else _step_l2
            _query(model, rows, fn, targeted, step(rows["x0"], rows["x_best"], eps, p, generator))
        x_last = rows.best(rows["f_best"], rows["x_best"])[0] if len(rows) else rows.x_hit
        return finish(model, x, y, targeted, {X_LAST: x_last, "queries": rows.queries + 2,
                                              "gradients": rows.gradients})


def _query(model: nn.Module, rows: Rows, fn: losses.Objective, targeted: bool, x_new: Tensor,
           first: bool = False) -> None:
    """One query of every active row: keep ``x_new`` where the loss rose; drop successes."""
    z = classify(model, x_new)
    rows.count(backward=False)
    f, hit = fn(z, rows["y"]), decide(z, rows["y"], targeted)
    if first:
        rows.state.update(x_best=x_new, f_best=f)
    else:
        up = f > rows["f_best"]
        rows["f_best"] = torch.where(up, f, rows["f_best"])
        rows["x_best"] = torch.where(up.view(-1, 1, 1, 1), x_new, rows["x_best"])
    rows.hit(hit, x_new)


def _signs(shape: tuple[int, ...], like: Tensor, generator: torch.Generator | None) -> Tensor:
    """Random +-1 of ``shape`` (dtype and device of ``like``)."""
    return (2 * lp.integers(2, shape, like, generator) - 1).to(like.dtype)


def _corner(h: int, w: int, s: int, x: Tensor, generator: torch.Generator | None) -> tuple[int, int]:
    """A uniform top-left corner of an ``s x s`` window inside ``h x w``."""
    c = int(lp.integers((h - s + 1) * (w - s + 1), (1,), x, generator).item())
    return c // (w - s + 1), c % (w - s + 1)


def _start_linf(x0: Tensor, eps: float, generator: torch.Generator | None) -> Tensor:
    n, c, _, w = x0.shape
    return (x0 + eps * _signs((n, c, 1, w), x0, generator)).clamp(0.0, 1.0)


def _step_linf(x0: Tensor, x_best: Tensor, eps: float, p: float, generator: torch.Generator | None) -> Tensor:
    n, c, h, w = x0.shape
    s = min(max(round(math.sqrt(p * h * w)), 1), h, w)
    r, q = _corner(h, w, s, x0, generator)
    x_new = x_best.clone()
    win = (slice(None), slice(None), slice(r, r + s), slice(q, q + s))
    x_new[win] = (x0[win] + eps * _signs((n, c, 1, 1), x0, generator)).clamp(0.0, 1.0)
    return x_new


def _flip(x: Tensor, generator: torch.Generator | None) -> bool:
    return bool(lp.integers(2, (1,), x, generator).item())


def _start_l2(x0: Tensor, eps: float, generator: torch.Generator | None) -> Tensor:
    n, c, h, w = x0.shape
    s = max(h // 5, 1)
    delta = torch.zeros_like(x0)
    off = (h - 5 * s) // 2
    for i in range(h // s):
        for j in range(w // s):
            r, q = off + i * s, off + j * s
            if r + s <= h and q + s <= w:
                pattern = eta(s, x0.device, _flip(x0, generator))
                delta[:, :, r:r + s, q:q + s] += pattern * _signs((n, c, 1, 1), x0, generator)
    return (x0 + lp.ascent(delta, "L2") * eps).clamp(0.0, 1.0)


def _step_l2(x0: Tensor, x_best: Tensor, eps: float, p: float, generator: torch.Generator | None) -> Tensor:
    n, c, h, w = x0.shape
    s = max(round(math.sqrt(p * h * w)), 3)
    s = min(s + 1 - s % 2, h, w)  # odd, inside the image
    r1, q1 = _corner(h, w, s, x0, generator)
    r2, q2 = _corner(h, w, s, x0, generator)
    w1 = (slice(None), slice(None), slice(r1, r1 + s), slice(q1, q1 + s))
    w2 = (slice(None), slice(None), slice(r2, r2 + s), slice(q2, q2 + s))
    delta = x_best - x0
    both = torch.zeros(1, 1, h, w, dtype=torch.bool, device=x0.device)
    both[w1] = True
    both[w2] = True
    mass = (delta * both).pow(2).sum((2, 3), keepdim=True)  # per (sample, channel), both windows
    spare = (eps**2 - delta.pow(2).sum((1, 2, 3), keepdim=True)).clamp_min(0.0) / c
    old = delta[w1] / (delta[w1].pow(2).sum((2, 3), keepdim=True).sqrt() + 1e-12)
    new = eta(s, x0.device, _flip(x0, generator)) * _signs((n, c, 1, 1), x0, generator) + old
    new = new / (new.pow(2).sum((2, 3), keepdim=True).sqrt() + 1e-12) * (spare + mass).sqrt()
    delta[w2] = 0.0
    delta[w1] = new
    return (x0 + lp.ascent(delta, "L2") * eps).clamp(0.0, 1.0)


__all__ = ["eta", "p_schedule", "square"]
