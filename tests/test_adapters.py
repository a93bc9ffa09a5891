"""The adapters for a reader's own model and data (facerobust.models.adapters): known answers,
explicit refusals, and an attack through them that matches the attack on the adapted model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from facerobust.attacks.fgsm import fgsm
from facerobust.models.adapters import LogitsOf, Normalized, as_batch, as_labels
from torch import nn

MEAN, STD = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)).eval()


def test_normalized_is_the_normalisation_inside_the_model() -> None:
    net, x = _net(), torch.rand(4, 3, 8, 8)
    want = net((x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1))
    assert torch.allclose(Normalized(net, MEAN, STD)(x), want)


def test_attack_through_normalized_equals_attack_on_a_model_that_normalises_itself() -> None:
    class Inside(nn.Module):  # what a model with the normalisation built in computes
        def __init__(self) -> None:
            super().__init__()
            self.net = _net()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            m, s = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
            return self.net((x - m) / s)

    x = torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    a, b = fgsm(Normalized(_net(), MEAN, STD), x, eps=0.05), fgsm(Inside(), x, eps=0.05)
    assert torch.equal(a.x_adv, b.x_adv) and torch.equal(a.success, b.success)
    assert float((a.x_adv - x).abs().max()) <= 0.05 + 1e-6  # eps in pixel units


@pytest.mark.parametrize("mean,std,msg", [((0.5,), (0.0,), "std"), ((0.5,), (float("nan"),), "std"),
                                          ((0.1, 0.2), (0.1, 0.2, 0.3), "one value per channel")])
def test_normalized_refuses_bad_statistics(mean: tuple, std: tuple, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        Normalized(_net(), mean, std)


def test_normalized_follows_the_model_to_a_device() -> None:
    m = Normalized(_net(), MEAN, STD).to(torch.float64)
    assert m.mean.dtype == torch.float64 and {n for n, _ in m.named_buffers()} == {"mean", "std"}


@dataclass
class Output:
    logits: torch.Tensor
    features: torch.Tensor


@pytest.mark.parametrize("wrap,pick", [(lambda z: (z, z * 0), 0), (lambda z: [z * 0, z], -1),
                                       (lambda z: {"logits": z}, "logits"),
                                       (lambda z: Output(z, z * 0), "logits"),
                                       (lambda z: (z, z * 0), lambda out: out[0])])
def test_logits_of_picks_the_logits(wrap, pick) -> None:
    net, x = _net(), torch.rand(2, 3, 8, 8)
    model = LogitsOf(lambda t: wrap(net(t)), pick)
    assert torch.equal(model(x), net(x))


def test_logits_of_names_what_is_there() -> None:
    with pytest.raises(ValueError, match=r"keys \['a', 'b'\]"):
        LogitsOf(lambda t: {"a": t, "b": t}, "logits")(torch.zeros(1))
    with pytest.raises(ValueError, match="returns 2 values"):
        LogitsOf(lambda t: (t, t), 2)(torch.zeros(1))
    with pytest.raises(ValueError, match="pick"):
        LogitsOf(_net(), True)


def test_as_batch_known_answers() -> None:
    img = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # (N=1, H=2, W=2) grayscale
    x = as_batch(img)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    assert torch.allclose(x.flatten(), torch.tensor([0.0, 1.0, 0.2, 0.4]))
    assert as_batch(img[0]).shape == (1, 1, 2, 2)  # one (H, W) image
    nhwc = np.random.default_rng(0).integers(0, 256, (2, 5, 4, 3), dtype=np.uint8)
    x = as_batch(nhwc)
    assert x.shape == (2, 3, 5, 4) and float(x[1, 2, 3, 1]) == pytest.approx(nhwc[1, 3, 1, 2] / 255.0)
    assert as_batch(nhwc.astype(np.float64), scale=255).dtype == torch.float32
    assert torch.equal(as_batch(torch.ones(2, 3, 6, 6)), torch.ones(2, 3, 6, 6))


@pytest.mark.parametrize("array,kw,msg", [
    (np.full((2, 5, 5), 200.0), {}, "0-255"),                      # floats in 0-255 without scale
    (np.zeros((2, 3, 4, 3)), {}, "ambiguous"),                      # 3 channels first and last
    (np.zeros((8, 8, 3), dtype=np.uint8), {}, r"image\[None\]"),    # one colour image
    (np.zeros((2, 4, 4), dtype=np.uint16), {}, "scale"),            # 16-bit needs its white level
    (np.zeros((2, 4, 4)), {"scale": 0}, "scale"),
    (np.full((2, 5, 5), np.nan), {}, "NaN"),
    (np.zeros((2, 4, 4), dtype=bool), {}, "bool"),
])
def test_as_batch_refuses(array, kw, msg) -> None:
    with pytest.raises(ValueError, match=msg):
        as_batch(array, **kw)


def test_as_batch_explicit_layout_settles_ambiguity() -> None:
    a = np.zeros((2, 3, 4, 3), dtype=np.uint8)
    assert as_batch(a, channels_last=True).shape == (2, 3, 3, 4)
    assert as_batch(a, channels_last=False).shape == (2, 3, 4, 3)


def test_as_labels_known_answers_and_refusals() -> None:
    assert torch.equal(as_labels(np.array([3, 1], dtype=np.int32)), torch.tensor([3, 1]))
    assert as_labels([[2], [0]]).dtype == torch.int64 and as_labels([[2], [0]]).shape == (2,)
    with pytest.raises(ValueError, match="argmax"):
        as_labels(np.eye(3))
    with pytest.raises(ValueError, match="integer"):
        as_labels(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        as_labels([0, 3], n_classes=3)
