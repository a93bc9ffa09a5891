"""The Captum baselines against hand computations on a tiny model."""

from __future__ import annotations

import pytest
import torch
from facerobust.metrics.attribution import attribute
from facerobust.models.explaingan import BlackBox
from torch import nn


class Linear2(nn.Module):
    """score_c = sum(w_c * x): gradients and relevances are known in closed form."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 2, bias=False)
        with torch.no_grad():
            self.fc.weight.copy_(torch.linspace(-1, 1, 32).reshape(2, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(x, 1))


def test_saliency_gradient_occlusion_lrp_by_hand() -> None:
    model = Linear2()
    x = torch.rand(3, 1, 4, 4)
    target = torch.tensor([0, 1, 1])
    w = model.fc.weight.detach()[target].reshape(3, 1, 4, 4)
    assert torch.allclose(attribute(model, x, target, "saliency"), w.abs())
    assert torch.allclose(attribute(model, x, target, "gradient"), w * x)
    # a 1x1 zero patch removes exactly w_i x_i from a linear score. The drop is a difference of two
    # scores of size ~4: in float32 it carries their rounding, ~1 ulp (4.8e-7) each, which the kernel's
    # summation order moves (0.15 of this tolerance here, up to 0.6 over 2000 random orders). In
    # float64 the drop is exact to ~1e-15 and Captum's float32 result is within half an ulp of w_i x_i
    # (<= 6e-8) on any CPU.
    occ = attribute(Linear2().double(), x.double(), target, "occlusion", window=1, stride=1)
    assert torch.allclose(occ.double(), w.double() * x.double(), atol=1e-6)
    # LRP epsilon on one bias-free linear layer: R_i = w_i x_i * s / (s + eps sign s) ~ w_i x_i
    assert torch.allclose(attribute(model, x, target, "lrp"), w * x, rtol=1e-3, atol=1e-5)


def test_grad_cam_on_the_black_box() -> None:
    torch.manual_seed(0)
    bb = BlackBox().eval()
    x = torch.rand(2, 1, 28, 28)
    cam = attribute(bb, x, torch.tensor([0, 1]), "grad_cam", layer=bb.last_conv)
    assert cam.shape == (2, 1, 28, 28) and float(cam.min()) >= 0
    for m in ("lrp", "occlusion", "saliency", "gradient"):
        assert attribute(bb, x, torch.tensor([0, 1]), m).shape == (2, 1, 28, 28)


def test_attribution_validates() -> None:
    model = Linear2()
    x = torch.rand(2, 1, 4, 4)
    with pytest.raises(ValueError, match="method"):
        attribute(model, x, torch.tensor([0, 1]), "magic")
    with pytest.raises(ValueError, match="layer"):
        attribute(model, x, torch.tensor([0, 1]), "grad_cam")
    with pytest.raises(ValueError, match="target"):
        attribute(model, x, torch.tensor([0.0, 1.0]), "saliency")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        attribute(model, x * float("nan"), torch.tensor([0, 1]), "saliency")
