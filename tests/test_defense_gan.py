"""Tests of the Defense-GAN chapter's library: projection, GAN, classifiers, MagNet, black-box attack."""

from __future__ import annotations

import math

import pytest
import torch
from facerobust.attacks import blackbox
from facerobust.defenses.defense_gan import DefenseGAN
from facerobust.defenses.magnet import MagNetReformer
from facerobust.experiments.defense_gan import blackbox_exp, claims
from facerobust.models import classifiers
from facerobust.models.gan import Critic, Generator, gradient_penalty
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn


@pytest.fixture(autouse=True)
def _one_thread():  # tiny tensors: a second OpenMP thread only adds overhead on a shared machine
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class LinearGenerator(nn.Module):
    """G(z) = W z + b with chosen singular values, reshaped to 1x28x28."""

    def __init__(self, k: int = 6, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(784, k, generator=g))
        self.W = nn.Parameter(q * torch.linspace(2.0, 8.0, k))
        self.b = nn.Parameter(torch.full((784,), 0.5))
        self.latent = k

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z @ self.W.T + self.b).view(-1, 1, 28, 28)


def _images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_linear_generator_projection_recovers_least_squares_z() -> None:
    G = LinearGenerator()
    x = _images(5)
    d = DefenseGAN(G, L=300, R=2, seed=3)
    p = d.project(x)
    W, b = G.W.detach(), G.b.detach()
    z_ls = torch.linalg.lstsq(W, (x.flatten(1) - b).T).solution.T
    assert torch.allclose(p.z, z_ls, atol=1e-3)
    mse_ls = ((z_ls @ W.T + b - x.flatten(1)) ** 2).mean(1)
    assert torch.allclose(p.mse, mse_ls, rtol=1e-4, atol=1e-7)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 1000), R=st.integers(2, 6))
def test_best_of_R_never_worse_than_R1(seed: int, R: int) -> None:
    torch.manual_seed(0)
    G = Generator(width=4)
    x = _images(6, seed)
    d = DefenseGAN(G, L=5, seed=seed)
    one, many = d.project(x, R=1), d.project(x, R=R)
    assert (many.mse <= one.mse + 1e-7).all()
    assert torch.equal(d.initial_z(6, R)[:1], d.initial_z(6, 1))


def test_path_prefix_and_chunking_and_determinism() -> None:
    torch.manual_seed(0)
    G = Generator(width=4)
    x = _images(7)
    d = DefenseGAN(G, L=6, R=3, seed=1)
    path = d.project_path(x, (3, 6))
    short = DefenseGAN(G, L=3, R=2, seed=1, chunk=2).project(x)
    assert torch.allclose(path.best(3, 2).mse, short.mse, atol=1e-6)
    assert torch.equal(d.project(x).x_rec, d.project(x).x_rec)
    assert torch.allclose(path.best(6, 3).x_rec, d.project(x).x_rec, atol=1e-6)
    with pytest.raises(ValueError):
        path.best(4, 2)


def test_gradients_flow_through_unrolled_projection() -> None:
    G = LinearGenerator()
    d = DefenseGAN(G, L=20, R=2, seed=0)
    x = _images(3).requires_grad_(True)
    out = d(x)
    (g,) = torch.autograd.grad((out ** 2).sum(), x)
    assert torch.isfinite(g).all() and g.abs().sum() > 0
    # finite-difference check of one directional derivative
    v = torch.randn_like(x) * 1e-2
    with torch.no_grad():
        xp = (x + v).clamp(0, 1)
        num = (d(xp) ** 2).sum() - (d(x.detach()) ** 2).sum()
    assert torch.allclose((g * (xp - x.detach())).sum(), num, rtol=5e-2, atol=1e-3)


def test_no_graph_without_requires_grad() -> None:
    d = DefenseGAN(Generator(width=4), L=3, R=2)
    assert not d(_images(2)).requires_grad


def test_defense_gan_bad_inputs() -> None:
    G = Generator(width=4)
    with pytest.raises(ValueError):
        DefenseGAN(G, L=-1)
    with pytest.raises(ValueError):
        DefenseGAN(G, R=0)
    d = DefenseGAN(G, L=2, R=1)
    with pytest.raises(ValueError):
        d.project(torch.rand(2, 28, 28))
    with pytest.raises(ValueError, match="0-255"):
        d.project(torch.rand(2, 1, 28, 28) * 255)


def test_gan_shapes_and_penalty() -> None:
    G, D = Generator(width=4), Critic(width=4)
    x = G(torch.randn(3, 128)).detach()
    assert x.shape == (3, 1, 28, 28) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert D(x).shape == (3,)
    assert gradient_penalty(D, torch.rand(3, 1, 28, 28), x.detach()) >= 0
    with pytest.raises(ValueError):
        G(torch.randn(3, 64))


@pytest.mark.parametrize("name", classifiers.MODELS)
def test_classifier_shapes(name: str) -> None:
    m = classifiers.build(name)
    assert m(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    has_dropout = any(isinstance(mod, nn.Dropout) and mod.p > 0 for mod in m.modules())
    assert has_dropout == (name in "ABCD")
    with pytest.raises(ValueError):
        m(torch.rand(2, 3, 28, 28))


def test_unknown_classifier() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        classifiers.build("Z")


def test_magnet_shape() -> None:
    assert MagNetReformer(width=4)(torch.rand(2, 1, 28, 28)).shape == (2, 1, 28, 28)


def test_substitute_training_doubles_set_and_labels_from_oracle() -> None:
    torch.manual_seed(0)
    oracle = classifiers.build("E").eval()
    sub = classifiers.build("E")
    seen: list[tuple[int, torch.Tensor, torch.Tensor]] = []

    def fit(m: nn.Module, x: torch.Tensor, y: torch.Tensor, rho: int) -> None:
        seen.append((len(x), x, y))

    info = blackbox.train_substitute(oracle, sub, _images(10), fit, rounds=3, lmbda=0.1)
    assert info["set_size"] == [10, 20, 40]
    for _, x, y in seen:
        assert 0 <= float(x.min()) and float(x.max()) <= 1
        assert torch.equal(y, blackbox.oracle_labels(oracle, x))


def test_roc_auc_known_values() -> None:
    _, _, auc = blackbox_exp.roc(torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.4]))
    assert auc == 1.0
    _, _, auc = blackbox_exp.roc(torch.tensor([0.3, 0.4]), torch.tensor([0.1, 0.2]))
    assert auc == 0.0
    _, _, auc = blackbox_exp.roc(torch.tensor([0.5, 0.5]), torch.tensor([0.5, 0.5]))
    assert auc == 0.5


def test_claim_rules() -> None:
    assert claims._at_least(0.95, 0.99) == "holds"
    assert claims._at_least(0.90, 0.99) == "does not hold"
    assert claims._at_most(0.60, 0.586) == "holds"
    assert claims._trend([0.5, 0.6, 0.7]) == "holds"
    assert claims._trend([0.7, 0.5]) == "does not hold"
    assert claims._trend([0.9, 0.8], up=False) == "holds"


def test_magnet_reformer_does_not_collapse() -> None:
    """A short run on 400 digits learns input-dependent reconstructions (issue 5: the reformer used to
    saturate its tanh code within one epoch and return about the mean image for every input)."""
    from facerobust.data.digits import mnist5k
    from facerobust.defenses.magnet import train_reformer

    g = torch.Generator().manual_seed(0)
    tr, te = mnist5k("train"), mnist5k("test")  # the files are sorted by class: sample at random
    x = tr.x[torch.randperm(len(tr), generator=g)[:400]]
    xv = te.x[torch.randperm(len(te), generator=g)[:200]]
    torch.manual_seed(0)
    model = MagNetReformer(width=8)
    losses = train_reformer(model, x, epochs=12, seed=0)
    assert len(losses) == 12 and losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        code, rec = model.encoder(xv), model(xv)
    assert float((code.abs() > 0.99).float().mean()) < 0.2  # the tanh code is not saturated
    mse = float(((rec - xv) ** 2).mean())
    mse_mean_image = float(((xv - x.mean(0)) ** 2).mean())
    assert mse < 0.6 * mse_mean_image
    assert float(rec.std(0).mean()) > 0.5 * float(xv.std(0).mean())  # different digits, different outputs
    nearest = torch.cdist(rec.flatten(1), xv.flatten(1)).argmin(1)  # each output is nearest its own input
    assert float((nearest == torch.arange(len(xv))).float().mean()) > 0.8
    with pytest.raises(ValueError):
        train_reformer(model, x, epochs=1, batch=0)


def test_check_datasets() -> None:
    from facerobust.experiments.defense_gan import zoo

    zoo.check_datasets(["mnist5k"])
    zoo.check_datasets(["mnist5k", "fashion_mnist"])
    for bad in (["fashion_mnist"], ["mnist5k", "cifar10"], []):
        with pytest.raises(ValueError, match="mnist5k"):
            zoo.check_datasets(bad)


def test_late_drop() -> None:
    from facerobust.experiments.defense_gan.figures import late_drop

    falling = {"wdist": [float(20 - i) for i in range(20)]}
    flat = {"wdist": [5.0] * 20}
    assert late_drop(falling) == pytest.approx(3.0)  # records 14..16 average 5, the last three 2
    assert late_drop(flat) == 0.0
    assert math.isnan(late_drop({"wdist": [1.0, 0.5]}))


def test_training_state() -> None:
    from facerobust.experiments.defense_gan.figures import training_state

    assert training_state({"wdist": [float(20 - i) for i in range(20)]}).startswith("still falling")
    assert training_state({"wdist": [5.0] * 20}) == "levelling off"
    assert training_state({"wdist": [1.0]}) == "too short a run to tell"
