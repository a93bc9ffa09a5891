"""The frozen black box C of an ExplainGAN pair (chapter 6): trained on the pair's classifier-train
split, cached (key: the pair's name, split sizes and seed, the epochs, the code of this module and
the pair's images), and retrained on substituted sets for the substitutability test.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ...models import small_nets
from ...models.base import accuracy
from ...models.explaingan import BlackBox
from .data import PairData


def _fit(m: nn.Module, pair: PairData, epochs: int, seed: int) -> dict[str, Any]:
    torch.manual_seed(seed)
    x, y = pair.clf_train.x, pair.clf_train.y
    hist = small_nets.fit_classifier(m, x, y, epochs=epochs, batch=64, seed=seed)
    return {"history": hist, "test_accuracy": accuracy(m, pair.test.x, pair.test.y)}


def blackbox(pair: PairData, epochs: int, seed: int = 0,
             device: torch.device | None = None) -> tuple[BlackBox, dict[str, Any]]:
    """The frozen classifier C of ``pair``, trained on its classifier-train split."""
    cfg = {"pair": pair.key, "sizes": pair.sizes(), "seed": seed, "epochs": epochs}
    make = cache.seeded(partial(BlackBox, pair.clf_train.x.shape[1]), seed)
    model, meta = cache.cached_module(f"explaingan-bb-{pair.key}", cfg, make,
                                      partial(_fit, pair=pair, epochs=epochs, seed=seed))
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
