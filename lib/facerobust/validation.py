"""Argument checks shared by models, attacks, defenses and metrics (no garbage in or out).

Every public function of the library validates its arguments with these helpers and raises a
one-line ``ValueError`` that names the argument and the problem (NaN, wrong shape, wrong dtype,
values out of range, a bool where a number is expected). This module sits below
:mod:`facerobust.models` (it imports only torch), so models, attacks, defenses and metrics can all
use it without importing upward.

A refusal that one of the adapters in :mod:`facerobust.models.adapters` fixes names it (a numpy
array, uint8 or float64 images, channels last: ``as_batch``; numpy, int32 or (N, 1) labels:
``as_labels``; a model whose output is a tuple or dict: ``LogitsOf``; normalised inputs:
``Normalized``). The names are text here: this module imports nothing from the models layer.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch
from torch import Tensor

ADAPTERS = "facerobust.models.adapters"
"""Where the adapters named in the error messages live."""


def check_batch(
    x: object,
    channels: int | None = None,
    lo: float = 0.0,
    hi: float = 1.0,
    *,
    name: str = "x",
    dtype: torch.dtype | None = torch.float32,
) -> Tensor:
    """Raise ``ValueError`` unless ``x`` is a non-empty NCHW ``dtype`` batch of finite values in [lo, hi].

    ``dtype=None`` accepts any floating dtype. Returns ``x`` (for chaining).
    """
    if not isinstance(x, Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor batch, got {type(x).__name__} "
                         f"(numpy or uint8 images: {ADAPTERS}.as_batch({name}))")
    if x.ndim != 4:
        hint = (" (a single image? add a batch dimension with x[None]; a grayscale batch (N, H, W): "
                f"{ADAPTERS}.as_batch)") if x.ndim == 3 else ""
        raise ValueError(f"{name}: expected an NCHW batch, got shape {tuple(x.shape)}{hint}")
    if not x.is_floating_point() or (dtype is not None and x.dtype != dtype):
        want = str(dtype).replace("torch.", "") if dtype is not None else "a floating dtype"
        hint = (f" (uint8 images: {ADAPTERS}.as_batch({name}) divides by 255)" if x.dtype == torch.uint8
                else f" (convert with {ADAPTERS}.as_batch({name}))")
        raise ValueError(f"{name}: expected dtype {want}, got {str(x.dtype).replace('torch.', '')}{hint}")
    if len(x) == 0:
        raise ValueError(f"{name}: empty batch (N = 0)")
    if channels is None and x.shape[1] not in (1, 3, 4) and x.shape[-1] in (1, 3, 4):
        raise ValueError(f"{name}: shape {tuple(x.shape)} looks like NHWC (channels last); "
                         f"pass NCHW: x.permute(0, 3, 1, 2) or {ADAPTERS}.as_batch({name})")
    if channels is not None and x.shape[1] != channels:
        hint = (f" (NHWC passed? use x.permute(0, 3, 1, 2) or {ADAPTERS}.as_batch({name}))"
                if x.shape[-1] == channels else "")
        raise ValueError(f"{name}: expected {channels} channels, got {x.shape[1]} "
                         f"(shape {tuple(x.shape)}){hint}")
    with torch.no_grad():
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name}: batch contains NaN or infinite values")
        vmin, vmax = float(x.min()), float(x.max())
    if vmin < lo - 1e-6 or vmax > hi + 1e-6:
        hint = ""
        if vmin < 0 and lo == 0.0:
            hint = (" (normalised images? pass images in [0, 1] and wrap the model: "
                    f"{ADAPTERS}.Normalized(model, mean, std))")
        elif vmax > 1.5 and hi == 1.0:
            hint = f" (looks like 0-255 values: divide by 255, or {ADAPTERS}.as_batch({name}, scale=255))"
        raise ValueError(f"{name}: pixel values must lie in [{lo:g}, {hi:g}], "
                         f"got [{vmin:.3g}, {vmax:.3g}]{hint}")
    return x


def check_pair(x: object, y: object, *, names: tuple[str, str] = ("x", "y"), channels: int | None = None,
               dtype: torch.dtype | None = None) -> tuple[Tensor, Tensor]:
    """Two image batches of one shape (metrics): each checked by :func:`check_batch` in [0, 1]."""
    a = check_batch(x, channels, name=names[0], dtype=dtype)
    b = check_batch(y, channels, name=names[1], dtype=dtype)
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have one shape, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


def check_labels(y: object, n: int, n_classes: int | None = None, *, name: str = "y") -> Tensor:
    """Raise ``ValueError`` unless ``y`` is an int64 tensor (n,) with values in [0, n_classes)."""
    if not isinstance(y, Tensor):
        raise ValueError(f"{name}: expected an int64 label tensor, got {type(y).__name__} "
                         f"(convert with {ADAPTERS}.as_labels({name}))")
    if y.dtype != torch.int64:
        hint = "" if y.is_floating_point() else f" (convert with {ADAPTERS}.as_labels({name}))"
        raise ValueError(f"{name}: labels must be int64, got {str(y.dtype).replace('torch.', '')}{hint}")
    if tuple(y.shape) != (n,):
        hint = f" (convert with {ADAPTERS}.as_labels({name}))" if tuple(y.shape) == (n, 1) else ""
        raise ValueError(f"{name}: labels must have shape ({n},), got {tuple(y.shape)}{hint}")
    if n and int(y.min()) < 0:
        raise ValueError(f"{name}: labels must be >= 0, got {int(y.min())} (-100 is cross-entropy's ignore "
                         "index, not a class)")
    if n and n_classes is not None and int(y.max()) >= n_classes:
        raise ValueError(f"{name}: labels must lie in [0, {n_classes}), got {int(y.max())}")
    return y


def check_scalar(
    value: object,
    name: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    integer: bool = False,
) -> float:
    """A finite real (or, with ``integer``, an int; never a bool) in the given range; returns it.

    ``lo_open``/``hi_open`` make the bound strict (e.g. a learning rate ``> 0``).
    """
    if isinstance(value, bool) or not isinstance(value, (Integral, Real) if not integer else Integral):
        kind = "an integer" if integer else "a real number"
        raise ValueError(f"{name} must be {kind}, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi:g}, got {v:g}")
    return v


def check_int(value: object, name: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """An int (not a bool) in [lo, hi]; returns it."""
    return int(check_scalar(value, name, lo=lo, hi=hi, integer=True))


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``; returns it."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return str(value)


def check_logits(z: object, n: int, *, name: str = "model") -> Tensor:
    """Model output (n, C) of finite values: a NaN/inf output is an error, never a success."""
    if not isinstance(z, Tensor):
        raise ValueError(f"{name}: output must be a tensor of logits, got {type(z).__name__} (a model that "
                         f"returns a tuple or dict: wrap it, {ADAPTERS}.LogitsOf(model, pick))")
    if z.ndim != 2 or len(z) != n:
        raise ValueError(f"{name}: output must be (N={n}, classes), got shape {tuple(z.shape)}")
    with torch.no_grad():
        if not bool(torch.isfinite(z).all()):
            raise ValueError(f"{name}: output contains NaN or infinite values (argmax of NaN is not a class)")
    return z


def check_finite(t: object, name: str) -> Tensor:
    """A tensor of finite values (scores, per-sample parameters)."""
    if not isinstance(t, Tensor):
        raise ValueError(f"{name}: expected a tensor, got {type(t).__name__}")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return t


def check_images(x: object, size: int, channels: int = 3, name: str = "model") -> None:
    """Raise a clear ``ValueError`` unless ``x`` is an (N, channels, size, size) float batch in [0, 1].

    Catches: not a tensor, wrong rank, an empty batch, grayscale where RGB is expected (and the
    reverse), the wrong spatial size, NaN/inf, and 0-255 values passed as floats. (Face models.)
    """
    if not isinstance(x, Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor batch, got {type(x).__name__} "
                         f"(numpy or uint8 images: {ADAPTERS}.as_batch(x))")
    if not x.is_floating_point():
        raise ValueError(f"{name}: expected a float tensor in [0, 1], got dtype {x.dtype} "
                         f"(convert with {ADAPTERS}.as_batch(x))")
    if x.ndim != 4:
        raise ValueError(f"{name}: expected an NCHW batch (N, {channels}, {size}, {size}), "
                         f"got shape {tuple(x.shape)}")
    if len(x) == 0:
        raise ValueError(f"{name}: empty batch (N = 0)")
    if x.shape[1] != channels:
        kind = "grayscale" if x.shape[1] == 1 else f"{x.shape[1]}-channel"
        want = "RGB" if channels == 3 else f"{channels}-channel"
        hint = (f" (NHWC passed? use x.permute(0, 3, 1, 2) or {ADAPTERS}.as_batch(x))"
                if x.shape[-1] == channels else "")
        raise ValueError(f"{name}: expected {want} input with {channels} channels, got {kind} "
                         f"input of shape {tuple(x.shape)}{hint}")
    if tuple(x.shape[2:]) != (size, size):
        raise ValueError(f"{name}: expected {size}x{size} images, got {x.shape[2]}x{x.shape[3]} "
                         f"(resize or cut a face chip at the model's own size)")
    check_batch(x, channels, name=name, dtype=None)
