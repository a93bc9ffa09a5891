"""Papernot et al. (2017) black-box attack: a substitute trained by Jacobian-based dataset
augmentation on labels queried from the target, then FGSM on the substitute (Defense-GAN chapter).

As in CleverHans' ``train_sub`` used by the official Defense-GAN code: ``rounds`` rounds of
substitute training (continuing the same model); after every round but the last the set is
doubled with x + lambda_r * sign(grad_x logit_{oracle label}(x)), where lambda_r = -lambda for
the first three rounds and +lambda after (CleverHans' schedule); new points are labelled by
querying the oracle (labels only).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..validation import check_batch, check_int, check_scalar
from .base import X_LAST, AttackResult, check_output, classify, decide, prepare, untouched
from .fgsm import fgsm


def oracle_labels(oracle: Callable[[Tensor], Tensor], x: Tensor, batch: int = 500) -> Tensor:
    """Label-only queries: argmax of the oracle's output, in batches."""
    with torch.no_grad():
        return torch.cat([oracle(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])


def jacobian_augment(substitute: nn.Module, x: Tensor, y: Tensor, lmbda: float) -> Tensor:
    """New points x + lmbda * sign(d logit_y / dx), clipped to [0, 1] (whole batch at once)."""
    substitute.eval()
    xg = x.detach().clone().requires_grad_(True)
    logits = substitute(xg)
    (g,) = torch.autograd.grad(logits.gather(1, y[:, None]).sum(), xg)
    return (x + lmbda * g.sign()).clamp(0.0, 1.0)


def train_substitute(oracle: Callable[[Tensor], Tensor], substitute: nn.Module, x_seed: Tensor,
                     fit: Callable[[nn.Module, Tensor, Tensor, int], object], rounds: int = 6,
                     lmbda: float = 0.1) -> dict[str, list[int]]:
    """Train ``substitute`` in place from the attacker's ``x_seed`` (e.g. 150 held-out images).

    ``fit(model, x, y, round)`` trains the model on the current set (e.g. 10 epochs, Adam 1e-3).
    Returns the set size and the number of oracle queries per round.
    """
    check_batch(x_seed, name="x_seed")
    check_int(rounds, "rounds", lo=1)
    check_scalar(lmbda, "lmbda", lo=0.0)
    x, y = x_seed, oracle_labels(oracle, x_seed)
    sizes, queries = [], []
    for rho in range(rounds):
        fit(substitute, x, y, rho)
        sizes.append(len(x))
        queries.append(len(y))
        if rho < rounds - 1:
            lam = lmbda if rho >= 3 else -lmbda
            x_new = jacobian_augment(substitute, x, y, lam)
            x = torch.cat([x, x_new])
            y = torch.cat([y, oracle_labels(oracle, x_new)])
    return {"set_size": sizes, "queries": queries}


@untouched
def blackbox_fgsm(model: Callable[[Tensor], Tensor], x: Tensor, y: Tensor | None = None, *,
                  targeted: bool = False, substitute: nn.Module, eps: float,
                  generator: torch.Generator | None = None) -> AttackResult:
    """Papernot et al.'s transfer attack: FGSM (Eq. 5.1) on ``substitute``, judged on ``model``.

    ``x' = clip(x + eps * sign(grad_x CE(substitute(x), y)), 0, 1)``; ``success`` = ``model``
    (the attacked black box, queried for labels only) misclassifies ``x'`` (targeted: predicts ``y``).

    Args:
        model: the attacked classifier (N, C, H, W) -> logits (N, K); not differentiated.
        x: (N, C, H, W) float32 in [0, 1]. ``y``: (N,) int64 true labels (default: ``model``'s
        prediction, one label query) or targets. ``substitute``: a trained differentiable
        substitute (:func:`train_substitute`). ``eps``: L-inf step in [0, 1].
    Returns:
        :class:`AttackResult`; ``info``: ``x_last`` (N, C, H, W) the transferred image of every
        sample, ``pred`` (N,) the model's label on it, ``substitute_success`` (N,) bool.

    Example::

        res = blackbox_fgsm(target, x, y, substitute=sub, eps=0.3)
        print(res.rate, res.info["substitute_success"].float().mean())
    """
    x, y, _ = prepare(model, x, y, targeted, clean=False)
    sub = fgsm(substitute, x, y, targeted=targeted, eps=eps)
    x_last = sub.info[X_LAST]
    with torch.no_grad():
        z = classify(model, x_last)
        sub_ok = decide(classify(substitute, x_last, name="substitute"), y, targeted)
    success = decide(z, check_output(z, y), targeted)
    x_adv = torch.where(success[:, None, None, None], x_last, x)
    return AttackResult(x_adv, success, {X_LAST: x_last, "pred": z.argmax(1), "substitute_success": sub_ok})
