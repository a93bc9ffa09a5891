"""The chapter's stages, one call each: pairs and black boxes, the coefficient choice on the
validation split, training every pair, the kappa sweep, flips, substitutability and ablations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd
import torch

from ...models.explaingan import BlackBox
from ...models.explaingan_losses import LossWeights
from . import blackbox, data, evaluate, training, zoo


@dataclass(frozen=True)
class Config:
    """What the chapter's stages read (the chapter's parameters of the same names): the seed, the
    split sizes per data set, the CelebA folder (None: no CelebA pairs), the black boxes' epochs,
    the shared coefficients with kappa and the smoothness weight per data set, the training budget,
    the coefficient candidates with their mask-area bound, the kappa sweep, and where independent
    models train (``cluster``: None in turn, ``'local'`` or a Ray address side by side)."""

    seed: int
    mnist_sizes: Sequence[int]
    fashion_sizes: Sequence[int]
    celeba_sizes: Sequence[int]
    celeba_root: str | None
    bb_epochs: int
    weights: Mapping[str, float]
    kappa: Mapping[str, float]
    smooth: Mapping[str, float]
    steps: int
    batch: int
    lr: float
    width: int
    z_dim: int
    coef_grid: Sequence[Mapping[str, float]]
    max_area: float
    kappa_sweep: Sequence[float]
    cluster: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Config:
        """The stages' configuration of a chapter's parameters (the fields of the same names)."""
        return cls(**{f.name: params[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class Task:
    """A pair with its black box (and the black box's training metadata), on ``device``."""

    pair: data.PairData
    bb: BlackBox
    bb_meta: dict[str, Any]
    device: torch.device | None = None


def pair_data(c: Config, dataset: str, pair: Sequence[Any]) -> data.PairData:
    """The pair's splits (a CelebA pair is ``[no <attribute>, <attribute>]``)."""
    if dataset == "celeba":
        if c.celeba_root is None:
            raise ValueError("the CelebA pairs need celeba_root")
        s = c.celeba_sizes
        return data.celeba_pair(c.celeba_root, str(pair[1]), s, n_test=s[2])
    sizes = c.mnist_sizes if dataset == "mnist5k" else c.fashion_sizes
    return data.load_pair(dataset, [str(p) for p in pair], sizes, c.seed)


def tasks(c: Config, specs: Sequence[tuple[str, Sequence[Any]]],
          dev: torch.device | None = None) -> dict[tuple[str, tuple[str, ...]], Task]:
    """Every (data set, pair) of ``specs`` with its black box; the black boxes train in turn or
    side by side (``c.cluster``)."""
    pairs = [pair_data(c, d, p) for d, p in specs]
    bbs = blackbox.blackboxes(pairs, c.bb_epochs, c.seed, dev, c.cluster)
    return {(d, tuple(map(str, p))): Task(data.to_device(pd_, dev) if dev is not None else pd_, bb, meta, dev)
            for (d, p), pd_, (bb, meta) in zip(specs, pairs, bbs, strict=True)}


def task(c: Config, dataset: str, pair: Sequence[Any], dev: torch.device | None = None) -> Task:
    """One pair and its black box."""
    return next(iter(tasks(c, [(dataset, pair)], dev).values()))


def weights(c: Config, dataset: str, base: Mapping[str, float] | None = None,
            **override: float) -> LossWeights:
    """The shared coefficients (``base``, else the profile's) with the data set's kappa and
    smoothness weight, then any ``override``."""
    w = dict(base if base is not None else c.weights)
    w["kappa"] = c.kappa[dataset]
    w["smooth"] = c.smooth[dataset]
    return LossWeights(**{**w, **override})


def config(c: Config, w: LossWeights, variant: str = "full") -> training.TrainConfig:
    return training.TrainConfig(steps=c.steps, batch=c.batch, lr=c.lr, width=c.width, z_dim=c.z_dim,
                                weights=training.variant_weights(w, variant), variant=variant, seed=c.seed)


def train_many(c: Config, runs: Sequence[tuple[Task, LossWeights, str]]) -> list[zoo.Trained]:
    """One ExplainGAN per (task, weights, variant), on each task's device: in turn or side by side
    (``c.cluster``), the same cache entries either way."""
    jobs = [zoo.Job(t.pair, t.bb, config(c, w, v), c.bb_epochs, c.seed) for t, w, v in runs]
    dev = runs[0][0].device if runs else None
    return zoo.trained_many(jobs, dev, c.cluster)


def train(c: Config, t: Task, w: LossWeights, variant: str = "full") -> zoo.Trained:
    return train_many(c, [(t, w, variant)])[0]


def flip_row(name: str, f: evaluate.Flips, **extra: Any) -> dict[str, Any]:
    return {"pair": name, **extra, "n": f.n, "composite flip": f.composite.mean(),
            "transformed flip": f.transformed.mean(), "mask area": f.area.mean(),
            "mask area sd": f.area.std()}


def choose_weights(c: Config, t: Task) -> tuple[dict[str, float], pd.DataFrame]:
    """Train one run per candidate of ``c.coef_grid`` (on top of ``c.weights``) and keep the
    one with the highest validation flip rate among those whose mean mask area is at most
    ``c.max_area`` (all candidates if none is; ties: smaller area)."""
    runs = train_many(c, [(t, weights(c, t.pair.dataset, {**c.weights, **cand}), "full")
                          for cand in c.coef_grid])
    rows = []
    for i, (cand, tr) in enumerate(zip(c.coef_grid, runs, strict=True)):
        f = evaluate.flips(tr, t.bb, t.pair.val.x)
        rows.append(flip_row(t.pair.title, f, candidate=i, **cand))
    frame = pd.DataFrame(rows)
    ok = frame[frame["mask area"] <= c.max_area]
    pick = (ok if len(ok) else frame).sort_values(["composite flip", "mask area"],
                                                  ascending=[False, True]).iloc[0]
    chosen = {**c.weights, **c.coef_grid[int(pick.candidate)]}
    return chosen, frame.assign(chosen=frame.candidate == pick.candidate)


def kappa_sweep(c: Config, t: Task, base: Mapping[str, float]) -> pd.DataFrame:
    runs = train_many(c, [(t, weights(c, t.pair.dataset, base, kappa=k), "full") for k in c.kappa_sweep])
    rows = []
    for k, tr in zip(c.kappa_sweep, runs, strict=True):
        f = evaluate.flips(tr, t.bb, t.pair.test.x)
        rows.append({"kappa": k, "area": f.area.mean(), "area_sd": f.area.std(),
                     "flip": f.composite.mean(), "k": f.k_composite, "n": f.n})
    return pd.DataFrame(rows)


def substitution_rows(name: str, scores: Mapping[str, evaluate.Score], ceiling: evaluate.Score,
                      **extra: Any) -> dict[str, Any]:
    return {"pair": name, **extra, **{c: 100 * s.accuracy for c, s in scores.items()},
            "Ceiling": 100 * ceiling.accuracy, "n test": ceiling.n}


def summary(w: LossWeights) -> pd.Series:
    return pd.Series(asdict(w), name="coefficient")
