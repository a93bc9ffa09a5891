"""The K-anonymity adversarial attack (Mygdalis, Tefas, Pitas 2021, Eq. (6)), batched.

The N images are split into K groups of N/K; group g gets ``k = g + 1`` (so k runs over
2..K+1) and the targets ``r_x(2), ..., r_x(k)``: the clean image's runner-up labels. For every
image, projected Adam on the perturbation ``p`` minimises

    ||p||_2 + w_s * (1 - s(x, x + p)) + sum_{i=2}^{k} CE(f(x + p), r_x(i))

(``s`` = CW-SSIM, ``w_s = 1`` in the paper) and stops as soon as every target ranks above the
true label, i.e. the true label sits at rank >= k. Across the groups the true label then lands
on ranks 2..K+1 equally often (condition (5): p(j) <= 1/K). With K = 1 and ``w_s = 0`` this
is an L-BFGS-style targeted attack on the runner-up.
Used by ``notebooks/06_k_anonymity.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..metrics.cw_ssim import cw_ssim
from .base import AttackResult, check_batch

Similarity = Callable[[Tensor, Tensor], Tensor]


def assign_groups(n: int, K: int, generator: torch.Generator | None = None) -> Tensor:
    """Per-sample ``k`` in 2..K+1: a random split of ``n`` samples into K groups of (nearly) n/K."""
    if K < 1 or n < 1:
        raise ValueError("K and n must be >= 1")
    ks = torch.arange(n) % K + 2
    return ks[torch.randperm(n, generator=generator)]


def _ranked_targets(logits: Tensor, y: Tensor, kmax: int) -> Tensor:
    """The clean runner-ups r_x(2..kmax) (N, kmax-1): labels by score, true label removed."""
    masked = logits.masked_fill(nn.functional.one_hot(y, logits.shape[1]).bool(), -torch.inf)
    return masked.argsort(1, descending=True)[:, : kmax - 1]


def k_anonymity(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    k: Tensor,
    *,
    steps: int = 300,
    lr: float = 0.05,
    optimizer: str = "l2",
    sim_weight: float = 1.0,
    similarity: Similarity = cw_ssim,
) -> AttackResult:
    """Eq. (6) on ``x`` (N, C, H, W) in [0, 1] with true labels ``y`` and per-sample ``k`` (N,).

    ``optimizer``: ``"l2"`` (default) takes steps of L2 length ``lr`` along the per-sample
    normalised gradient (steepest descent in L2, so the perturbation stays where the gradient
    is); ``"adam"`` uses Adam (every pixel moves by about ``lr``: a dense, L-inf-like change).
    Get ``k`` from :func:`assign_groups`. Success means the true label ranks at position >= k
    (so also not first). Failed samples return their last iterate. ``info``: ``k``,
    ``steps`` (iterations used), ``rank`` (rank of ``y`` on ``x_adv``, 1-based).
    """
    check_batch(x)
    n = len(x)
    for name, t in (("y", y), ("k", k)):
        if not isinstance(t, Tensor) or t.shape != (n,) or t.dtype != torch.int64:
            raise ValueError(f"{name} must be an int64 tensor of shape ({n},)")
    x = x.detach()
    with torch.no_grad():
        logits0 = model(x)
    if optimizer not in ("l2", "adam"):
        raise ValueError(f"optimizer must be 'l2' or 'adam', got {optimizer!r}")
    if int(k.min()) < 2 or int(k.max()) > logits0.shape[1]:
        raise ValueError(f"k must lie in 2..{logits0.shape[1]} (the number of classes)")
    targets = _ranked_targets(logits0, y, int(k.max()))
    tmask = torch.arange(targets.shape[1])[None, :] < (k - 1)[:, None]
    p = torch.zeros_like(x)
    m, v = torch.zeros_like(x), torch.zeros_like(x)
    used = torch.zeros(n, dtype=torch.int64)
    b1, b2, eps = 0.9, 0.999, 1e-8

    def done_mask(logits: Tensor, idx: Tensor) -> Tensor:
        own = logits.gather(1, y[idx, None])
        tl = logits.gather(1, targets[idx]).masked_fill(~tmask[idx], torch.inf)
        return (tl > own).all(1)

    active = ~done_mask(logits0, torch.arange(n))
    for _ in range(steps):
        idx = active.nonzero().flatten()
        if len(idx) == 0:
            break
        pi = p[idx].clone().requires_grad_(True)
        xa = x[idx] + pi
        logits = model(xa)
        logp = nn.functional.log_softmax(logits, 1)
        ce = -(logp.gather(1, targets[idx]) * tmask[idx]).sum(1)
        norm = (pi.flatten(1).pow(2).sum(1) + 1e-12).sqrt()
        loss = norm + ce
        if sim_weight:
            loss = loss + sim_weight * (1 - similarity(x[idx], xa))
        (g,) = torch.autograd.grad(loss.sum(), pi)
        with torch.no_grad():
            finished = done_mask(logits, idx)
            step_idx, g = idx[~finished], g[~finished]
            active[idx[finished]] = False
            used[step_idx] += 1
            shape = (-1, *[1] * (x.ndim - 1))
            if optimizer == "adam":
                t = used[step_idx].view(shape).to(x.dtype)
                m[step_idx] = b1 * m[step_idx] + (1 - b1) * g
                v[step_idx] = b2 * v[step_idx] + (1 - b2) * g * g
                upd = lr * (m[step_idx] / (1 - b1**t)) / ((v[step_idx] / (1 - b2**t)).sqrt() + eps)
            else:
                upd = lr * g / g.flatten(1).norm(dim=1).clamp_min(1e-12).view(shape)
            p[step_idx] = (x[step_idx] + p[step_idx] - upd).clamp(0, 1) - x[step_idx]
    x_adv = (x + p).clamp(0, 1)
    with torch.no_grad():
        logits = model(x_adv)
        success = done_mask(logits, torch.arange(n))
        own = logits.gather(1, y[:, None])
        rank = (logits >= own).sum(1)
    return AttackResult(x_adv, success, {"k": k, "steps": used, "rank": rank})
