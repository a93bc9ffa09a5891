"""Auto-PGD (Croce & Hein 2020, Algorithm 1): APGD-CE, APGD-DLR and APGD-T, L-inf and L2.

PGD with momentum and a step size that adapts itself. From ``x_0`` (random in the ball),
``eta = 2 eps`` and

    z_{k+1} = P(x_k + eta * d_p(grad f(x_k)))
    x_{k+1} = P(x_k + a (z_{k+1} - x_k) + (1 - a)(x_k - x_{k-1})),  a = 1 at k = 0, then 0.75,

where ``P`` projects onto the ``eps``-ball within [0, 1] (:mod:`.lp`) and ``d_p`` is ``sign`` or
``g / ||g||_2``. At the checkpoints ``w_j`` (after ``0.22 n`` steps, then periods shrinking by
``0.03 n`` down to ``0.06 n``, as integers like the official code) the step size is halved and the
iterate reset to the best point so far ``x_max`` when (1) the loss rose in at most ``rho = 0.75``
of the period's steps, or (2) the step was not halved at the previous checkpoint and the best
loss has not improved since. The algorithm returns ``x_max``.

All restarts of all samples are one batch (:mod:`.rows`); a sample leaves it at its first
misclassified iterate. APGD-T (:func:`apgd_t`) runs the targeted DLR loss toward each of the
``n_target_classes`` highest-ranked other classes of the clean logits in turn, each on the samples
not yet misclassified, as AutoAttack does. Losses: :mod:`.losses` (DLR needs >= 3 classes,
targeted DLR >= 4; binary models take ``loss="ce"``). Contract: :mod:`.base`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..validation import check_choice, check_int, check_scalar
from . import losses, lp
from .base import X_LAST, AttackResult, decide, finish, prepare, untouched
from .pgd import loss_and_grad
from .rows import Rows


def checkpoints(steps: int) -> list[int]:
    """Iteration counts after which APGD checks its step size (the official integer schedule)."""
    period, shrink, least = max(int(0.22 * steps), 1), max(int(0.03 * steps), 1), max(int(0.06 * steps), 1)
    out, w = [], period
    while w <= steps:
        out.append(w)
        period = max(period - shrink, least)
        w += period
    return out


@untouched
def apgd(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    eps: float,
    norm: str = "Linf",
    steps: int = 100,
    restarts: int = 1,
    loss: str = "ce",
    rho: float = 0.75,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """APGD (Algorithm 1 above) on cross-entropy (APGD-CE) or DLR (APGD-DLR).

    Untargeted it ascends ``ce(z, y)`` or ``dlr(z, y) = (max_{j != y} z_j - z_y) / (z_pi1 - z_pi3)``;
    targeted (``y`` = targets ``t``) it ascends ``-ce(z, t)`` or the targeted DLR toward ``t``.

    Args:
        model: differentiable classifier (N, C, H, W) -> logits (N, K); used in its current mode.
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 true labels (default: the
        prediction) or, with ``targeted=True``, the targets. ``eps`` >= 0 (L-inf: <= 1), ``norm``
        "Linf" or "L2", ``steps`` >= 1, ``restarts`` >= 1, ``loss`` "ce" (any K >= 2) or "dlr"
        (K >= 3; targeted K >= 4: else ``ValueError``), ``rho`` in (0, 1], ``generator`` for
        the random starts (drawn on its device).
    Returns:
        :class:`AttackResult`; ``info``: ``x_last`` (N, C, H, W) the first successful iterate, or
        for a failed sample ``x_max`` of its best restart (highest loss); ``queries`` /
        ``gradients`` (N,) int64 forward / backward passes per sample (the clean check and the
        final re-classification included).

    Example::

        res = apgd(model, x, y, eps=8 / 255, loss="ce", steps=100)
        robust = 1 - res.rate
    """
    norm, eps, rho = _check(norm, eps, steps, restarts, rho)
    check_choice(loss, "loss", ("ce", "dlr"))
    x, y, z0 = prepare(model, x, y, targeted)
    assert z0 is not None
    losses.check_classes("dlr-targeted" if targeted and loss == "dlr" else loss, z0.shape[1])
    fn = losses.objective(loss, targeted)
    rows = Rows.tile(x, decide(z0, y, targeted), restarts, y=y, lab=y)
    x_last, _ = _apgd(model, rows, fn, targeted, eps, norm, steps, rho, generator)
    return finish(model, x, y, targeted, {X_LAST: x_last, "queries": rows.queries + 2,
                                          "gradients": rows.gradients})


@untouched
def apgd_t(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    eps: float,
    norm: str = "Linf",
    steps: int = 100,
    restarts: int = 1,
    n_target_classes: int = 9,
    rho: float = 0.75,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """APGD-T: untargeted, by APGD on ``dlr_targeted(z, y, t_k)`` for ``k = 1, ..., n_target_classes``,

    ``dlr_targeted(z, y, t) = (z_t - z_y) / (z_pi1 - (z_pi3 + z_pi4) / 2)``, with ``t_k`` the
    ``k``-th largest clean logit other than ``y``; target ``k`` runs (with its ``restarts``) only on
    the samples that targets ``1..k-1`` left correctly classified. Needs K >= 4 classes.

    Args:
        model, x, eps, norm, steps, restarts, rho, generator: as :func:`apgd`. ``y``: (N,) int64
        true labels (default: the prediction). ``targeted`` must be False (APGD-T picks its own
        targets; for a given target use ``apgd(..., targeted=True, loss="dlr")``).
        ``n_target_classes`` >= 1 (capped at K - 1).
    Returns:
        :class:`AttackResult` as :func:`apgd` (``x_last`` of a failed sample: the point of highest
        targeted DLR over all targets); ``queries`` / ``gradients`` summed over the targets.

    Example::

        res = apgd_t(model, x, y, eps=0.3, n_target_classes=9)
        broken = res.success
    """
    if targeted:
        raise ValueError("apgd_t is untargeted (it picks its own targets): use apgd(..., targeted=True, "
                         "loss='dlr') for a given target")
    norm, eps, rho = _check(norm, eps, steps, restarts, rho)
    check_int(n_target_classes, "n_target_classes", lo=1)
    x, y, z0 = prepare(model, x, y, False)
    assert z0 is not None
    losses.check_classes("dlr-targeted", z0.shape[1])
    ranked = z0.scatter(1, y[:, None], -torch.inf).argsort(1, descending=True)
    done, x_hit = decide(z0, y, False), x.clone()
    best = torch.full((len(x),), -torch.inf, device=x.device)
    queries = torch.full_like(y, 2)
    gradients = torch.zeros_like(y)
    for k in range(min(n_target_classes, z0.shape[1] - 1)):
        lab = torch.stack([y, ranked[:, k]], 1)
        rows = Rows.tile(x, done, restarts, y=y, lab=lab)
        x_k, s_k = _apgd(model, rows, lambda z, lab: losses.dlr_targeted(z, lab[:, 0], lab[:, 1]), False,
                         eps, norm, steps, rho, generator)
        better = (rows.done & ~done) | (~rows.done & (s_k > best))
        x_hit[better], best[better] = x_k[better], s_k[better]
        done, queries, gradients = rows.done, queries + rows.queries, gradients + rows.gradients
    return finish(model, x, y, False, {X_LAST: x_hit, "queries": queries, "gradients": gradients})


def _check(norm: object, eps: object, steps: object, restarts: object,
           rho: object) -> tuple[str, float, float]:
    name, e = lp.check_budget(norm, eps)
    check_int(steps, "steps", lo=1)
    check_int(restarts, "restarts", lo=1)
    return name, e, check_scalar(rho, "rho", lo=0.0, hi=1.0, lo_open=True)


def _apgd(model: nn.Module, rows: Rows, fn: losses.Objective, targeted: bool, eps: float, norm: str,
          steps: int, rho: float, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """Run Algorithm 1 on ``rows`` (state ``x0``, ``y`` for success, ``lab`` for ``fn``); returns
    per sample its successful image or best point, and that point's loss (-inf where none)."""
    none = rows.x_hit.new_empty(0)
    if len(rows) == 0:
        return rows.best(none, none)
    rows["x"] = lp.random_start(rows["x0"], eps, norm, generator)
    _evaluate(model, rows, fn, targeted, first=2 * eps)
    marks, last = set(checkpoints(steps)), 0
    for i in range(steps):
        if len(rows) == 0:
            break
        xk, a = rows["x"], 1.0 if i == 0 else 0.75
        z = lp.project(xk + rows["eta"].view(-1, 1, 1, 1) * lp.ascent(rows["g"], norm), rows["x0"], eps, norm)
        rows["x"] = lp.project(xk + a * (z - xk) + (1 - a) * (xk - rows["x_prev"]), rows["x0"], eps, norm)
        rows["x_prev"] = xk
        _evaluate(model, rows, fn, targeted)
        if i + 1 in marks and len(rows):
            _checkpoint(rows, rho * (i + 1 - last))
            last = i + 1
    return rows.best(rows["f_best"], rows["x_best"]) if len(rows) else rows.best(none, none)


def _evaluate(model: nn.Module, rows: Rows, fn: losses.Objective, targeted: bool,
              first: float | None = None) -> None:
    """Loss and gradient at the rows' iterate; update the best point and the rise counter; drop hits.
    ``first``: the initial step size (at ``x_0``, where the per-row state starts)."""
    z, f, g = loss_and_grad(model, rows["x"], fn, rows["lab"])
    assert g is not None
    rows.count(backward=True)
    if first is not None:
        n = len(f)
        rows.state.update(x_prev=rows["x"], f_best=f, x_best=rows["x"], g_best=g, f_check=f,
                          eta=torch.full((n,), first, dtype=f.dtype, device=f.device),
                          rises=torch.zeros(n, dtype=f.dtype, device=f.device),
                          halved=torch.ones(n, dtype=torch.bool, device=f.device))
    else:
        rows["rises"] = rows["rises"] + (f > rows["f"])
        up = f > rows["f_best"]
        rows["f_best"] = torch.where(up, f, rows["f_best"])
        rows["x_best"] = torch.where(up.view(-1, 1, 1, 1), rows["x"], rows["x_best"])
        rows["g_best"] = torch.where(up.view(-1, 1, 1, 1), g, rows["g_best"])
    rows["f"], rows["g"] = f, g
    rows.hit(decide(z, rows["y"], targeted), rows["x"])


def _checkpoint(rows: Rows, threshold: float) -> None:
    """Halve the step and restart from ``x_max`` where the loss oscillated or stalled."""
    stalled = ~rows["halved"] & (rows["f_check"] >= rows["f_best"])
    halve = (rows["rises"] <= threshold) | stalled
    rows["eta"] = torch.where(halve, rows["eta"] / 2, rows["eta"])
    h = halve.view(-1, 1, 1, 1)
    rows["x"] = torch.where(h, rows["x_best"], rows["x"])
    rows["g"] = torch.where(h, rows["g_best"], rows["g"])
    rows.state.update(halved=halve, f_check=rows["f_best"], rises=torch.zeros_like(rows["rises"]))


__all__ = ["apgd", "apgd_t", "checkpoints"]
