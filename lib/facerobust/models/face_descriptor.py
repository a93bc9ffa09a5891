"""dlib's ResNet-29 face descriptor (128-d) ported from face-api.js' FaceRecognitionNet weights.

Input: 150x150 RGB dlib face chips (padding 0.25) in [0, 1]; output: the 128-d descriptor, not
L2-normalised; two faces are the same person if their Euclidean distance is below 0.6
(:data:`MATCH_THRESHOLD`). Architecture and weight naming: spec section 6.2. The face-api weights
are uint8-quantised, so the port differs slightly from dlib's float model (fidelity test:
``tests/test_models_fidelity.py``).

Used by the face-recognition chapters (dodging / impersonation and sticker attacks).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional

from . import _tf
from .base import PretrainedFaceModel
from .tfjs_weights import load_asset_weights

MANIFEST = "face-api/model/face_recognition_model-weights_manifest.json"
MEAN_RGB = (122.782, 117.001, 104.298)
MATCH_THRESHOLD = 0.6

_RESIDUAL = ["conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2", "conv64_3",
             "conv128_down", "conv128_1", "conv128_2", "conv256_down", "conv256_1", "conv256_2",
             "conv256_down_out"]


class FaceDescriptor(PretrainedFaceModel):
    """dlib ResNet-29: (N, 3, 150, 150) in [0, 1] -> (N, 128) descriptor (Euclidean metric)."""

    mean: Tensor

    size = 150

    def __init__(self, weights: dict[str, Tensor]) -> None:
        super().__init__()
        conv = {k: _tf.hwio_to_oihw(v) for k, v in weights.items() if k.endswith("/conv/filters")}
        self._store({**weights, **conv})
        self.register_buffer("mean", torch.tensor(MEAN_RGB).view(1, 3, 1, 1) / 255.0, persistent=False)
        self.eval().requires_grad_(False)

    def _unit(self, x: Tensor, name: str, stride: int, padding: str, relu: bool) -> Tensor:
        y = _tf.conv(x, self.w(f"{name}/conv/filters"), stride, padding)
        y = y + self.w(f"{name}/conv/bias").view(1, -1, 1, 1)
        y = y * self.w(f"{name}/scale/weights").view(1, -1, 1, 1) + self.w(f"{name}/scale/biases").view(
            1, -1, 1, 1)
        return functional.relu(y) if relu else y

    def _block(self, x: Tensor, name: str) -> Tensor:
        down = name.endswith("down") or name.endswith("down_out")
        if not down:
            y = self._unit(x, f"{name}/conv1", 1, "SAME", True)
            return functional.relu(x + self._unit(y, f"{name}/conv2", 1, "SAME", False))
        y = self._unit(x, f"{name}/conv1", 2, "VALID", True)
        y = self._unit(y, f"{name}/conv2", 1, "SAME", False)
        short = functional.avg_pool2d(x, 2, 2)
        if short.shape[1] != y.shape[1]:  # zero channels appended to the shortcut
            short = torch.cat([short, torch.zeros_like(short)], dim=1)
        if short.shape[2:] != y.shape[2:]:  # zero row at the bottom, zero column at the right
            y = functional.pad(y, (0, short.shape[3] - y.shape[3], 0, short.shape[2] - y.shape[2]))
        return functional.relu(short + y)

    def _forward(self, x: Tensor) -> Tensor:
        x = x - self.mean  # (255 x - mean) / 255
        x = self._unit(x, "conv32_down", 2, "VALID", True)
        x = functional.max_pool2d(x, 3, 2)
        for name in _RESIDUAL:
            x = self._block(x, name)
        return x.mean(dim=(2, 3)) @ self.w("fc")

    @staticmethod
    def distance(a: Tensor, b: Tensor) -> Tensor:
        """Euclidean distance between descriptors (broadcasting over the batch)."""
        return (a - b).norm(dim=-1)


def face_descriptor() -> FaceDescriptor:
    """Load :class:`FaceDescriptor` from the verified face-api asset files."""
    return FaceDescriptor(load_asset_weights(MANIFEST))
