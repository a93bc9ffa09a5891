"""Classifiers and substitute models A-F of Table 5.5 (Defense-GAN chapter), for 1x28x28 images.

Padding follows the official code (first convolution SAME, later ones VALID). "Dropout(p)" is
read as Keras' *drop* rate p (the official TF1 code passes p as keep-probability; the two
readings agree for p = 0.5). Model C's second convolution is 3x3 as printed (the code uses 5x5).
F is B and E is D with the dropout layers removed. Inputs are images in [0, 1]; outputs are
logits (the softmax of the table lives in the loss).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn
from torch.nn import functional


class _SamePad(nn.Module):
    """TensorFlow 'SAME' padding for a k x k convolution with stride s on a square input."""

    def __init__(self, k: int, s: int, size: int) -> None:
        super().__init__()
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        self.pad = (total // 2, total - total // 2, total // 2, total - total // 2)

    def forward(self, x: Tensor) -> Tensor:
        return functional.pad(x, self.pad)


class DigitClassifier(nn.Module):
    """A Table 5.5 network; checks its input and returns logits (N, 10)."""

    def __init__(self, name: str, body: nn.Sequential) -> None:
        super().__init__()
        self.name = name
        self.body = body

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"model {self.name} takes (N, 1, 28, 28) images, got {tuple(x.shape)}")
        return self.body(x)


def _two_conv(c1: int, k1: int, c2: int, k2: int, side: int, drop: bool) -> nn.Sequential:
    """Models A and C: Conv(c1, k1, SAME), ReLU, Conv(c2, k2, stride 2, VALID), ReLU, Dropout(0.25),
    FC(128), ReLU, Dropout(0.5), FC(10); ``side`` is the second convolution's output size."""
    return nn.Sequential(
        nn.Conv2d(1, c1, k1, padding=k1 // 2), nn.ReLU(), nn.Conv2d(c1, c2, k2, stride=2), nn.ReLU(),
        nn.Dropout(0.25 if drop else 0.0), nn.Flatten(), nn.Linear(c2 * side * side, 128), nn.ReLU(),
        nn.Dropout(0.5 if drop else 0.0), nn.Linear(128, 10))


def _a(drop: bool) -> nn.Sequential:
    return _two_conv(64, 5, 64, 5, 12, drop)


def _b(drop: bool) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout(0.2 if drop else 0.0), _SamePad(8, 2, 28), nn.Conv2d(1, 64, 8, stride=2), nn.ReLU(),
        nn.Conv2d(64, 128, 6, stride=2), nn.ReLU(), nn.Conv2d(128, 128, 5), nn.ReLU(),
        nn.Dropout(0.5 if drop else 0.0), nn.Flatten(), nn.Linear(128, 10))


def _c(drop: bool) -> nn.Sequential:
    return _two_conv(128, 3, 64, 3, 13, drop)


def _d(drop: bool) -> nn.Sequential:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Dropout(0.5 if drop else 0.0),
        nn.Linear(200, 200), nn.ReLU(), nn.Dropout(0.5 if drop else 0.0), nn.Linear(200, 10))


_BUILDERS: dict[str, Callable[[], nn.Sequential]] = {
    "A": lambda: _a(True), "B": lambda: _b(True), "C": lambda: _c(True), "D": lambda: _d(True),
    "E": lambda: _d(False), "F": lambda: _b(False),
}
MODELS = tuple(_BUILDERS)


def build(name: str) -> DigitClassifier:
    """Model ``name`` in A-F of Table 5.5 (untrained)."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return DigitClassifier(name, _BUILDERS[name]())
