"""DeepFool (Moosavi-Dezfooli, Fawzi, Frossard 2016), multi-class, batched.

At each step every still-correct image is linearised around its current point and moved to
the nearest linearised decision boundary among ``candidates`` classes (the top-ranked ones of
the clean image): ``r = (|f_k| + 1e-4) / ||w_k||^2 * w_k`` with ``f_k = Z_k - Z_y`` and
``w_k = grad f_k``. The perturbations are summed into ``r_tot`` and the returned image is
``clip(x + (1 + overshoot) * r_tot, 0, 1)`` (the original paper's and Foolbox's convention).

Cost per step: one forward pass over the images that are still classified correctly (images
already turned are dropped) and one backward pass per candidate class through that same graph
(``retain_graph``), so a step costs about ``1 + candidates`` passes over the active images; no
Python loop over images. The check of which images turned reuses the next step's forward.

Used by the K-anonymity chapter (``notebooks/09_k_anonymity.py``) as a baseline.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..validation import check_int, check_scalar
from .base import X_LAST, AttackResult, finish, prepare, untouched


def _candidate_gradients(x: Tensor, logits: Tensor, y: Tensor, cand: Tensor) -> tuple[Tensor, Tensor]:
    """``f`` (n, m) = Z_cand - Z_y and their input gradients ``w`` (n, m, *x.shape[1:]).

    ``logits`` = model(x) with ``x`` requiring grad; one backward per candidate column, each
    through the same retained graph (cheaper than tiling ``x`` m times: one forward, not m).
    """
    m = cand.shape[1]
    f = logits.gather(1, cand) - logits.gather(1, y[:, None])
    if not bool(torch.isfinite(f).all()):
        raise ValueError("model: output contains NaN or infinite values during the attack")
    w = x.new_empty(len(x), m, *x.shape[1:])
    for j in range(m):
        (w[:, j],) = torch.autograd.grad(f[:, j].sum(), x, retain_graph=j < m - 1)
    return f.detach(), w


@untouched
def deepfool(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    candidates: int = 10,
    steps: int = 50,
    overshoot: float = 0.02,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """Untargeted DeepFool-L2 (the K-anonymity chapter's baseline).

    Each step, for every image still classified ``y``:
    ``k* = argmin_k |f_k| / ||w_k||``, ``r += (|f_k*| + 1e-4) / ||w_k*||^2 * w_k*`` with
    ``f_k = Z_k - Z_y``, ``w_k = grad_x f_k`` over the ``candidates`` top-ranked other classes;
    the image is ``clip(x + (1 + overshoot) * r, 0, 1)``.

    Args:
        model: differentiable classifier (N, C, H, W) -> logits (N, K).
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 true labels (default: the
        prediction). ``targeted`` must be False (DeepFool is untargeted). ``candidates`` >= 1,
        ``steps`` >= 1, ``overshoot`` >= 0 (finite). ``generator``: unused (deterministic).
    Returns:
        :class:`AttackResult`; ``info``: ``x_last`` (N, C, H, W) the last iterate of every image
        (the chapter's rank distribution uses it), ``r_tot`` (N, C, H, W) the summed perturbation
        before overshoot, ``steps`` (N,) int64 steps taken.

    Example::

        res = deepfool(model, x, y, steps=50, overshoot=0.02)
        l2 = res.perturbation_norms(x)[res.success]
    """
    if targeted:
        raise ValueError("deepfool is untargeted: targeted=True is not supported")
    check_int(candidates, "candidates", lo=1)
    check_int(steps, "steps", lo=1)
    overshoot = check_scalar(overshoot, "overshoot", lo=0.0)
    x, y, logits0 = prepare(model, x, y, targeted)
    assert logits0 is not None
    with torch.enable_grad():
        x_last, r_tot, n_steps = _run(model, x, y, logits0, candidates, steps, overshoot)
    return finish(model, x, y, False, {X_LAST: x_last, "r_tot": r_tot, "steps": n_steps})


def _run(model: nn.Module, x: Tensor, y: Tensor, logits0: Tensor, candidates: int, steps: int,
         overshoot: float) -> tuple[Tensor, Tensor, Tensor]:
    n_cls = logits0.shape[1]
    m = min(candidates, n_cls - 1)
    ranked = logits0.masked_fill(nn.functional.one_hot(y, n_cls).bool(), -torch.inf).argsort(
        1, descending=True
    )
    cand = ranked[:, :m]
    r_tot = torch.zeros_like(x)
    n_steps = torch.zeros(len(x), dtype=torch.int64, device=x.device)
    x_adv = x.clone()
    idx = (logits0.argmax(1) == y).nonzero().flatten()
    for _ in range(steps):
        if len(idx) == 0:
            break
        xi = x_adv[idx].requires_grad_(True)
        logits = model(xi)
        still = logits.detach().argmax(1) == y[idx]
        if not still.all():  # some turned at the last step: drop them, rebuild the graph
            idx = idx[still]
            if len(idx) == 0:
                break
            xi = x_adv[idx].requires_grad_(True)
            logits = model(xi)
        f, w = _candidate_gradients(xi, logits, y[idx], cand[idx])
        wn = w.flatten(2).norm(dim=2).clamp_min(1e-12)
        k = (f.abs() / wn).argmin(1)
        sel = torch.arange(len(idx), device=x.device)
        step = ((f[sel, k].abs() + 1e-4) / wn[sel, k] ** 2).view(-1, *[1] * (x.ndim - 1)) * w[sel, k]
        r_tot[idx] += step
        n_steps[idx] += 1
        x_adv[idx] = (x[idx] + (1 + overshoot) * r_tot[idx]).clamp(0, 1)
    return x_adv.detach(), r_tot, n_steps
