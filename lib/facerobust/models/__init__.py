"""Pretrained face models in PyTorch, loaded offline from the verified asset files.

Every model is an ``nn.Module`` in eval mode that takes (N, 3, S, S) RGB images in [0, 1] at its
own size S, normalises inside, is differentiable with respect to its input, and raises a clear
``ValueError`` on bad input:

- :func:`face_descriptor` -> :class:`FaceDescriptor` (dlib ResNet-29, 150 px, 128-d)
- :func:`age_gender` -> :class:`AgeGender` (face-api AgeGenderNet, 112 px)
- :func:`faceres` -> :class:`FaceRes` (HSE faceres graph, 224 px: gender, age, 1024-d descriptor)
- :func:`expression` -> :class:`Expression` (FER-2013 mini-Xception, 64 px, 7 expressions)
- :func:`dlib_gender` / :func:`dlib_age` -> :class:`DlibGender` (32 px) / :class:`DlibAge` (64 px)
- :func:`attribute_models` -> the registry of one-score-per-attribute :class:`AttributeModel` s.

A reader's own model and data: :mod:`.adapters` (:class:`Normalized`, :class:`LogitsOf`,
:func:`as_batch`, :func:`as_labels`).
"""

from ..validation import check_images
from .adapters import LogitsOf, Normalized, as_batch, as_labels
from .age_gender import AgeGender, age_gender
from .face_descriptor import MATCH_THRESHOLD, FaceDescriptor, face_descriptor
from .human_models import EXPRESSIONS, Expression, FaceRes, FaceResOutput, expression, faceres
from .onnx_port import DlibAge, DlibGender, dlib_age, dlib_gender
from .registry import YOUNG_AGE, AttributeModel, attribute_models
from .tfjs_graph import TFJSGraph, load_graph
from .tfjs_weights import load_weights, read_manifest

__all__ = [
    "MATCH_THRESHOLD", "EXPRESSIONS", "YOUNG_AGE",
    "AgeGender", "AttributeModel", "DlibAge", "DlibGender", "Expression", "FaceDescriptor", "FaceRes",
    "FaceResOutput", "LogitsOf", "Normalized", "TFJSGraph",
    "age_gender", "as_batch", "as_labels", "attribute_models", "check_images", "dlib_age", "dlib_gender",
    "expression", "face_descriptor", "faceres", "load_graph", "load_weights", "read_manifest",
]
