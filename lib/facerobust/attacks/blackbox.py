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

from .base import AttackResult, check_batch
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
    check_batch(x_seed)
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
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


def blackbox_fgsm(substitute: nn.Module, target: Callable[[Tensor], Tensor], x: Tensor, y: Tensor,
                  eps: float) -> AttackResult:
    """FGSM on the substitute, transferred: success = the *target* misclassifies x_adv."""
    x_adv = fgsm(substitute, x, y, eps).x_adv
    pred = oracle_labels(target, x_adv)
    return AttackResult(x_adv, pred != y, {"pred": pred, "eps": eps,
                                           "substitute_success": oracle_labels(substitute, x_adv) != y})
