"""Classifier training, plain or with FGSM adversarial training (Defense-GAN chapter baseline),
and the per-round training of a black-box substitute (:func:`per_round`).

Adversarial training follows CleverHans' ``model_train(..., predictions_adv=...)`` used by the
official Defense-GAN code: the loss is the mean of the clean cross-entropy and the cross-entropy
on FGSM examples made on the fly against the current model (eps 0.3 or 0.15 in Tables 5.1/5.2).
Training defaults are CleverHans': Adam 1e-3, batch 128, 10 epochs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor, nn
from torch.nn import functional

from ..attacks.base import X_LAST
from ..attacks.fgsm import fgsm
from ..models.epochs import run_epochs
from ..validation import check_batch, check_int, check_labels, check_scalar


def _ce(logits: Tensor, y: Tensor) -> Tensor:
    """Cross-entropy after checking the labels lie in [0, classes) (-100 would be ignored)."""
    check_labels(y, len(y), logits.shape[-1])
    return functional.cross_entropy(logits, y)


def train_classifier(model: nn.Module, x: Tensor, y: Tensor, *, epochs: int = 10, batch: int = 128,
                     lr: float = 1e-3, seed: int = 0, adv_eps: float = 0.0, desc: str = "") -> list[float]:
    """Train ``model`` in place on images ``x`` in [0, 1]; ``adv_eps`` > 0 mixes in FGSM examples.

    Returns the mean training loss of each epoch. Deterministic given ``seed``.
    """
    check_batch(x)
    check_labels(y, len(x))
    check_int(epochs, "epochs", lo=0)
    check_int(batch, "batch", lo=1)
    check_scalar(lr, "lr", lo=0.0, lo_open=True)
    check_scalar(adv_eps, "adv_eps", lo=0.0, hi=1.0)
    torch.manual_seed(seed)  # dropout masks
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr)

    def batch_loss(idx: Tensor) -> Tensor:
        xb, yb = x[idx], y[idx]
        if adv_eps > 0:
            model.eval()  # examples from the current model without dropout, as CleverHans
            xa = fgsm(model, xb, yb, eps=adv_eps).info[X_LAST]  # every stepped image, turned or not
            model.train()
            return 0.5 * (_ce(model(xb), yb) + _ce(model(xa), yb))
        model.train()
        return _ce(model(xb), yb)

    return run_epochs(model, opt, len(x), batch_loss, batch=batch, epochs=epochs, generator=g,
                      desc=desc or "train")


def _round(model: nn.Module, x: Tensor, y: Tensor, rho: int, *, epochs: int, seed: int) -> list[float]:
    return train_classifier(model, x, y, epochs=epochs, seed=seed + rho)


def per_round(epochs: int, seed: int) -> Callable[[nn.Module, Tensor, Tensor, int], list[float]]:
    """:func:`train_classifier` as the ``fit(model, x, y, round)`` of
    :func:`facerobust.attacks.blackbox.train_substitute`: ``epochs`` per round, round ``r`` seeded
    ``seed + r``."""
    return partial(_round, epochs=epochs, seed=seed)
