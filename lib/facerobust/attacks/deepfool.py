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

Used by the K-anonymity chapter (``notebooks/06_k_anonymity.py``) as a baseline.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import AttackResult, check_batch


def _candidate_gradients(x: Tensor, logits: Tensor, y: Tensor, cand: Tensor) -> tuple[Tensor, Tensor]:
    """``f`` (n, m) = Z_cand - Z_y and their input gradients ``w`` (n, m, *x.shape[1:]).

    ``logits`` = model(x) with ``x`` requiring grad; one backward per candidate column, each
    through the same retained graph (cheaper than tiling ``x`` m times: one forward, not m).
    """
    m = cand.shape[1]
    f = logits.gather(1, cand) - logits.gather(1, y[:, None])
    w = x.new_empty(len(x), m, *x.shape[1:])
    for j in range(m):
        (w[:, j],) = torch.autograd.grad(f[:, j].sum(), x, retain_graph=j < m - 1)
    return f.detach(), w


def deepfool(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    candidates: int = 10,
    steps: int = 50,
    overshoot: float = 0.02,
) -> AttackResult:
    """Untargeted DeepFool-L2 on ``x`` (N, C, H, W) in [0, 1] with labels ``y``.

    ``candidates``: how many classes (ranked by the clean logits, true label excluded) are
    considered at each step. ``info["r_tot"]`` is the summed perturbation before overshoot,
    ``info["steps"]`` the number of steps each image needed.
    """
    check_batch(x)
    if not isinstance(y, Tensor) or y.shape != (len(x),) or y.dtype != torch.int64:
        raise ValueError(f"y must be an int64 tensor of shape ({len(x)},)")
    if candidates < 1 or steps < 1 or overshoot < 0:
        raise ValueError("candidates and steps must be >= 1, overshoot >= 0")
    x = x.detach()
    with torch.no_grad():
        logits0 = model(x)
    n_cls = logits0.shape[1]
    m = min(candidates, n_cls - 1)
    ranked = logits0.masked_fill(nn.functional.one_hot(y, n_cls).bool(), -torch.inf).argsort(
        1, descending=True
    )
    cand = ranked[:, :m]
    r_tot = torch.zeros_like(x)
    n_steps = torch.zeros(len(x), dtype=torch.int64)
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
        sel = torch.arange(len(idx))
        step = ((f[sel, k].abs() + 1e-4) / wn[sel, k] ** 2).view(-1, *[1] * (x.ndim - 1)) * w[sel, k]
        r_tot[idx] += step
        n_steps[idx] += 1
        x_adv[idx] = (x[idx] + (1 + overshoot) * r_tot[idx]).clamp(0, 1)
    with torch.no_grad():
        success = model(x_adv).argmax(1) != y
    return AttackResult(x_adv, success, {"r_tot": r_tot, "steps": n_steps})
