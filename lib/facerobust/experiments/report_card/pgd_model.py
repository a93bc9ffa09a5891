"""The report card's one new model: classifier A adversarially trained with PGD (Madry et al. 2018).

Chapter 7 trains A with FGSM adversarial training (single step); the card adds the multi-step
counterpart on the same MNIST-5k training split so the two can be compared under the same attacks.
To fit the card's budget the training starts from chapter 7's trained A (fine-tuning, as is common
when PGD training is costly) and runs a few epochs of early-stopped PGD (:mod:`facerobust.defenses.madry`).
The model is cached; the cache keys it by the configuration below, the code of its producers and
the starting model and images they hold, so a retrained A retrains it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from ... import cache
from ...defenses import madry
from ...models import classifiers


@dataclass(frozen=True)
class MadryConfig:
    """PGD adversarial training of A: L-inf ``eps``, ``steps`` PGD steps of ``step_size``,
    ``epochs`` over the training split, Adam ``lr``, ``batch``, ``seed``."""

    eps: float
    steps: int
    step_size: float
    epochs: int
    lr: float = 1e-3
    batch: int = 128
    seed: int = 0


def pgd_trained(start: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: MadryConfig) -> nn.Module:
    """Classifier A fine-tuned from ``start`` (chapter 7's A) by PGD adversarial training on the
    images ``x`` and labels ``y``; cached, frozen, in eval mode."""
    key = {**asdict(cfg), "arch": "A"}  # the cache adds make/fit's code, the start model, data, threads

    def make() -> nn.Module:
        m = classifiers.build("A")
        m.load_state_dict(start.state_dict())
        return m

    def fit(m: nn.Module) -> dict[str, Any]:
        return {"loss": madry.train_pgd(m, x, y, eps=cfg.eps, steps=cfg.steps, step_size=cfg.step_size,
                                        epochs=cfg.epochs, batch=cfg.batch, lr=cfg.lr, seed=cfg.seed,
                                        desc="PGD training of A")}

    model, _ = cache.cached_module("report-pgd-A", key, make, fit)
    return model.requires_grad_(False)


__all__ = ["MadryConfig", "pgd_trained"]
