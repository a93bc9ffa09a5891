"""Rank-position metrics of the K-anonymity chapter (``notebooks/06_k_anonymity.py``).

The rank of the true label ``y`` in a model's sorted output (1 = top-1), its probability mass
function over a set (Eq. (5) of Mygdalis et al.), the attack success rate and the per-pixel MSE.
"""

from __future__ import annotations

import torch
from torch import Tensor


def true_label_rank(scores: Tensor, y: Tensor) -> Tensor:
    """1-based position of ``y`` in each row of ``scores`` (N, C) sorted in descending order.

    Ties are broken against the true label (it is ranked after any class with an equal score).
    """
    if scores.ndim != 2 or y.shape != (len(scores),):
        raise ValueError(f"scores must be (N, C) and y (N,), got {tuple(scores.shape)} and {tuple(y.shape)}")
    own = scores.gather(1, y[:, None])
    return (scores >= own).sum(1)


def rank_pmf(ranks: Tensor, n_classes: int) -> Tensor:
    """Empirical pmf ``p(j) = P(rank = j)`` for j = 1..n_classes (index 0 is rank 1)."""
    if len(ranks) == 0:
        raise ValueError("no ranks given")
    if int(ranks.min()) < 1 or int(ranks.max()) > n_classes:
        raise ValueError(f"ranks must lie in 1..{n_classes}")
    return torch.bincount(ranks - 1, minlength=n_classes).double() / len(ranks)


def attack_success_rate(scores: Tensor, y: Tensor) -> float:
    """ASR: the fraction of samples whose top-1 label is not ``y`` (condition (4))."""
    return float((scores.argmax(1) != y).double().mean())


def rank2_recovery(scores: Tensor, y: Tensor) -> float:
    """How often the label ranked 2nd is the true label (the paper's 'rule-based' recovery)."""
    return float((scores.argsort(1, descending=True)[:, 1] == y).double().mean())


def mse(x: Tensor, x_adv: Tensor) -> Tensor:
    """Per-sample mean squared error over pixels (the scale of the paper's Table 1)."""
    if x.shape != x_adv.shape:
        raise ValueError(f"shape mismatch {tuple(x.shape)} vs {tuple(x_adv.shape)}")
    return (x - x_adv).flatten(1).pow(2).mean(1)


def runner_up(scores: Tensor, y: Tensor) -> Tensor:
    """The best-scoring label other than ``y`` (r_x(2) for a correctly classified sample)."""
    return scores.masked_fill(torch.nn.functional.one_hot(y, scores.shape[1]).bool(), -torch.inf).argmax(1)
