"""TensorFlow padding and layout rules in PyTorch (NCHW), shared by the TF.js ports.

SAME: output = ceil(n / s); total padding p = max((out - 1) * s + k - n, 0), floor(p / 2) before
(top, left) and the rest after (bottom, right) -- asymmetric for stride 2 on even sizes, which
PyTorch's symmetric ``padding=`` cannot express. VALID: no padding.

Used by :mod:`.face_descriptor`, :mod:`.age_gender` and :mod:`.tfjs_graph` (all face chapters).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional


def same_padding(n: int, k: int, s: int) -> tuple[int, int]:
    """(before, after) padding of one axis under TF's SAME rule."""
    out = -(-n // s)
    p = max((out - 1) * s + k - n, 0)
    return p // 2, p - p // 2


def pad_same(x: Tensor, k: tuple[int, int], s: tuple[int, int], value: float = 0.0) -> Tensor:
    """Pad an NCHW tensor so a VALID op with kernel ``k`` and stride ``s`` acts like TF SAME."""
    top, bottom = same_padding(x.shape[2], k[0], s[0])
    left, right = same_padding(x.shape[3], k[1], s[1])
    if top == bottom == left == right == 0:
        return x
    return functional.pad(x, (left, right, top, bottom), value=value)


def conv(x: Tensor, w: Tensor, stride: int, padding: str, groups: int = 1) -> Tensor:
    """2-D convolution with an OIHW filter and TF padding (``"SAME"`` or ``"VALID"``)."""
    if padding.upper() == "SAME":
        x = pad_same(x, (w.shape[2], w.shape[3]), (stride, stride))
    elif padding.upper() != "VALID":
        raise ValueError(f"unsupported padding {padding!r}")
    # channels-last memory: PyTorch's CPU depthwise convolution is ~5x faster on it
    return functional.conv2d(x.contiguous(memory_format=torch.channels_last), w, stride=stride, groups=groups)


def max_pool(x: Tensor, k: int, stride: int, padding: str) -> Tensor:
    """Max-pool with TF padding; SAME pads with -inf so padding never wins."""
    if padding.upper() == "SAME":
        x = pad_same(x, (k, k), (stride, stride), value=float("-inf"))
    return functional.max_pool2d(x, k, stride)


def hwio_to_oihw(w: Tensor) -> Tensor:
    """TF conv filter [kh, kw, in, out] -> PyTorch [out, in, kh, kw]."""
    return w.permute(3, 2, 0, 1).contiguous()


def depthwise_to_oihw(w: Tensor) -> Tensor:
    """TF depthwise filter [kh, kw, in, mult] -> PyTorch [in * mult, 1, kh, kw] (groups = in)."""
    kh, kw, cin, mult = w.shape
    return w.reshape(kh, kw, cin * mult).permute(2, 0, 1).unsqueeze(1).contiguous()
