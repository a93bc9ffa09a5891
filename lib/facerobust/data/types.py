"""Uniform dataset containers: float images in [0, 1], NCHW, with labels.

Every loader of ``facerobust.data`` returns one of these, so the chapters run the same code
on MNIST-5k, Fashion-MNIST, CelebA or the real faces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass(frozen=True)
class ImageSet:
    """Images ``x`` (N, C, H, W) float32 in [0, 1] and class labels ``y`` (N,) int64."""

    x: Tensor
    y: Tensor
    classes: tuple[str, ...]
    name: str = ""

    def __post_init__(self) -> None:
        if self.x.ndim != 4 or self.x.dtype != torch.float32:
            raise ValueError(
                f"{self.name}: images must be float32 NCHW, got {self.x.dtype} {tuple(self.x.shape)}")
        if len(self.y) != len(self.x):
            raise ValueError(f"{self.name}: {len(self.x)} images but {len(self.y)} labels")

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, idx: Tensor | slice) -> ImageSet:
        return ImageSet(self.x[idx], self.y[idx], self.classes, self.name)


@dataclass(frozen=True)
class AttributeSet:
    """Images ``x`` (N, C, H, W) in [0, 1] and binary attributes ``a`` (N, A) in {-1, +1}
    (CelebA's convention: +1 = attribute present)."""

    x: Tensor
    a: Tensor
    names: tuple[str, ...]
    name: str = ""
    y: Tensor | None = field(default=None)  # the underlying class label, where there is one

    def __post_init__(self) -> None:
        if self.x.ndim != 4 or self.x.dtype != torch.float32:
            raise ValueError(
                f"{self.name}: images must be float32 NCHW, got {self.x.dtype} {tuple(self.x.shape)}")
        if self.a.shape != (len(self.x), len(self.names)):
            raise ValueError(
                f"{self.name}: attributes must be (N, {len(self.names)}), got {tuple(self.a.shape)}")

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, idx: Tensor | slice) -> AttributeSet:
        return AttributeSet(self.x[idx], self.a[idx], self.names, self.name,
                            None if self.y is None else self.y[idx])
