"""Tests of FGSM and RAND+FGSM (Defense-GAN chapter): known answers, invariants, ART as an oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from facerobust.attacks.fgsm import fgsm, rand_fgsm
from torch import nn


@pytest.fixture(autouse=True)
def _one_thread():  # tiny tensors: a second OpenMP thread only adds overhead on a shared machine
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _linear(seed: int = 0, classes: int = 2) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, classes))


def _x(n: int = 8) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 0.8 + 0.1


def test_fgsm_known_answer_two_class_linear() -> None:
    m = _linear()
    w = m[1].weight.detach()
    x, y = _x(), torch.zeros(8, dtype=torch.int64)
    res = fgsm(m, x, y, eps=0.05)
    expected = (x + 0.05 * (w[1] - w[0]).sign().view(1, 1, 28, 28)).clamp(0, 1)
    assert torch.allclose(res.info["x_last"], expected)
    keep = res.success[:, None, None, None]
    assert torch.equal(res.x_adv, torch.where(keep, res.info["x_last"], x))  # failed: the original


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_fgsm_box_norm_and_success_mask(eps: float) -> None:
    m = _linear(classes=10)
    x, y = _x(), torch.arange(8) % 10
    res = fgsm(m, x, y, eps=eps)
    assert float((res.x_adv - x).abs().max()) <= eps + 1e-6
    assert res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    assert torch.equal(res.success, m(res.x_adv).argmax(1) != y)


def test_rand_fgsm_norm_and_seed() -> None:
    m = _linear(classes=10)
    x, y = _x(), torch.arange(8) % 10
    a = rand_fgsm(m, x, y, eps=0.3, alpha=0.05, generator=torch.Generator().manual_seed(0))
    b = rand_fgsm(m, x, y, eps=0.3, alpha=0.05, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a.x_adv, b.x_adv)
    assert float((a.x_adv - x).abs().max()) <= 0.3 + 1e-6
    with pytest.raises(ValueError):
        rand_fgsm(m, x, y, eps=0.05, alpha=0.05)


def test_fgsm_bad_inputs() -> None:
    m = _linear()
    with pytest.raises(ValueError):
        fgsm(m, _x() * 255, torch.zeros(8, dtype=torch.int64), eps=0.1)
    with pytest.raises(ValueError):
        fgsm(m, _x(), torch.zeros(7, dtype=torch.int64), eps=0.1)
    with pytest.raises(ValueError):
        fgsm(m, _x(), torch.zeros(8, dtype=torch.int64), eps=2.0)


def test_fgsm_leaves_the_model_as_found() -> None:
    m = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(784, 10)).train()
    m[2].weight.grad = torch.ones_like(m[2].weight)
    fgsm(m, _x(), torch.arange(8) % 10, eps=0.1)
    assert m.training and m[1].training and m[2].weight.requires_grad
    assert torch.equal(m[2].weight.grad, torch.ones_like(m[2].weight))


def test_fgsm_matches_art() -> None:
    art = pytest.importorskip("art")
    from art.attacks.evasion import FastGradientMethod
    from art.estimators.classification import PyTorchClassifier

    m = _linear(classes=10).eval()
    x, y = _x(), torch.arange(8) % 10
    clf = PyTorchClassifier(m, nn.CrossEntropyLoss(), (1, 28, 28), 10, clip_values=(0.0, 1.0))
    ref = FastGradientMethod(clf, eps=0.1).generate(x.numpy(), y=np.eye(10, dtype=np.float32)[y.numpy()])
    assert art is not None
    assert np.allclose(fgsm(m, x, y, eps=0.1).info["x_last"].numpy(), ref, atol=1e-6)
