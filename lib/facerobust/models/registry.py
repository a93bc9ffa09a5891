"""One real-valued score per (attribute, model): the targets of the attribute chapters.

Every :class:`AttributeModel` exposes ``score(x) -> (N,)`` with the papers' sign convention:
**positive = attribute present**, decision threshold 0. Scores are logits or logit differences
(or years, for Young), never probabilities, so that a gradient step is meaningful even when a
model is saturated.

| name | score | zero at |
|---|---|---|
| ``Male/faceapi`` | AgeGenderNet logit(male) - logit(female) | p(male) = 0.5 |
| ``Male/faceres`` | faceres pre-sigmoid gender logit = logit p(male) | p(male) = 0.5 |
| ``Male/dlib`` | dlib gender logit(male) - logit(female) | p(male) = 0.5 |
| ``Young/faceapi`` | ``YOUNG_AGE`` - regressed age (years) | age = 35 |
| ``Young/faceres`` | ``YOUNG_AGE`` - expected age over the 100 bins (bin i = i years) | age = 35 |
| ``Young/dlib`` | ``YOUNG_AGE`` - expected age over dlib's 81 bins | age = 35 |
| ``Smiling/expression`` | logit p(happy) = z_happy - logsumexp(other logits) | p(happy) = 0.5 |

**Young threshold.** CelebA's "Young" is a subjective annotation with no stated age. We call a
face young when a model's age estimate is below ``YOUNG_AGE = 35`` years, fixed a priori as the
upper end of the usual "young adult" range (18-35), with the same cut in the same unit (years) on
all three models, so that one score step means the same for all of them. It was not tuned on the
labelled faces. Measured on the 29 hand-labelled real faces (``real_faces``, 25 "young"), the
Young accuracy is 0.83 (faceapi), 0.90 (faceres) and 0.79 (dlib); a 40-year cut would have
given 1.00 / 0.93 / 0.90, a 30-year cut 0.72 / 0.59 / 0.69. faceres (bin i read as i years,
unverified) and dlib estimate lower ages than face-api: obama1 comes out at 32.5 and 33.6 years
(so "young") by them, 48 by face-api; Biden at 58-70 by all three.

Chips: every model expects a dlib face chip (5-point alignment, ``dlib.get_face_chip``) at its own
``input_size`` with its own ``chip_padding`` (0.25 for face-api / faceres / expression, 0.2 for
the dlib ONNX models, spec section 8.1), e.g. from ``facerobust.data.faces.real_faces``.

Used by the attribute chapters (FGSM / fast flipping attribute, attribute authentication).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .age_gender import FEMALE, MALE, age_gender
from .human_models import HAPPY, expression, faceres
from .onnx_port import dlib_age, dlib_gender

YOUNG_AGE = 35.0
_PROB = "logit of a probability (or a logit difference); 0 = probability 0.5"
_YOUNG = f"years below {YOUNG_AGE:g}; 0 = an estimated age of {YOUNG_AGE:g} years"


@dataclass(eq=False)
class AttributeModel:
    """A pretrained face model read as one binary attribute with a real-valued score.

    ``score(x)`` takes (N, 3, input_size, input_size) RGB chips in [0, 1] and returns (N,);
    the attribute is predicted present where the score is above ``threshold`` (always 0).
    """

    name: str
    attribute: str
    model: nn.Module
    input_size: int
    chip_padding: float
    read: Callable[[nn.Module, Tensor], Tensor] = field(repr=False)
    threshold_doc: str = _PROB
    threshold: float = 0.0

    def score(self, x: Tensor) -> Tensor:
        """Real-valued attribute score (N,), positive = attribute present; differentiable in x."""
        return self.read(self.model, x)

    __call__ = score

    @torch.no_grad()
    def predict(self, x: Tensor) -> Tensor:
        """Boolean prediction (N,): score > threshold."""
        return self.score(x) > self.threshold


def _male_faceapi(m: nn.Module, x: Tensor) -> Tensor:
    logits = m(x)[1]
    return logits[:, MALE] - logits[:, FEMALE]


def _young_faceapi(m: nn.Module, x: Tensor) -> Tensor:
    return YOUNG_AGE - m(x)[0]


def _male_faceres(m: nn.Module, x: Tensor) -> Tensor:
    return m(x).gender_logit


def _young_faceres(m: nn.Module, x: Tensor) -> Tensor:
    return YOUNG_AGE - m(x).age


def _male_dlib(m: nn.Module, x: Tensor) -> Tensor:
    logits = m(x)
    return logits[:, 1] - logits[:, 0]  # [female, male]


def _young_dlib(m: nn.Module, x: Tensor) -> Tensor:
    return YOUNG_AGE - m.expected_age(m(x))  # type: ignore[operator]


def _smiling(m: nn.Module, x: Tensor) -> Tensor:
    z = m(x)
    others = torch.cat([z[:, :HAPPY], z[:, HAPPY + 1:]], dim=1)
    return z[:, HAPPY] - torch.logsumexp(others, dim=1)


def attribute_models(names: list[str] | None = None) -> dict[str, AttributeModel]:
    """The registry: ``{name: AttributeModel}``, each underlying model loaded once and shared.

    ``names`` selects a subset (e.g. ``["Male/faceapi", "Smiling/expression"]``); only the
    models they need are loaded. Unknown names raise ``ValueError`` listing the known ones.
    """
    spec = {
        "Male/faceapi": ("Male", "faceapi", 112, 0.25, _male_faceapi, _PROB),
        "Male/faceres": ("Male", "faceres", 224, 0.25, _male_faceres, _PROB),
        "Male/dlib": ("Male", "dlib_gender", 32, 0.2, _male_dlib, _PROB),
        "Young/faceapi": ("Young", "faceapi", 112, 0.25, _young_faceapi, _YOUNG),
        "Young/faceres": ("Young", "faceres", 224, 0.25, _young_faceres, _YOUNG),
        "Young/dlib": ("Young", "dlib_age", 64, 0.2, _young_dlib, _YOUNG),
        "Smiling/expression": ("Smiling", "expression", 64, 0.25, _smiling, _PROB),
    }
    wanted = list(spec) if names is None else list(names)
    unknown = [n for n in wanted if n not in spec]
    if unknown:
        raise ValueError(f"unknown attribute models {unknown}; known: {list(spec)}")
    loaders: dict[str, Callable[[], nn.Module]] = {
        "faceapi": age_gender, "faceres": faceres, "dlib_gender": dlib_gender,
        "dlib_age": dlib_age, "expression": expression,
    }
    loaded: dict[str, nn.Module] = {}
    out: dict[str, AttributeModel] = {}
    for name in wanted:
        attribute, key, size, padding, read, doc = spec[name]
        if key not in loaded:
            loaded[key] = loaders[key]()
        out[name] = AttributeModel(name, attribute, loaded[key], size, padding, read, doc)
    return out
