"""Rank-position metrics of the K-anonymity chapter (``notebooks/09_k_anonymity.py``).

The rank of the true label ``y`` in a model's sorted output (1 = top-1), its probability mass
function over a set (Eq. (5) of Mygdalis et al.), the attack success rate and the per-pixel MSE.
Every function refuses NaN/inf scores, labels outside [0, C) and empty batches (``ValueError``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..validation import check_finite, check_int, check_labels


def _scores_labels(scores: object, y: object) -> tuple[Tensor, Tensor]:
    s = check_finite(scores, "scores")
    if s.ndim != 2:
        raise ValueError(f"scores must be (N, C), got shape {tuple(s.shape)}")
    if len(s) == 0:
        raise ValueError("scores: empty batch (N = 0)")
    return s, check_labels(y, len(s), s.shape[1], name="y")


def true_label_rank(scores: Tensor, y: Tensor) -> Tensor:
    """1-based position of ``y`` in each row of ``scores`` sorted in descending order:
    ``rank_i = #{j : s_ij >= s_iy}`` (ties are broken against the true label).

    Args: ``scores`` (N, C) finite, ``y`` (N,) int64 in [0, C). Returns: (N,) int64 in 1..C.

    Example::

        ranks = true_label_rank(model(x_adv), y)
        pmf = rank_pmf(ranks, 10)
    """
    s, y = _scores_labels(scores, y)
    own = s.gather(1, y[:, None])
    return (s >= own).sum(1)


def rank_pmf(ranks: Tensor, n_classes: int) -> Tensor:
    """Empirical pmf ``p(j) = P(rank = j)`` for j = 1..n_classes (index 0 is rank 1), Eq. (5).

    Args: ``ranks`` (N,) integer tensor in 1..n_classes, N >= 1. Returns: (n_classes,) float64.

    Example::

        pmf = rank_pmf(torch.tensor([2, 3, 2]), 10)   # p(2) = 2/3
    """
    check_int(n_classes, "n_classes", lo=1)
    integer = isinstance(ranks, Tensor) and not ranks.is_floating_point() and ranks.dtype != torch.bool
    if not integer or ranks.ndim != 1:
        raise ValueError("ranks must be a 1-D integer tensor")
    if len(ranks) == 0:
        raise ValueError("no ranks given")
    if int(ranks.min()) < 1 or int(ranks.max()) > n_classes:
        raise ValueError(f"ranks must lie in 1..{n_classes}")
    return torch.bincount(ranks.long() - 1, minlength=n_classes).double() / len(ranks)


def attack_success_rate(scores: Tensor, y: Tensor) -> float:
    """ASR: the fraction of samples whose top-1 label is not ``y`` (condition (4)).

    Args: ``scores`` (N, C) finite, N >= 1; ``y`` (N,) int64 in [0, C). Returns: float in [0, 1].

    Example::

        asr = attack_success_rate(model(x_adv), y)
    """
    s, y = _scores_labels(scores, y)
    return float((s.argmax(1) != y).double().mean())


def rank2_recovery(scores: Tensor, y: Tensor) -> float:
    """How often the label ranked 2nd is the true label (the paper's 'rule-based' recovery).

    Args: as :func:`attack_success_rate` (C >= 2). Returns: float in [0, 1].

    Example::

        rec = rank2_recovery(model(x_adv), y)
    """
    s, y = _scores_labels(scores, y)
    if s.shape[1] < 2:
        raise ValueError("rank-2 recovery needs at least 2 classes")
    return float((s.argsort(1, descending=True)[:, 1] == y).double().mean())


def mse(x: Tensor, x_adv: Tensor) -> Tensor:
    """Per-sample mean squared error over pixels, ``mean((x - x_adv)^2)`` (the paper's Table 1 scale).

    Args: ``x``, ``x_adv`` finite tensors of one shape (N, ...), N >= 1. Returns: (N,).

    Example::

        m = mse(x, x_adv).mean()
    """
    a, b = check_finite(x, "x"), check_finite(x_adv, "x_adv")
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch {tuple(a.shape)} vs {tuple(b.shape)}")
    if a.ndim < 1 or len(a) == 0:
        raise ValueError("x: empty batch (N = 0)")
    return (a - b).flatten(1).pow(2).mean(1)


def runner_up(scores: Tensor, y: Tensor) -> Tensor:
    """The best-scoring label other than ``y`` (r_x(2) for a correctly classified sample).

    Args: ``scores`` (N, C) finite with C >= 2; ``y`` (N,) int64 in [0, C). Returns: (N,) int64.

    Example::

        target = runner_up(model(x), y)
    """
    s, y = _scores_labels(scores, y)
    if s.shape[1] < 2:
        raise ValueError("a runner-up needs at least 2 classes")
    return s.masked_fill(torch.nn.functional.one_hot(y, s.shape[1]).bool(), -torch.inf).argmax(1)
