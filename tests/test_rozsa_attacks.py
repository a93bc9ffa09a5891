"""Rozsa et al. (2016) attacks: FGS / FFA directions and the doubling + bisection line search."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from facerobust.attacks import attribute_directions as dirs
from facerobust.attacks.line_search import line_search, perturb
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn


def _nets():
    name = "facerobust.models.attribute_nets"
    if name not in sys.modules:
        path = Path(dirs.__file__).resolve().parents[1] / "models" / "attribute_nets.py"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


class LinearBank(nn.Module):
    """A attributes, each f_a(x) = <v_a, x> + b_a (n_out=1) or logits (0, f_a) (n_out=2)."""

    def __init__(self, v: Tensor, b: Tensor, n_out: int = 1) -> None:
        super().__init__()
        self.v, self.b, self.n_out, self.n_attributes = v, b, n_out, len(v)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 4:
            x = x.unsqueeze(1).expand(-1, self.n_attributes, -1, -1, -1)
        f = (x.flatten(2) * self.v.flatten(1)).sum(-1) + self.b
        return f[..., None] if self.n_out == 1 else torch.stack([torch.zeros_like(f), f], -1)


def _linear(seed: int = 0, a: int = 3, shape=(1, 6, 6)):
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(a, *shape, generator=g) * 0.02
    x = torch.randint(0, 256, (8, *shape), generator=g).float() / 255
    b = -(x.unsqueeze(1).flatten(2) * v.flatten(1)).sum(-1).mean(0)  # both classes present
    return LinearBank(v, b), x


def test_fgs_on_linear_model_is_the_analytic_sign():
    bank, x = _linear()
    x5 = x.unsqueeze(1).expand(-1, 3, -1, -1, -1)
    f = bank(x5)[..., 0]
    y = torch.where(f > 0, 1, -1)
    d = dirs.fgs_direction(bank, x5, y)
    expected = torch.sign(2 * (f - y))[..., None, None, None] * torch.sign(bank.v)[None]
    assert torch.equal(d, expected)
    soft = LinearBank(bank.v, bank.b, n_out=2)  # cross-entropy: sign(-y grad f)
    d2 = dirs.fgs_direction(soft, x5, y)
    assert torch.equal(d2, (-y.float())[..., None, None, None] * torch.sign(bank.v)[None])


def test_ffa_points_to_the_boundary_and_is_normalised():
    bank, x = _linear(1)
    x5 = x.unsqueeze(1).expand(-1, 3, -1, -1, -1)
    d = dirs.ffa_direction(bank, x5)
    f = bank(x5)[..., 0]
    assert torch.allclose(d.flatten(2).abs().amax(2), torch.ones_like(f))
    slope = (d.flatten(2) * bank.v.flatten(1)).sum(-1)  # directional derivative of f
    assert (slope * f < 0).all()


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_line_search_finds_smallest_flipping_weight(seed):
    bank, x = _linear(seed)
    x5 = x.unsqueeze(1).expand(-1, 3, -1, -1, -1).contiguous()
    d = dirs.ffa_direction(bank, x5)
    tol = 0.25
    res = line_search(lambda z: dirs.score_of(bank(z)), x5, d, w0=1.0, w_max=256.0, tol=tol)
    w = res.info["weight"].view(8, 3)
    # brute force on a fine grid: the decision is monotone in w for a linear model
    grid = torch.arange(0, 256.0 + 1e-9, 0.02)
    c0 = dirs.score_of(bank(x5)) > 0
    trial = perturb((x5 * 255).round()[None], d[None], grid[:, None, None].expand(-1, 8, 3))
    f = (trial.flatten(3) * bank.v.flatten(1)).sum(-1) + bank.b  # (G, 8, 3)
    flips = (f > 0) != c0
    first = torch.where(flips.any(0), grid[flips.float().argmax(0)], float("nan"))
    found = ~w.isnan()
    assert torch.equal(found, ~first.isnan())
    assert (w[found] >= first[found] - 0.02).all() and (w[found] <= first[found] + tol + 0.02).all()


def test_returned_images_are_integer_and_mask_agrees_with_reclassifying():
    torch.manual_seed(0)
    nets = _nets()
    bank = nets.SmallAttributeCNN(4, 1).eval()
    x = torch.randint(0, 256, (16, 1, 28, 28)).float() / 255
    for method in ("fgs", "ffa"):
        res = dirs.flip_attack(bank, x, method=method, w_max=64.0)
        assert res.x_adv.shape == (16, 4, 1, 28, 28) and res.success.shape == (16, 4)
        px = res.x_adv * 255
        assert torch.equal(px, px.round()) and px.min() >= 0 and px.max() <= 255
        again = (dirs.score_of(bank(res.x_adv)) > 0) != (dirs.score_of(bank(x)) > 0)
        assert torch.equal(again, res.success)
        assert torch.equal(res.x_adv[~res.success], x.unsqueeze(1).expand(-1, 4, -1, -1, -1)[~res.success])
        w = res.info["weight"]
        assert torch.equal(~w.isnan(), res.success)


def test_bank_networks_are_independent():
    torch.manual_seed(0)
    nets = _nets()
    bank = nets.SmallAttributeCNN(3, 2)
    x = torch.rand(5, 1, 28, 28)
    x5 = x.unsqueeze(1).expand(-1, 3, -1, -1, -1).clone()
    x5[:, 1] = 0
    s, s5 = bank.scores(x), bank.scores(x5)
    assert torch.allclose(s[:, [0, 2]], s5[:, [0, 2]]) and not torch.allclose(s[:, 1], s5[:, 1])


def test_bad_inputs_raise():
    bank, x = _linear()
    with pytest.raises(ValueError):
        dirs.flip_attack(bank, x, method="pgd")
    with pytest.raises(ValueError):
        dirs.flip_attack(bank, x * 255, method="ffa")
    with pytest.raises(ValueError):
        line_search(lambda z: z.sum((2, 3, 4)), x.unsqueeze(1), torch.zeros(8, 2, 1, 6, 6))
    with pytest.raises(ValueError):
        _nets().SmallAttributeCNN(3, 3)
    assert np.isfinite(1.0)
