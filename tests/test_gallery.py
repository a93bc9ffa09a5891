"""The gallery (face-identification) classifier and the K-anonymity chapter's face setting."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from facerobust.models.base import embed
from facerobust.models.gallery import GalleryClassifier, templates
from torch import nn


class _Flat(nn.Module):
    """A toy embedder: a fixed linear map of the flattened image."""

    def __init__(self, d_in: int, d_out: int = 8) -> None:
        super().__init__()
        self.lin = nn.Linear(d_in, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x.flatten(1))


def test_templates_are_normalised_class_means():
    e = torch.tensor([[2.0, 0.0], [0.0, 3.0], [0.0, -1.0], [1.0, 1.0]])
    y = torch.tensor([0, 0, 1, 1])
    g = templates(e, y)
    s = 2**-0.5  # class 0: mean of (1, 0) and (0, 1); class 1: mean of (0, -1) and (s, s)
    want = torch.tensor([[s, s], [s, s - 1]])
    assert torch.allclose(g, want / want.norm(dim=1, keepdim=True), atol=1e-6)
    assert torch.allclose(g.norm(dim=1), torch.ones(2))
    with pytest.raises(ValueError, match="without a gallery photo"):
        templates(e, y, n_classes=3)
    with pytest.raises(ValueError):
        templates(e, y.float())  # type: ignore[arg-type]


def test_gallery_classifier_shape_ranking_scale_and_gradients():
    torch.manual_seed(0)
    x = torch.rand(6, 3, 8, 8)
    emb = _Flat(3 * 8 * 8)
    y = torch.arange(6)
    model = GalleryClassifier(emb, templates(embed(emb, x, batch=4), y), scale=15.0)
    z = model(x)
    assert z.shape == (6, 6)
    assert torch.equal(z.argmax(1), y)  # each gallery photo ranks its own identity first
    assert torch.allclose(z.diagonal(), torch.full((6,), 15.0), atol=1e-4)  # cos = 1 with itself
    assert float(z.abs().max()) <= 15.0 + 1e-4
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(xr)[:, 0].sum(), xr)
    assert g.shape == x.shape and bool(torch.isfinite(g).all()) and float(g.abs().sum()) > 0
    assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError):
        GalleryClassifier(emb, torch.ones(1, 8))
    with pytest.raises(ValueError):
        GalleryClassifier(emb, torch.ones(3, 8), scale=0.0)


def test_face_split_probes_and_gallery():
    from facerobust.experiments.k_anonymity import face_split

    labels = pd.DataFrame({"face_id": ["a", "o1", "o2", "o3", "b", "c"],
                           "identity": ["", "obama", "obama", "obama", "biden", ""]})
    s = face_split(labels)
    assert s.identity.tolist() == ["a", "obama", "obama", "obama", "biden", "c"]
    assert s.label.tolist() == [0, 1, 1, 1, 2, 3]
    assert s.probe.tolist() == [True, True, False, False, True, True]
    assert s.gallery.tolist() == [True, False, True, True, True, True]  # obama's probe is held out


@pytest.fixture(scope="module")
def faces_setting():
    from facerobust.experiments.k_anonymity import Budget, Config, face_setting

    digits, faces = Budget(2, 2, 2, 2, 0.05, 2, 2, 0.1), Budget(1, 1, 1, 1, 0.01, 1, 1, 0.1)
    cfg = Config(seed=0, mnist_train=10, mnist_epochs=1, fashion_train=10, fashion_epochs=1, n_attack=9,
                 n_attack_fashion=9, face_n_attack=9, face_scale=20.0, Ks=(1,), digits=digits, faces=faces)
    return face_setting(cfg)


def test_face_setting_ranks_every_probe_first_and_has_enough_identities(faces_setting):
    s = faces_setting
    split = s.info["split"]
    assert len(s.classes) == split.label.nunique() >= 10  # K = 9 needs K + 1 classes
    assert s.x.shape == (9, 3, 150, 150) and s.similarity == "SSIM"
    assert s.info["attacked probes"][0] == "obama1"  # the held-out probe comes first
    with torch.no_grad():
        z = s.model(s.x)
    assert z.shape == (9, len(s.classes))
    assert torch.equal(z.argmax(1), s.y)
    faces = split[split.gallery]
    assert faces.label.nunique() == len(s.classes)  # every identity is enrolled
    assert s.budget.cw_steps == 1  # the face budgets, not the digits'


def test_face_setting_model_is_differentiable_in_the_image(faces_setting):
    s = faces_setting
    x = s.x[:2].clone().requires_grad_(True)
    z = s.model(x)
    (g,) = torch.autograd.grad(z[:, 0].sum() - z[:, 1].sum(), x)
    assert g.shape == x.shape and bool(torch.isfinite(g).all()) and float(g.abs().max()) > 0
    assert float(z.detach().abs().max()) <= s.model.scale + 1e-3  # logits are scaled cosines
