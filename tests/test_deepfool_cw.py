"""DeepFool, Carlini-Wagner L2 and L-BFGS: known answers, contract, and agreement with Foolbox."""

from __future__ import annotations

import pytest
import torch
from facerobust.attacks.cw import cw_l2
from facerobust.attacks.deepfool import deepfool
from facerobust.attacks.lbfgs import lbfgs
from torch import nn


def _affine(d: int = 64, seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A 2-class affine model and points at L2 distances 0.2..1.0 from its boundary, inside the box."""
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(d, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.randn(2, d, generator=g))
        wd = model[1].weight[1] - model[1].weight[0]
        u = wd / wd.norm()
        base = 0.5 + 0.1 * (torch.rand(64, d, generator=g) - 0.5)
        base = base - (base @ u)[:, None] * u + 0.5 * u.sum() * u
        model[1].bias.copy_(torch.tensor([0.0, -float(base[0] @ wd)]))
        sign = torch.where(torch.arange(64) % 2 == 0, 1.0, -1.0)
        x = (base + (sign * torch.linspace(0.2, 1.0, 64))[:, None] * u).reshape(64, 1, 8, 8)
    return model.eval(), x, model(x).argmax(1)


def _projection(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    w = (model[1].weight[1] - model[1].weight[0]).detach()
    with torch.no_grad():
        z = model(x)
    g = z[:, 1] - z[:, 0]
    return -(g / w.norm() ** 2)[:, None] * w[None]


def test_deepfool_affine_is_orthogonal_projection():
    model, x, y = _affine()
    r = deepfool(model, x, y, overshoot=0.0)
    proj = _projection(model, x)
    assert r.success.all()
    assert (r.info["steps"] == 1).all()
    err = (r.info["r_tot"].flatten(1) - proj).norm(dim=1)
    assert err.max() < 1e-4


def test_cw_linear_within_5_percent_of_minimum():
    model, x, y = _affine()
    dist = _projection(model, x).norm(dim=1)
    r = cw_l2(model, x, y, binary_steps=9, steps=200, lr=0.01)
    assert r.success.all()
    ratio = r.info["l2"] / dist
    assert ratio.min() >= 0.999 and ratio.max() <= 1.05


def test_lbfgs_linear_reaches_target_near_minimum():
    model, x, y = _affine()
    dist = _projection(model, x).norm(dim=1)
    r = lbfgs(model, x, 1 - y, targeted=True, search_steps=8, iters=50)
    assert r.success.all()
    assert (r.info["l2"] / dist).max() < 1.25


@pytest.mark.parametrize("attack", ["deepfool", "cw", "lbfgs"])
def test_success_mask_agrees_with_reclassification(attack, lenet):
    model, x, y = lenet
    x, y = x[:16], y[:16]
    if attack == "deepfool":
        r = deepfool(model, x, y, steps=3)
        turned = model(r.x_adv).argmax(1) != y
    elif attack == "cw":
        r = cw_l2(model, x, y, binary_steps=1, steps=10)
        turned = model(r.x_adv).argmax(1) != y
    else:
        t = (y + 1) % 10
        r = lbfgs(model, x, t, targeted=True, search_steps=1, iters=5)
        turned = model(r.x_adv).argmax(1) == t
    assert torch.equal(r.success, turned)
    assert r.x_adv.min() >= 0 and r.x_adv.max() <= 1


def test_bad_input_is_rejected():
    model, x, y = _affine()
    with pytest.raises(ValueError, match="0-255"):
        deepfool(model, x * 255, y)
    with pytest.raises(ValueError, match="int64"):
        cw_l2(model, x, y.float())
    with pytest.raises(ValueError, match="NCHW"):
        lbfgs(model, x[0], y[:1], targeted=True)


@pytest.fixture(scope="module")
def lenet():
    from facerobust.data.digits import mnist5k
    from facerobust.models.small_nets import fit_classifier, lenet5

    torch.manual_seed(0)
    data = mnist5k("train")
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    model = lenet5()
    fit_classifier(model, data.x[idx[:1500]], data.y[idx[:1500]], epochs=3, seed=0)
    x, y = data.x[idx[2000:2064]], data.y[idx[2000:2064]]
    with torch.no_grad():
        ok = model(x).argmax(1) == y
    return model, x[ok][:16], y[ok][:16]


def test_deepfool_agrees_with_foolbox(lenet):
    """Tolerance: same success (all turned) and per-image L2 within 5% (median within 1%)."""
    fb = pytest.importorskip("foolbox")
    model, x, y = lenet
    ours = deepfool(model, x, y, candidates=10, steps=50, overshoot=0.02)
    fmodel = fb.PyTorchModel(model, bounds=(0, 1))
    _, adv, ok = fb.attacks.L2DeepFoolAttack(steps=50, candidates=10, overshoot=0.02)(
        fmodel, x, y, epsilons=None
    )
    assert ours.success.all() and ok.all()
    ratio = ours.perturbation_norms(x) / (adv - x).flatten(1).norm(dim=1)
    assert (ratio - 1).abs().median() < 0.01 and (ratio - 1).abs().max() < 0.05


def test_cw_agrees_with_foolbox(lenet):
    """Tolerance: both turn every image; our median L2 is at most 5% above Foolbox's.

    Run at C&W's default budget (5 binary steps of 100 Adam steps), where every digit is turned. At
    3 x 60 the hardest digits need c = 100 and an L2 near 10, so whether each library turns them
    within the budget depends on the trained network (which another CPU changes): the two turned
    different sets for 3 of 6 seeds of the network and its digits, 1 of 6 with the digits fixed.
    At 5 x 100 both turned all 16 for each of 14 networks (6 training seeds, 5 digit draws, 3
    one-ulp weight jitters), the median L2 ratio (ours / Foolbox's) in [0.980, 1.005]."""
    fb = pytest.importorskip("foolbox")
    model, x, y = lenet
    ours = cw_l2(model, x, y, binary_steps=5, steps=100, lr=0.05)
    fmodel = fb.PyTorchModel(model, bounds=(0, 1))
    attack = fb.attacks.L2CarliniWagnerAttack(
        binary_search_steps=5, steps=100, stepsize=0.05, initial_const=1.0
    )
    _, adv, ok = attack(fmodel, x, y, epsilons=None)
    assert ours.success.all() and ok.all()
    theirs = (adv - x).flatten(1).norm(dim=1)
    assert ours.perturbation_norms(x).median() <= 1.05 * theirs.median()
