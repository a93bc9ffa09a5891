"""Projected gradient descent (Madry et al. 2018), L-inf and L2, with random restarts.

From a random point of the ``eps``-ball (or ``x`` itself), ``steps`` steps of size ``step_size``
along the steepest-ascent direction of a loss, each followed by the projection onto the ball
within [0, 1] (:mod:`.lp`). All restarts of all samples are one batch (:mod:`.rows`): a sample
leaves it at the first iterate that is misclassified (reaches the target), which is what it
returns; a sample that never succeeds returns, in ``info["x_last"]``, the final iterate of its
restart with the highest final loss (the best restart). With one step, no random start and
``step_size = eps`` it is FGSM (:mod:`.fgsm`). Contract: :mod:`.base`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..validation import check_choice, check_int, check_scalar
from . import losses, lp
from .base import X_LAST, AttackResult, classify, decide, finish, prepare, untouched
from .rows import Rows


def loss_and_grad(model: nn.Module, x: Tensor, fn: losses.Objective, y: Tensor,
                  backward: bool = True) -> tuple[Tensor, Tensor, Tensor | None]:
    """Logits (N, K) of ``model`` at ``x``, the per-sample objective ``fn(logits, y)`` (N,) and its
    input gradient (N, ...) (``None`` without ``backward``: a forward pass only)."""
    if not backward:
        with torch.no_grad():
            z = classify(model, x)
            return z, fn(z, y), None
    xg = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z = classify(model, xg)
        v = fn(z, y)
        (g,) = torch.autograd.grad(v.sum(), xg)
    return z.detach(), v.detach(), g


@untouched
def pgd(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    eps: float,
    norm: str = "Linf",
    steps: int,
    step_size: float,
    restarts: int = 1,
    random_start: bool = True,
    loss: str = "ce",
    generator: torch.Generator | None = None,
) -> AttackResult:
    """PGD: ``x_{k+1} = P_{B_p(x, eps) ∩ [0,1]}(x_k ± step_size * d_p(grad_x L(model(x_k), y)))``.

    ``d_p`` is ``sign`` (L-inf) or ``g / ||g||_2`` (L2); ``+`` untargeted (ascend the loss ``L`` of
    the true label), ``-`` targeted (descend it for the target); ``L`` is cross-entropy or the C&W
    margin (:mod:`.losses`); ``x_0`` is uniform in the ball (``random_start``) or ``x``.

    Args:
        model: differentiable classifier (N, C, H, W) -> logits (N, K); used in its current mode.
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 true labels (default: the
        prediction) or, with ``targeted=True``, the targets. ``eps`` >= 0 (L-inf: <= 1),
        ``norm`` "Linf" or "L2", ``steps`` >= 1, ``step_size`` > 0, ``restarts`` >= 1,
        ``loss`` "ce" or "margin", ``generator`` for the random starts (drawn on its device).
    Returns:
        :class:`AttackResult`; ``info``: ``x_last`` (N, C, H, W) the first successful iterate, or
        for a failed sample the final iterate of its best restart; ``queries`` / ``gradients``
        (N,) int64 forward / backward passes spent on each sample (the clean check and the final
        re-classification included).

    Example::

        res = pgd(model, x, y, eps=0.3, steps=40, step_size=0.01, restarts=5)
        robust = 1 - res.rate
    """
    norm, eps = lp.check_budget(norm, eps)
    check_int(steps, "steps", lo=1)
    step_size = check_scalar(step_size, "step_size", lo=0.0, lo_open=True)
    check_int(restarts, "restarts", lo=1)
    if not isinstance(random_start, bool):
        raise ValueError(f"random_start must be a bool, got {random_start!r}")
    check_choice(loss, "loss", ("ce", "margin"))
    x, y, z0 = prepare(model, x, y, targeted)
    assert z0 is not None
    info = _pgd(model, x, y, decide(z0, y, targeted), targeted, eps, norm, steps, step_size,
                restarts, random_start, losses.objective(loss, targeted), generator)
    return finish(model, x, y, targeted, info)


def _pgd(model: nn.Module, x: Tensor, y: Tensor, done: Tensor, targeted: bool, eps: float, norm: str,
         steps: int, step_size: float, restarts: int, random_start: bool, fn: losses.Objective,
         generator: torch.Generator | None) -> dict[str, Tensor]:
    rows = Rows.tile(x, done, restarts, y=y)
    x0 = rows["x0"]
    rows["x"] = lp.random_start(x0, eps, norm, generator) if random_start else x0.clone()
    for k in range(steps + 1):
        if len(rows) == 0:
            break
        z, rows["score"], g = loss_and_grad(model, rows["x"], fn, rows["y"], backward=k < steps)
        rows.count(backward=g is not None)
        if g is not None:
            rows["g"] = g
        rows.hit(decide(z, rows["y"], targeted), rows["x"])
        if k < steps and len(rows):
            rows["x"] = lp.project(rows["x"] + step_size * lp.ascent(rows["g"], norm), rows["x0"], eps, norm)
    x_last = rows.best(rows["score"], rows["x"])[0] if len(rows) else rows.x_hit
    return {X_LAST: x_last.detach(), "queries": rows.queries + 2, "gradients": rows.gradients}


__all__ = ["loss_and_grad", "pgd"]
