"""Every face model is differentiable end to end: one FGSM step on a real face moves its score
the expected way (spec section 9.3 in miniature)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from facerobust.models import attribute_models, face_descriptor

FIX = Path(__file__).parent / "fixtures" / "models"
EPS = 1 / 255  # one grey level; at 2/255 a face-api ascent step can overshoot (non-monotone)


@pytest.fixture(scope="module")
def faces() -> torch.Tensor:
    """The 224-px dlib chips of obama1, obama2, obama3 and biden (padding 0.25)."""
    with np.load(FIX / "tfjs_faceres.npz", allow_pickle=False) as f:
        return torch.from_numpy(f["inputs"][:4]).permute(0, 3, 1, 2).float() / 255.0


@pytest.fixture(scope="module")
def registry():
    torch.set_num_threads(2)
    return attribute_models()


def _at(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[-1] == size:
        return x.clone()
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True).clamp(0, 1)


NAMES = ["Male/faceapi", "Male/faceres", "Male/dlib", "Young/faceapi", "Young/faceres", "Young/dlib",
         "Smiling/expression"]


@pytest.mark.parametrize("name", NAMES)
def test_one_fgsm_step_moves_the_score(registry, faces, name: str) -> None:
    am = registry[name]
    x = _at(faces[[0, 3]], am.input_size).requires_grad_(True)  # obama1 and biden
    s0 = am.score(x)
    assert s0.shape == (2,) and s0.dtype == torch.float32
    (g,) = torch.autograd.grad(s0.sum(), x)
    assert torch.isfinite(g).all() and (g.flatten(1).abs().sum(1) > 0).all()
    s0 = s0.detach()
    with torch.no_grad():
        up = am.score((x + EPS * g.sign()).clamp(0, 1))
        down = am.score((x - EPS * g.sign()).clamp(0, 1))
    assert (up > s0).all() and (down < s0).all(), (name, s0.tolist(), up.tolist(), down.tolist())


def test_fgsm_dodging_raises_the_descriptor_distance(faces) -> None:
    m = face_descriptor()
    x = _at(faces, 150)
    with torch.no_grad():
        target = m(x[:1])
    x2 = x[1:2].clone().requires_grad_(True)
    d0 = m.distance(m(x2), target)
    (g,) = torch.autograd.grad(d0.sum(), x2)
    with torch.no_grad():
        d1 = m.distance(m((x2 + EPS * g.sign()).clamp(0, 1)), target)
    assert float(d1) > float(d0.detach()) + 0.05


def test_models_are_frozen_and_in_eval_mode(registry) -> None:
    for am in registry.values():
        assert not am.model.training
        assert not any(p.requires_grad for p in am.model.parameters())
        am.model.train()  # nothing in these ports depends on the mode (no BN, no dropout)
        am.model.eval()


def test_registry_contract(registry, faces) -> None:
    assert list(registry) == NAMES
    pads = {"Male/dlib": 0.2, "Young/dlib": 0.2}
    for name, am in registry.items():
        assert am.name == name and am.attribute == name.split("/")[0]
        assert am.chip_padding == pads.get(name, 0.25) and am.threshold == 0.0 and am.threshold_doc
    # shared underlying models
    assert registry["Male/faceapi"].model is registry["Young/faceapi"].model
    # known answers on the labelled photos: all men, none young
    for name in ("Male/faceapi", "Male/faceres", "Male/dlib"):
        am = registry[name]
        assert am.predict(_at(faces, am.input_size)).all(), name
    for name in ("Young/faceapi", "Young/dlib"):
        am = registry[name]
        assert not am.predict(_at(faces, am.input_size)).any(), name
    with pytest.raises(ValueError, match="unknown attribute models"):
        attribute_models(["Male/nonexistent"])
    assert list(attribute_models(["Smiling/expression"])) == ["Smiling/expression"]
