"""Where the Defense-GAN chapter's models train: a cache entry's ``fit`` run with its model on the
chapter's ``device``, in this process or in a Ray task (:mod:`facerobust.fanout`, which also
trains in the driver's numerics mode). The device is not part of the cache key (the cache holds CPU
weights)."""

from __future__ import annotations

import copy
from typing import Any

from torch import Tensor, nn

from ... import cache
from ... import device as devices


def fit_on(device: str | None, fit: cache.Fit, model: nn.Module) -> Any:
    """``fit(model)`` with ``model`` moved to ``device`` (the ``fit`` of a cache entry)."""
    return fit(model.to(devices.resolve(device)))


def module_on(module: nn.Module, device: str | None) -> nn.Module:
    """``module`` on ``device``: itself on the CPU, else a copy (the caller's module is left as found)."""
    dev = devices.resolve(device)
    return module if devices.of(module) == dev else copy.deepcopy(module).to(dev)


def tensor_on(x: Tensor, device: str | None) -> Tensor:
    """``x`` on ``device`` (itself if it is there already)."""
    return x.to(devices.resolve(device))
