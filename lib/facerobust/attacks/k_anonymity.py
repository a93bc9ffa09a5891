"""The K-anonymity adversarial attack (Mygdalis, Tefas, Pitas 2021, Eq. (6)), batched.

The N images are split into K groups of N/K; group g gets ``k = g + 1`` (so k runs over
2..K+1) and the targets ``r_x(2), ..., r_x(k)``: the clean image's runner-up labels. For every
image, projected Adam on the perturbation ``p`` minimises

    ||p||_2 + w_s * (1 - s(x, x + p)) + sum_{i=2}^{k} CE(f(x + p), r_x(i))

(``s`` = CW-SSIM, ``w_s = 1`` in the paper) and stops as soon as every target ranks above the
true label, i.e. the true label sits at rank >= k. Across the groups the true label then lands
on ranks 2..K+1 equally often (condition (5): p(j) <= 1/K). With K = 1 and ``w_s = 0`` this
is an L-BFGS-style targeted attack on the runner-up.
Used by ``notebooks/09_k_anonymity.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..metrics.cw_ssim import cw_ssim
from ..validation import check_choice, check_int, check_scalar
from .base import X_LAST, AttackResult, classify, prepare, untouched

Similarity = Callable[[Tensor, Tensor], Tensor]


def assign_groups(n: int, K: int, generator: torch.Generator | None = None) -> Tensor:
    """Per-sample ``k`` in 2..K+1: a random split of ``n`` samples into K groups of (nearly) n/K,
    on the generator's device (torch's default generator, on the CPU, when None);
    :func:`k_anonymity` moves ``k`` to the device of its images."""
    check_int(n, "n", lo=1)
    check_int(K, "K", lo=1)
    dev = torch.device("cpu") if generator is None else generator.device
    ks = torch.arange(n, device=dev) % K + 2
    return ks[torch.randperm(n, generator=generator, device=dev)]


def _ranked_targets(logits: Tensor, y: Tensor, kmax: int) -> Tensor:
    """The clean runner-ups r_x(2..kmax) (N, kmax-1): labels by score, true label removed."""
    masked = logits.masked_fill(nn.functional.one_hot(y, logits.shape[1]).bool(), -torch.inf)
    return masked.argsort(1, descending=True)[:, : kmax - 1]


@untouched
def k_anonymity(
    model: nn.Module,
    x: Tensor,
    y: Tensor | None = None,
    *,
    targeted: bool = False,
    k: Tensor,
    steps: int = 300,
    lr: float = 0.05,
    optimizer: str = "l2",
    sim_weight: float = 1.0,
    similarity: Similarity = cw_ssim,
    generator: torch.Generator | None = None,
) -> AttackResult:
    """Eq. (6) of Mygdalis et al. (chapter 9, ``eq-kanon-objective``; success: ``eq-kanon-conditions``):
    ``min_p ||p||_2 + w_s (1 - s(x, x + p)) + sum_{i=2}^{k} CE(f(x + p), r_x(i))``.

    ``optimizer``: ``"l2"`` (default) takes steps of L2 length ``lr`` along the per-sample
    normalised gradient (steepest descent in L2, so the perturbation stays where the gradient
    is); ``"adam"`` uses Adam (every pixel moves by about ``lr``: a dense, L-inf-like change).
    Success means the true label ranks at position >= k (so also not first).

    Args:
        model: differentiable classifier (N, C, H, W) -> logits (N, K_classes).
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 true labels (default: the
        prediction). ``targeted`` must be False. ``k``: (N,) int64 in 2..K_classes (get it from
        :func:`assign_groups`). ``steps`` >= 1, ``lr`` > 0, ``sim_weight`` >= 0, all finite;
        ``similarity(x, x')`` -> (N,). ``generator``: unused (deterministic).
    Returns:
        :class:`AttackResult` (the original image where the rank was not reached); ``info``:
        ``k`` (N,), ``steps`` (N,) iterations used, ``rank`` (N,) 1-based rank of ``y`` on
        ``x_adv``, ``x_last`` (N, C, H, W) the last iterate of every image (the chapter's rank
        distribution is taken on it).

    Example::

        k = assign_groups(len(x), K=3, generator=torch.Generator().manual_seed(0))
        res = k_anonymity(model, x, y, k=k, steps=300, lr=0.05)
    """
    if targeted:
        raise ValueError("k_anonymity is untargeted: targeted=True is not supported")
    check_int(steps, "steps", lo=1)
    lr = check_scalar(lr, "lr", lo=0.0, lo_open=True)
    sim_weight = check_scalar(sim_weight, "sim_weight", lo=0.0)
    check_choice(optimizer, "optimizer", ("l2", "adam"))
    x, y, logits0 = prepare(model, x, y, targeted)
    assert logits0 is not None
    n = len(x)
    if not isinstance(k, Tensor) or k.shape != (n,) or k.dtype != torch.int64:
        raise ValueError(f"k must be an int64 tensor of shape ({n},)")
    if int(k.min()) < 2 or int(k.max()) > logits0.shape[1]:
        raise ValueError(f"k must lie in 2..{logits0.shape[1]} (the number of classes)")
    k = k.to(x.device)
    with torch.enable_grad():
        return _attack(model, x, y, k, logits0, steps, lr, optimizer, sim_weight, similarity)


def _attack(model: nn.Module, x: Tensor, y: Tensor, k: Tensor, logits0: Tensor, steps: int, lr: float,
            optimizer: str, sim_weight: float, similarity: Similarity) -> AttackResult:
    n, dev = len(x), x.device
    targets = _ranked_targets(logits0, y, int(k.max()))
    tmask = torch.arange(targets.shape[1], device=dev)[None, :] < (k - 1)[:, None]
    p = torch.zeros_like(x)
    m, v = torch.zeros_like(x), torch.zeros_like(x)
    used = torch.zeros(n, dtype=torch.int64, device=dev)
    b1, b2, eps = 0.9, 0.999, 1e-8

    def done_mask(logits: Tensor, idx: Tensor) -> Tensor:
        own = logits.gather(1, y[idx, None])
        tl = logits.gather(1, targets[idx]).masked_fill(~tmask[idx], torch.inf)
        return (tl > own).all(1)

    active = ~done_mask(logits0, torch.arange(n, device=dev))
    for _ in range(steps):
        idx = active.nonzero().flatten()
        if len(idx) == 0:
            break
        pi = p[idx].clone().requires_grad_(True)
        xa = x[idx] + pi
        logits = classify(model, xa)
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
    x_last = (x + p).clamp(0, 1).detach()
    with torch.no_grad():
        success = done_mask(classify(model, x_last), torch.arange(n, device=dev))
        x_adv = torch.where(success[:, None, None, None], x_last, x)
        logits = classify(model, x_adv)
        rank = (logits >= logits.gather(1, y[:, None])).sum(1)
    return AttackResult(x_adv, success, {"k": k, "steps": used, "rank": rank, X_LAST: x_last})
