"""Adapters: the four wrappers that let the book's attacks take a reader's own model and data.

Every attack takes ``x`` as an (N, C, H, W) float32 tensor in [0, 1], ``y`` as an int64 tensor (N,),
and a model that maps such a batch to (N, classes) logits (:mod:`facerobust.attacks.base`). The
attacks refuse anything else with an error that names the adapter below that fixes it; none of them
guesses silently:

- :class:`Normalized` ``(model, mean, std)``: a model trained on normalised inputs
  (``(x - mean) / std``, e.g. ImageNet statistics) takes images in [0, 1], so the attack's budget
  ``eps`` and its clipping to [0, 1] are in pixel units.
- :class:`LogitsOf` ``(model, pick)``: a model that returns a tuple, a list, a dict or an output
  object gives the attacks its logits (``pick`` = the index, key, attribute name or a function).
- :func:`as_batch`: a numpy array, uint8 or float64 images, channels last (NHWC), a single
  grayscale image or a grayscale batch (N, H, W) becomes an (N, C, H, W) float32 tensor in [0, 1].
- :func:`as_labels`: numpy, a list, int32 or (N, 1) labels become an int64 tensor (N,).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..validation import check_batch, check_labels

__all__ = ["LogitsOf", "Normalized", "as_batch", "as_labels"]


def _per_channel(values: float | Sequence[float] | Tensor, name: str) -> Tensor:
    t = torch.as_tensor(values, dtype=torch.float32, device="cpu").flatten()  # buffers: .to() moves them
    if t.numel() == 0 or not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must be one finite value or one per channel, got {values!r}")
    return t.view(1, -1, 1, 1)


class Normalized(nn.Module):
    """``model((x - mean) / std)``: the wrapped model takes images in [0, 1].

    Args:
        model: a model trained on normalised inputs.
        mean: one value, or one per channel (e.g. ``(0.485, 0.456, 0.406)``).
        std: one value, or one per channel; every value > 0.

    The statistics are buffers, so ``Normalized(...).to(device)`` moves them with the model.
    """

    mean: Tensor
    std: Tensor

    def __init__(self, model: nn.Module | Callable[[Tensor], Any], mean: float | Sequence[float] | Tensor,
                 std: float | Sequence[float] | Tensor) -> None:
        super().__init__()
        self.model = model
        m, s = _per_channel(mean, "mean"), _per_channel(std, "std")
        if bool((s <= 0).any()):
            raise ValueError(f"std must be > 0 for every channel, got {std!r}")
        if m.shape[1] != s.shape[1] and 1 not in (m.shape[1], s.shape[1]):
            raise ValueError(f"mean and std must have one value per channel each, got {m.shape[1]} "
                             f"and {s.shape[1]}")
        self.register_buffer("mean", m)
        self.register_buffer("std", s)

    def forward(self, x: Tensor) -> Any:
        if x.ndim != 4 or self.mean.shape[1] not in (1, x.shape[1]):
            raise ValueError(f"Normalized: expected an NCHW batch with {self.mean.shape[1]} channel(s), "
                             f"got shape {tuple(x.shape)}")
        return self.model((x - self.mean) / self.std)


class LogitsOf(nn.Module):
    """The logits out of a model that returns more than a tensor.

    Args:
        model: the model; its output is a tuple, a list, a mapping or an object.
        pick: where the logits are: an index (``0`` for ``(logits, features)``), a key
            (``"logits"`` for a dict), an attribute name (``"logits"`` for an output object), or a
            function of the output.
    """

    def __init__(self, model: nn.Module | Callable[[Tensor], Any],
                 pick: int | str | Callable[[Any], Tensor]) -> None:
        super().__init__()
        if isinstance(pick, bool) or not (isinstance(pick, (int, str)) or callable(pick)):
            raise ValueError(f"pick must be an index, a key or a function, got {pick!r}")
        self.model = model
        self.pick = pick

    def forward(self, x: Tensor) -> Tensor:
        out = self.model(x)
        if callable(self.pick):
            return self.pick(out)
        if isinstance(out, Mapping):
            if self.pick not in out:
                raise ValueError(f"LogitsOf: the model's output has keys {list(out)}, not {self.pick!r}")
            return out[self.pick]
        if isinstance(out, (tuple, list)):
            if not isinstance(self.pick, int) or not -len(out) <= self.pick < len(out):
                raise ValueError(f"LogitsOf: the model returns {len(out)} values; pick an index in "
                                 f"[0, {len(out)}), got {self.pick!r}")
            return out[self.pick]
        if isinstance(self.pick, str) and hasattr(out, self.pick):
            return getattr(out, self.pick)
        raise ValueError(f"LogitsOf: cannot pick {self.pick!r} from a {type(out).__name__}")


def _to_tensor(array: object, name: str) -> Tensor:
    if isinstance(array, Tensor):
        return array.detach()
    try:
        a = np.asarray(array)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot read a {type(array).__name__} as an array") from exc
    if a.dtype == object:
        raise ValueError(f"{name}: ragged or non-numeric data (dtype object)")
    return torch.from_numpy(np.ascontiguousarray(a))


def _to_nchw(t: Tensor, channels_last: bool | None) -> Tensor:
    if t.ndim == 2:  # one grayscale image (H, W)
        return t[None, None]
    if t.ndim == 3:
        if t.shape[-1] in (3, 4) and t.shape[0] not in (3, 4):
            raise ValueError(f"x: shape {tuple(t.shape)} looks like one colour image (H, W, C); add a "
                             "batch dimension: as_batch(image[None])")
        return t[:, None]  # a grayscale batch (N, H, W)
    if t.ndim != 4:
        raise ValueError(f"x: expected (H, W), (N, H, W), NCHW or NHWC, got shape {tuple(t.shape)}")
    if channels_last is None:
        first, last = t.shape[1] in (1, 3, 4), t.shape[-1] in (1, 3, 4)
        if first == last:
            raise ValueError(f"x: shape {tuple(t.shape)} is ambiguous; say channels_last=True (NHWC) "
                             "or channels_last=False (NCHW)")
        channels_last = last
    return t.permute(0, 3, 1, 2) if channels_last else t


def as_batch(array: object, *, scale: float | None = None, channels_last: bool | None = None,
             device: torch.device | str | None = None) -> Tensor:
    """Images as the attacks take them: an (N, C, H, W) float32 tensor in [0, 1].

    Args:
        array: a numpy array, a tensor or nested lists: (H, W) one grayscale image, (N, H, W)
            grayscale images, (N, C, H, W) or (N, H, W, C).
        scale: the value of a white pixel; default 255 for uint8 and 1 for floats. Pass
            ``scale=255`` for 0-255 values stored as floats. Other integer types need it.
        channels_last: True for NHWC, False for NCHW; default: from the shape (an error when the
            shape cannot tell).
        device: where the tensor goes (default: where it is; the CPU for numpy).

    Raises:
        ValueError: when the values do not lie in [0, scale], or are not finite.
    """
    t = _to_tensor(array, "x")
    if t.dtype == torch.bool or t.is_complex():
        raise ValueError(f"x: expected image values, got dtype {str(t.dtype).replace('torch.', '')}")
    if scale is None:
        if t.dtype == torch.uint8:
            scale = 255.0
        elif not t.is_floating_point():
            raise ValueError(f"x: integer images of dtype {str(t.dtype).replace('torch.', '')}: give the "
                             "white level, e.g. as_batch(x, scale=65535)")
        else:
            scale = 1.0
    if isinstance(scale, bool) or not float(scale) > 0 or not np.isfinite(float(scale)):
        raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
    out = _to_nchw(t, channels_last).to(device=device, dtype=torch.float32) / float(scale)
    return check_batch(out.contiguous(), name="x")


def as_labels(array: object, n_classes: int | None = None, *,
              device: torch.device | str | None = None) -> Tensor:
    """Labels as the attacks take them: an int64 tensor (N,).

    Args:
        array: integer class indices as a numpy array, a tensor, a list, (N,) or (N, 1).
        n_classes: when given, every label must lie in [0, n_classes).
        device: where the tensor goes.

    One-hot or score arrays (N, C) are refused: take ``.argmax(1)`` first if that is what they mean.
    Float labels are refused too, as a float array is more often scores than classes.
    """
    t = _to_tensor(array, "y")
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1:
        hint = " (one-hot or scores? take .argmax(1))" if t.ndim == 2 else ""
        raise ValueError(f"y: expected labels of shape (N,) or (N, 1), got {tuple(t.shape)}{hint}")
    if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
        raise ValueError(f"y: expected integer class indices, got dtype {str(t.dtype).replace('torch.', '')}")
    out = t.to(device=device, dtype=torch.int64)
    return check_labels(out, len(out), n_classes, name="y")
