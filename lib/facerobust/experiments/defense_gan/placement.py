"""Where the Defense-GAN chapter's models train: a cache entry's ``fit`` run with its model on the
chapter's ``device`` and the caller's numerics mode (:mod:`facerobust.numerics`), in this process or
in a Ray task. The device is not part of the cache key (the cache holds CPU weights); the numerics
mode is, so a task whose process runs another mode refuses to train."""

from __future__ import annotations

import copy
from typing import Any

from torch import Tensor, nn

from ... import cache
from ... import device as devices
from ... import numerics as numerics_modes


def fit_on(device: str | None, fit: cache.Fit, model: nn.Module, numerics: str = "native") -> Any:
    """``fit(model)`` with ``model`` moved to ``device`` and torch's backends switched to the
    ``numerics`` mode first (the ``fit`` of a cache entry; pass :func:`facerobust.numerics.mode` of
    the process that keys the entry)."""
    here = numerics_modes.mode()
    if here != numerics:
        raise numerics_modes.NumericsError(
            f"this entry is keyed for {numerics} numerics but this process runs {here}: start it (e.g. the "
            f"Ray workers) with {numerics_modes.MODE_VAR}={numerics} and its variables")
    numerics_modes.apply()
    return fit(model.to(devices.resolve(device)))


def module_on(module: nn.Module, device: str | None) -> nn.Module:
    """``module`` on ``device``: itself on the CPU, else a copy (the caller's module is left as found)."""
    dev = devices.resolve(device)
    return module if devices.of(module) == dev else copy.deepcopy(module).to(dev)


def tensor_on(x: Tensor, device: str | None) -> Tensor:
    """``x`` on ``device`` (itself if it is there already)."""
    return x.to(devices.resolve(device))
