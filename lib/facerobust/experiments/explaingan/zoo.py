"""Cached ExplainGAN variants of the chapter (the black boxes they explain: :mod:`.blackbox`).

Each model is one :func:`facerobust.cache.cached_module` entry keyed by its data (pair, split sizes,
seed; the images and the black box's weights) and training configuration plus the source the
callables that build and train it import, so an interrupted cold run keeps every model that finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ...models.explaingan import ExplainGAN, Explanation, TwoGenerators
from . import training
from .data import PairData


@dataclass(frozen=True)
class Trained:
    """A trained ExplainGAN variant (or the two-generator baseline) with its training metadata."""

    model: ExplainGAN | TwoGenerators
    cfg: training.TrainConfig
    meta: dict[str, Any]

    def explain(self, x: Tensor, j: int) -> Explanation:
        """Outputs for images of black-box class ``j``; the baseline's mask is all ones."""
        with torch.no_grad():
            if isinstance(self.model, TwoGenerators):
                t = self.model.translate(x, j)
                return Explanation(x, t, torch.ones_like(x[:, :1]), t)
            return self.model.explain(x, j)


def _data_config(pair: PairData, seed: int) -> dict[str, Any]:
    return {"pair": pair.key, "sizes": pair.sizes(), "seed": seed}


def explaingan(pair: PairData, bb: nn.Module, cfg: training.TrainConfig, bb_epochs: int,
               data_seed: int = 0, device: torch.device | None = None) -> Trained:
    """An ExplainGAN variant trained on ``pair``'s ExplainGAN-train split, split by ``bb``."""
    dev = device or torch.device("cpu")
    x0, x1 = training.split_by_prediction(bb, pair.gan_train.x.to(dev))
    config = {**_data_config(pair, data_seed), "bb_epochs": bb_epochs, "train": cfg.as_dict()}
    channels = pair.gan_train.x.shape[1]
    desc = f"{cfg.variant} {pair.classes[0]}/{pair.classes[1]}"
    torch.manual_seed(cfg.seed)
    model, meta = cache.cached_module(
        f"explaingan-{cfg.variant}-{pair.key}", config, lambda: training.build(cfg, channels).to(dev),
        lambda m: training.fit_gan(m, bb, x0, x1, cfg, desc))  # type: ignore[arg-type]
    return Trained(model.to(dev), cfg, meta)  # type: ignore[arg-type]
