"""Input checks shared by every face model (models must not import :mod:`facerobust.attacks`).

Used by every model in :mod:`facerobust.models` and hence by every face chapter.
"""

from __future__ import annotations

import torch
from torch import Tensor


def check_images(x: Tensor, size: int, channels: int = 3, name: str = "model") -> None:
    """Raise a clear ``ValueError`` unless ``x`` is an (N, channels, size, size) batch in [0, 1].

    Catches: not a tensor, wrong rank, an empty batch, grayscale where RGB is expected (and the
    reverse), the wrong spatial size, NaN/inf, and 0-255 values passed as floats.
    """
    if not isinstance(x, Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor batch, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"{name}: expected a float tensor in [0, 1], got dtype {x.dtype}")
    if x.ndim != 4:
        raise ValueError(f"{name}: expected an NCHW batch (N, {channels}, {size}, {size}), "
                         f"got shape {tuple(x.shape)}")
    if len(x) == 0:
        raise ValueError(f"{name}: empty batch (N = 0)")
    if x.shape[1] != channels:
        kind = "grayscale" if x.shape[1] == 1 else f"{x.shape[1]}-channel"
        want = "RGB" if channels == 3 else f"{channels}-channel"
        hint = " (NHWC passed? use x.permute(0, 3, 1, 2))" if x.shape[-1] == channels else ""
        raise ValueError(f"{name}: expected {want} input with {channels} channels, got {kind} "
                         f"input of shape {tuple(x.shape)}{hint}")
    if tuple(x.shape[2:]) != (size, size):
        raise ValueError(f"{name}: expected {size}x{size} images, got {x.shape[2]}x{x.shape[3]} "
                         f"(resize or cut a face chip at the model's own size)")
    with torch.no_grad():
        if not torch.isfinite(x).all():
            raise ValueError(f"{name}: batch contains NaN or infinite values")
        lo, hi = float(x.min()), float(x.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        hint = " (looks like 0-255 values: divide by 255)" if hi > 1.5 else ""
        raise ValueError(f"{name}: pixel values must lie in [0, 1], got [{lo:.3g}, {hi:.3g}]{hint}")
