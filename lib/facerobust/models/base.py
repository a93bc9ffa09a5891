"""What every model of :mod:`facerobust.models` shares: batched scoring (:func:`embed`), top-1
:func:`accuracy`, and the base of the pretrained face models (frozen weights as buffers, input
checks, eval mode).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..validation import check_batch, check_images


def embed(model: Callable[[Tensor], Tensor], x: Tensor, batch: int = 32) -> Tensor:
    """``model(x)`` in chunks of ``batch`` images, without gradients, concatenated along the first
    axis: (N, ...). ``model`` is a network or any function of a batch (e.g. one that moves the batch
    to the network's device and its output back). Used wherever a chapter scores many images."""
    if len(x) == 0:
        raise ValueError("no images to embed")
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def accuracy(model: nn.Module, x: Tensor, y: Tensor, batch: int = 500) -> float:
    """Top-1 accuracy of ``model`` (put in eval mode) on images ``x`` (N, C, H, W) in [0, 1] with
    labels ``y`` (N,), ``batch`` images per forward pass, without gradients."""
    check_batch(x)
    model.eval()
    return float((embed(lambda b: model(b).argmax(1), x, batch) == y).float().mean())


class PretrainedFaceModel(nn.Module):
    """An inference-only port: takes (N, C, size, size) images in [0, 1]; weights are buffers.

    Subclasses set ``size`` and ``channels`` and implement ``_forward`` on checked input.
    The module is differentiable with respect to its input; its weights never require grad.
    """

    size: int = 0
    channels: int = 3

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def _store(self, weights: dict[str, Tensor]) -> None:
        """Register decoded weights as buffers, keeping the original (TF) names for lookup."""
        for name, value in weights.items():
            key = re.sub(r"\W", "_", name)
            while key in self._buffers:
                key += "_"
            self._names[name] = key
            self.register_buffer(key, value.detach().clone(), persistent=True)

    def w(self, name: str) -> Tensor:
        """A weight by its original manifest name."""
        try:
            return getattr(self, self._names[name])
        except KeyError:
            raise KeyError(f"{type(self).__name__}: no weight named {name!r}") from None

    def check(self, x: Tensor) -> None:
        check_images(x, self.size, self.channels, type(self).__name__)

    def forward(self, x: Tensor):
        self.check(x)
        return self._forward(x)

    def _forward(self, x: Tensor):  # pragma: no cover - abstract
        raise NotImplementedError
