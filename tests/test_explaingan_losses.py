"""ExplainGAN losses (4.7)-(4.16) and the composite (4.5) on hand-made inputs."""

from __future__ import annotations

import pytest
import torch
from facerobust.models import explaingan_losses as L
from facerobust.models.explaingan import ExplainGAN, composite


def _mask() -> torch.Tensor:
    m = torch.zeros(2, 1, 4, 4)
    m[:, :, 1:3, 1:3] = 1.0
    return m


def test_composite_pastes_under_the_mask() -> None:
    x, t, m = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4), _mask()
    c = composite(x, t, m)
    assert torch.equal(c, m)
    half = composite(x, t, torch.full_like(m, 0.25))
    assert torch.allclose(half, torch.full_like(x, 0.25))
    with pytest.raises(ValueError, match="shapes"):
        composite(x, t[:1], m)


def test_const_is_zero_when_transform_equals_x_outside_mask() -> None:
    x = torch.rand(2, 1, 4, 4)
    m = _mask()
    t = x.clone()
    t[:, :, 1:3, 1:3] = torch.rand(2, 1, 2, 2)        # changes only inside the mask
    assert float(L.const_loss(x, t, m)) == 0.0
    t2 = t.clone()
    t2[:, :, 0, 0] += 0.5                              # one change outside the mask
    assert float(L.const_loss(x, t2, m)) == pytest.approx(0.25 / 16)


def test_count_has_zero_gradient_below_kappa() -> None:
    m = torch.full((3, 1, 4, 4), 0.05, requires_grad=True)
    loss = L.count_loss(m, kappa=0.1)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(0.1)
    assert m.grad is not None and float(m.grad.abs().sum()) == 0.0
    m2 = torch.full((3, 1, 4, 4), 0.5, requires_grad=True)
    L.count_loss(m2, kappa=0.1).backward()
    assert m2.grad is not None and torch.allclose(m2.grad, torch.full_like(m2, 1 / (3 * 16)))
    with pytest.raises(ValueError, match="kappa"):
        L.count_loss(m2, kappa=1.5)


def test_tv_on_known_masks() -> None:
    assert float(L.tv_loss(torch.ones(1, 1, 4, 4))) == 0.0
    # a 2x2 square in a 4x4 image: 4 horizontal + 4 vertical unit edges, / 16 pixels
    assert float(L.tv_loss(_mask()[:1])) == pytest.approx(8 / 16)
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., ::2] = 1.0                            # 3 jumps per row, 4 rows
    assert float(L.tv_loss(stripes)) == pytest.approx(12 / 16)


def test_entropy_on_known_masks() -> None:
    assert float(L.entropy_loss(_mask())) == 0.0
    assert float(L.entropy_loss(torch.full((1, 1, 2, 2), 0.5))) == pytest.approx(0.5)
    assert float(L.entropy_loss(torch.full((1, 1, 2, 2), 0.9))) == pytest.approx(0.1)


def test_recon_and_classifier_losses() -> None:
    x = torch.rand(2, 1, 4, 4)
    assert float(L.recon_loss(x, x)) == 0.0
    assert float(L.recon_loss(x + 0.5, x)) == pytest.approx(0.25)
    logits = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    assert float(L.classifier_loss(logits, 1)) == pytest.approx(float(torch.log(torch.tensor(2.0))))
    with pytest.raises(ValueError):
        L.classifier_loss(logits, 2)


def test_gan_losses_and_weights_validation() -> None:
    big = torch.full((4,), 20.0)
    assert float(L.gan_d_loss(big, [-big, -big])) < 1e-6
    assert float(L.gan_g_loss([big])) < 1e-6
    with pytest.raises(ValueError):
        L.gan_g_loss([])
    with pytest.raises(ValueError, match="kappa"):
        L.LossWeights(kappa=2.0)
    with pytest.raises(ValueError, match="recon"):
        L.LossWeights(recon=float("nan"))


def test_explaingan_shapes_and_no_mask_variant() -> None:
    torch.manual_seed(0)
    x = torch.rand(3, 1, 28, 28)
    e = ExplainGAN().explain(x, 1)
    assert e.recon.shape == e.transformed.shape == e.composite.shape == x.shape
    mask = e.mask.detach()
    assert mask.shape == (3, 1, 28, 28) and 0 <= float(mask.min()) and float(mask.max()) <= 1
    assert torch.allclose(e.composite, composite(x, e.transformed, e.mask))
    n = ExplainGAN(use_mask=False).explain(x, 0)
    assert torch.equal(n.composite, n.transformed)
    with pytest.raises(ValueError):
        ExplainGAN().explain(x, 2)
    with pytest.raises(ValueError):
        ExplainGAN().explain(x * float("nan"), 0)
