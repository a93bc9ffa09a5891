"""Cached models of the ExplainGAN chapter: the black box per pair and every ExplainGAN variant.

Each model is one :func:`facerobust.cache.cached_module` entry keyed by its data (pair, split sizes,
seed) and training configuration plus the source of the modules that build and train it, so an
interrupted cold run keeps every model that finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ...models import explaingan as eg_models
from ...models import explaingan_losses, small_nets
from ...models.explaingan import BlackBox, ExplainGAN, Explanation, TwoGenerators
from . import data as eg_data
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


def blackbox(pair: PairData, epochs: int, seed: int = 0,
             device: torch.device | None = None) -> tuple[BlackBox, dict[str, Any]]:
    """The frozen classifier C of ``pair``, trained on its classifier-train split."""
    cfg = {**_data_config(pair, seed), "epochs": epochs}
    channels = pair.clf_train.x.shape[1]

    def fit(m: nn.Module) -> dict[str, Any]:
        torch.manual_seed(seed)
        hist = small_nets.fit_classifier(m, pair.clf_train.x, pair.clf_train.y, epochs=epochs, batch=64,
                                         seed=seed)
        return {"history": hist, "test_accuracy": small_nets.accuracy(m, pair.test.x, pair.test.y)}

    torch.manual_seed(seed)
    model, meta = cache.cached_module(f"explaingan-bb-{pair.key}", cfg, lambda: BlackBox(channels), fit,
                                      code=[BlackBox, small_nets.fit_classifier, eg_data])
    if not isinstance(model, BlackBox):
        raise TypeError(f"cached black box is a {type(model).__name__}")
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device or torch.device("cpu")), meta


def retrained_blackbox(x: Tensor, y: Tensor, epochs: int, seed: int = 0) -> BlackBox:
    """The black-box architecture trained on a substituted set (not cached: seconds)."""
    torch.manual_seed(seed)
    m = BlackBox(x.shape[1])
    small_nets.fit_classifier(m, x, y, epochs=epochs, batch=64, seed=seed)
    return m.eval()


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
        lambda m: training.fit_gan(m, bb, x0, x1, cfg, desc),  # type: ignore[arg-type]
        code=[eg_models, explaingan_losses, training, eg_data])
    return Trained(model.to(dev), cfg, meta)  # type: ignore[arg-type]
