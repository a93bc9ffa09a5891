"""How chapter 9's digit classifiers are built and trained: the callables their cache entries hash.

Kept apart from :mod:`.stages` so that the key of a classifier (:func:`facerobust.cache.key`:
configuration, the import closure of ``make`` and ``fit``, the training images) covers this
module, the networks and their training loop only: editing an attack or a table retrains nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from torch import Tensor, nn

from ... import device as devices
from ...models import small_nets


@dataclass(frozen=True)
class ClassifierConfig:
    """A classifier's training recipe (every field is part of its cache key): ``n_train`` images
    drawn with ``seed``, ``epochs`` of Adam at rate ``lr``."""

    n_train: int
    epochs: int
    lr: float
    seed: int


def _fit(model: nn.Module, *, x: Tensor, y: Tensor, epochs: int, lr: float, seed: int,
         device: str | None) -> dict[str, Any]:
    dev = devices.resolve(device)
    return small_nets.fit_classifier(model.to(dev), x.to(dev), y.to(dev), epochs=epochs, lr=lr, seed=seed)


def classifier_fit(x: Tensor, y: Tensor, epochs: int, lr: float, seed: int,
                   device: str | None = "cpu") -> Callable[[nn.Module], dict[str, Any]]:
    """How a classifier trains: :func:`small_nets.fit_classifier` on ``(x, y)`` (CPU tensors) on
    ``device``; the device is not part of the key (the cache holds CPU weights)."""
    return partial(_fit, x=x, y=y, epochs=epochs, lr=lr, seed=seed, device=device)


def drawn_after(first: Callable[[], nn.Module], build: Callable[[], nn.Module]) -> nn.Module:
    """``build()`` with its initial weights drawn after those of ``first()`` (discarded): the draws
    it gets when built right after ``first`` from one seeded stream. The chapter's MobileNetV2 was
    always built after its LeNet-5; this keeps its weights when it is built on its own (a task)."""
    first()
    return build()


def lenet5() -> nn.Module:
    """LeNet-5 for 28x28 grey digits (MNIST-5k)."""
    return small_nets.lenet5()


def mobilenet() -> nn.Module:
    """The narrow MobileNetV2 (width 16) for Fashion-MNIST, its weights drawn after LeNet-5's."""
    return drawn_after(small_nets.lenet5, partial(small_nets.mobilenet_v2_small, width=16))
