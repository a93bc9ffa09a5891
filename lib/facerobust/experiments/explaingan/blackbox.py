"""The frozen black box C of an ExplainGAN pair (chapter 6): trained on the pair's classifier-train
split, cached (key: the pair's name, split sizes and seed, the epochs, the code of this module and
the pair's images), and retrained on substituted sets for the substitutability test.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache, fanout
from ...models import small_nets
from ...models.base import accuracy
from ...models.explaingan import BlackBox
from .data import PairData


def _fit(m: nn.Module, pair: PairData, epochs: int, seed: int) -> dict[str, Any]:
    torch.manual_seed(seed)
    x, y = pair.clf_train.x, pair.clf_train.y
    hist = small_nets.fit_classifier(m, x, y, epochs=epochs, batch=64, seed=seed)
    return {"history": hist, "test_accuracy": accuracy(m, pair.test.x, pair.test.y)}


def unit(pair: PairData, epochs: int, seed: int = 0) -> fanout.Unit:
    """The cache entry of ``pair``'s black box (seeded ``make``; a Ray task uses this process's
    thread count: in turn or as a task alike)."""
    cfg = {"pair": pair.key, "sizes": pair.sizes(), "seed": seed, "epochs": epochs}
    make = cache.seeded(partial(BlackBox, pair.clf_train.x.shape[1]), seed)
    fit = partial(_fit, pair=pair, epochs=epochs, seed=seed)
    return fanout.Unit(f"explaingan-bb-{pair.key}", cfg, make, fit, cpus=torch.get_num_threads())


def frozen(model: nn.Module, device: torch.device | None = None) -> BlackBox:
    """A trained black box, frozen (no gradients to its weights), on ``device``."""
    if not isinstance(model, BlackBox):
        raise TypeError(f"cached black box is a {type(model).__name__}")
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device or torch.device("cpu"))


def blackboxes(pairs: Sequence[PairData], epochs: int, seed: int = 0, device: torch.device | None = None,
               cluster: str | None = None) -> list[tuple[BlackBox, dict[str, Any]]]:
    """The frozen classifier C of every pair, trained on its classifier-train split: in turn
    (``cluster`` None) or the missing ones side by side as Ray tasks (:func:`fanout.trained`)."""
    got = fanout.trained([unit(p, epochs, seed) for p in pairs], cluster)
    return [(frozen(model, device), meta) for model, meta in got]


def blackbox(pair: PairData, epochs: int, seed: int = 0,
             device: torch.device | None = None) -> tuple[BlackBox, dict[str, Any]]:
    """The frozen classifier C of ``pair``, trained on its classifier-train split."""
    return blackboxes([pair], epochs, seed, device)[0]


def retrained_blackbox(x: Tensor, y: Tensor, epochs: int, seed: int = 0) -> BlackBox:
    """The black-box architecture trained on a substituted set (not cached: seconds)."""
    torch.manual_seed(seed)
    m = BlackBox(x.shape[1])
    small_nets.fit_classifier(m, x, y, epochs=epochs, batch=64, seed=seed)
    return m.eval()
