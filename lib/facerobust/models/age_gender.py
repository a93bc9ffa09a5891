"""face-api.js AgeGenderNet (TinyXception, 2 main blocks): age regression and gender logits.

Input: 112x112 RGB dlib face chips (padding 0.25) in [0, 1]. Output: ``(age, gender_logits)``
with ``age`` (N,) in years and ``gender_logits`` (N, 2), **index 0 = male**, 1 = female.
Architecture and weight naming: spec section 6.3.

Used by the attribute chapters (Male and Young scores through :mod:`.registry`).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional

from . import _tf
from .base import PretrainedFaceModel
from .tfjs_weights import load_asset_weights

MANIFEST = "face-api/model/age_gender_model-weights_manifest.json"
MEAN_RGB = (122.782, 117.001, 104.298)
MALE, FEMALE = 0, 1


def _convert(name: str, w: Tensor) -> Tensor:
    if name.endswith("depthwise_filter"):
        return _tf.depthwise_to_oihw(w)
    if name.endswith("filter") or name.endswith("filters"):
        return _tf.hwio_to_oihw(w)
    return w


class AgeGender(PretrainedFaceModel):
    """(N, 3, 112, 112) in [0, 1] -> (age (N,), gender logits (N, 2) with index 0 = male)."""

    mean: Tensor

    size = 112

    def __init__(self, weights: dict[str, Tensor]) -> None:
        super().__init__()
        self._store({k: _convert(k, v) for k, v in weights.items()})
        self.register_buffer("mean", torch.tensor(MEAN_RGB).view(1, 3, 1, 1) / 255.0, persistent=False)
        self.eval().requires_grad_(False)

    def _conv(self, x: Tensor, name: str, stride: int) -> Tensor:
        y = _tf.conv(x, self.w(f"{name}/filters"), stride, "SAME")
        return y + self.w(f"{name}/bias").view(1, -1, 1, 1)

    def _sep(self, x: Tensor, name: str) -> Tensor:
        dw = self.w(f"{name}/depthwise_filter")
        x = _tf.conv(x, dw, 1, "SAME", groups=dw.shape[0])
        pointwise = functional.conv2d(x, self.w(f"{name}/pointwise_filter"))
        return pointwise + self.w(f"{name}/bias").view(1, -1, 1, 1)

    def _reduction(self, x: Tensor, name: str, activate: bool) -> Tensor:
        y = self._sep(functional.relu(x) if activate else x, f"{name}/separable_conv0")
        y = self._sep(functional.relu(y), f"{name}/separable_conv1")
        y = _tf.max_pool(y, 3, 2, "SAME")
        return y + self._conv(x, f"{name}/expansion_conv", 2)

    def _main(self, x: Tensor, name: str) -> Tensor:
        y = self._sep(functional.relu(x), f"{name}/separable_conv0")
        y = self._sep(functional.relu(y), f"{name}/separable_conv1")
        return x + self._sep(functional.relu(y), f"{name}/separable_conv2")

    def features(self, x: Tensor) -> Tensor:
        """The 512-d pooled bottleneck features of checked input."""
        x = functional.relu(self._conv(x - self.mean, "entry_flow/conv_in", 2))
        x = self._reduction(x, "entry_flow/reduction_block_0", activate=False)
        x = self._reduction(x, "entry_flow/reduction_block_1", activate=True)
        x = self._main(x, "middle_flow/main_block_0")
        x = self._main(x, "middle_flow/main_block_1")
        x = self._reduction(x, "exit_flow/reduction_block", activate=True)
        x = functional.relu(self._sep(x, "exit_flow/separable_conv"))
        return functional.avg_pool2d(x, 7, 2).flatten(1)

    def _forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f = self.features(x)
        age = (f @ self.w("fc/age/weights") + self.w("fc/age/bias")).squeeze(1)
        gender = f @ self.w("fc/gender/weights") + self.w("fc/gender/bias")
        return age, gender


def age_gender() -> AgeGender:
    """Load :class:`AgeGender` from the verified face-api asset files."""
    return AgeGender(load_asset_weights(MANIFEST))
