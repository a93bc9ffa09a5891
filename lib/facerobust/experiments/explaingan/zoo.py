"""Cached ExplainGAN variants of the chapter (the black boxes they explain: :mod:`.blackbox`).

Each model is one cache entry (a :class:`facerobust.fanout.Unit`: trained in turn, or side by side
on a Ray cluster) keyed by its data (pair, split sizes, seed; the images and the black box's
weights) and training configuration plus the source the callables that build and train it import,
so an interrupted cold run keeps every model that finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache, fanout
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


def _built(cfg: training.TrainConfig, channels: int, dev: torch.device) -> nn.Module:
    return training.build(cfg, channels).to(dev)


@dataclass(frozen=True)
class Job:
    """One ExplainGAN variant to train: the pair, its black box, the configuration, and the black
    box's epochs and data seed (part of the key)."""

    pair: PairData
    bb: nn.Module
    cfg: training.TrainConfig
    bb_epochs: int
    data_seed: int = 0


def unit(job: Job, device: torch.device | None = None) -> fanout.Unit:
    """The cache entry of one variant, trained on ``job.pair``'s ExplainGAN-train split, split by
    its black box; its ``make`` seeds itself and a Ray task uses this process's thread count, so it
    trains alike in turn or as a task."""
    dev = device or torch.device("cpu")
    pair, cfg = job.pair, job.cfg
    x0, x1 = training.split_by_prediction(job.bb, pair.gan_train.x.to(dev))
    config = {**_data_config(pair, job.data_seed), "bb_epochs": job.bb_epochs, "train": cfg.as_dict()}
    make = cache.seeded(partial(_built, cfg, pair.gan_train.x.shape[1], dev), cfg.seed)
    fit = partial(training.fit_gan, blackbox=job.bb, x0=x0, x1=x1, cfg=cfg,
                  desc=f"{cfg.variant} {pair.classes[0]}/{pair.classes[1]}")
    return fanout.Unit(f"explaingan-{cfg.variant}-{pair.key}", config, make, fit,
                       cpus=torch.get_num_threads(), gpus=1 if dev.type == "cuda" else 0)


def trained_many(jobs: Sequence[Job], device: torch.device | None = None,
                 cluster: str | None = None) -> list[Trained]:
    """Every job's variant (on ``device``), from the cache or trained now: in turn (``cluster``
    None) or the missing ones side by side as Ray tasks (``'local'`` or an address), with the same
    cache entries (:func:`facerobust.fanout.trained`)."""
    dev = device or torch.device("cpu")
    out = []
    for j, (model, meta) in zip(jobs, fanout.trained([unit(j, dev) for j in jobs], cluster), strict=True):
        if not isinstance(model, ExplainGAN | TwoGenerators):
            raise TypeError(f"cached ExplainGAN is a {type(model).__name__}")
        out.append(Trained(model.to(dev), j.cfg, meta))
    return out


def explaingan(pair: PairData, bb: nn.Module, cfg: training.TrainConfig, bb_epochs: int,
               data_seed: int = 0, device: torch.device | None = None) -> Trained:
    """An ExplainGAN variant trained on ``pair``'s ExplainGAN-train split, split by ``bb``."""
    return trained_many([Job(pair, bb, cfg, bb_epochs, data_seed)], device)[0]
