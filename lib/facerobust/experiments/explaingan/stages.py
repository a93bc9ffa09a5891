"""The chapter's stages, one call each: pairs and black boxes, the coefficient choice on the
validation split, training every pair, the kappa sweep, flips, substitutability and ablations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import torch

from ...models.explaingan import BlackBox
from ...models.explaingan_losses import LossWeights
from . import blackbox, data, evaluate, training, zoo


@dataclass(frozen=True)
class Task:
    """A pair with its black box (and the black box's training metadata)."""

    pair: data.PairData
    bb: BlackBox
    bb_meta: dict[str, Any]


def task(P: Mapping[str, Any], dataset: str, pair: Sequence[Any], dev: torch.device | None = None) -> Task:
    """Load the pair (a CelebA pair is ``[no <attribute>, <attribute>]``) and its black box."""
    if dataset == "celeba":
        s = P["celeba_sizes"]
        pd_ = data.celeba_pair(P["celeba_root"], str(pair[1]), s, n_test=s[2])
    else:
        sizes = P["mnist_sizes"] if dataset == "mnist5k" else P["fashion_sizes"]
        pd_ = data.load_pair(dataset, [str(c) for c in pair], sizes, P["seed"])
    bb, meta = blackbox.blackbox(pd_, P["bb_epochs"], P["seed"], dev)
    return Task(data.to_device(pd_, dev) if dev is not None else pd_, bb, meta)


def weights(P: Mapping[str, Any], dataset: str, base: Mapping[str, float] | None = None,
            **override: float) -> LossWeights:
    """The shared coefficients (``base``, else the profile's) with the data set's kappa and
    smoothness weight, then any ``override``."""
    w = dict(base if base is not None else P["weights"])
    w["kappa"] = P["kappa"][dataset]
    w["smooth"] = P["smooth"][dataset]
    return LossWeights(**{**w, **override})


def config(P: Mapping[str, Any], w: LossWeights, variant: str = "full") -> training.TrainConfig:
    return training.TrainConfig(steps=P["steps"], batch=P["batch"], lr=P["lr"], width=P["width"],
                                z_dim=P["z_dim"], weights=training.variant_weights(w, variant),
                                variant=variant, seed=P["seed"])


def train(P: Mapping[str, Any], t: Task, w: LossWeights, variant: str = "full") -> zoo.Trained:
    return zoo.explaingan(t.pair, t.bb, config(P, w, variant), P["bb_epochs"], P["seed"])


def flip_row(name: str, f: evaluate.Flips, **extra: Any) -> dict[str, Any]:
    return {"pair": name, **extra, "n": f.n, "composite flip": f.composite.mean(),
            "transformed flip": f.transformed.mean(), "mask area": f.area.mean(),
            "mask area sd": f.area.std()}


def choose_weights(P: Mapping[str, Any], t: Task) -> tuple[dict[str, float], pd.DataFrame]:
    """Train one run per candidate of ``P['coef_grid']`` (on top of ``P['weights']``) and keep the
    one with the highest validation flip rate among those whose mean mask area is at most
    ``P['max_area']`` (all candidates if none is; ties: smaller area)."""
    rows = []
    for i, cand in enumerate(P["coef_grid"]):
        base = {**P["weights"], **cand}
        f = evaluate.flips(train(P, t, weights(P, t.pair.dataset, base)), t.bb, t.pair.val.x)
        rows.append(flip_row(t.pair.title, f, candidate=i, **cand))
    frame = pd.DataFrame(rows)
    ok = frame[frame["mask area"] <= P["max_area"]]
    pick = (ok if len(ok) else frame).sort_values(["composite flip", "mask area"],
                                                  ascending=[False, True]).iloc[0]
    chosen = {**P["weights"], **P["coef_grid"][int(pick.candidate)]}
    return chosen, frame.assign(chosen=frame.candidate == pick.candidate)


def kappa_sweep(P: Mapping[str, Any], t: Task, base: Mapping[str, float]) -> pd.DataFrame:
    rows = []
    for k in P["kappa_sweep"]:
        f = evaluate.flips(train(P, t, weights(P, t.pair.dataset, base, kappa=k)), t.bb, t.pair.test.x)
        rows.append({"kappa": k, "area": f.area.mean(), "area_sd": f.area.std(),
                     "flip": f.composite.mean(), "k": f.k_composite, "n": f.n})
    return pd.DataFrame(rows)


def substitution_rows(name: str, scores: Mapping[str, evaluate.Score], ceiling: evaluate.Score,
                      **extra: Any) -> dict[str, Any]:
    return {"pair": name, **extra, **{c: 100 * s.accuracy for c, s in scores.items()},
            "Ceiling": 100 * ceiling.accuracy, "n test": ceiling.n}


def summary(w: LossWeights) -> pd.Series:
    return pd.Series(asdict(w), name="coefficient")
