"""CRISPR (dissertation Ch. 3): centroid update, Eq. 3.5, losses, schedule, inference on codes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from facerobust.experiments.crispr import training as T
from facerobust.models import crispr as cr
from facerobust.models import crispr_losses as L
from sklearn.linear_model import LogisticRegression


def test_centroid_update_moves_toward_batch_mean() -> None:
    mu = torch.zeros(1, 2, 3)
    a = torch.tensor([[[1.0, 2.0, 3.0]], [[3.0, 2.0, 1.0]], [[-5.0, 0.0, 0.0]]])
    y = torch.tensor([[1], [1], [0]])
    new = cr.update_centroids(mu, a, y, alpha=0.5)
    mean1 = torch.tensor([2.0, 2.0, 2.0])
    assert torch.allclose(new[0, 1], 0.5 * mean1)  # mu - alpha * (mu - mean)
    assert torch.allclose(new[0, 0], torch.tensor([-2.5, 0.0, 0.0]))
    assert (new[0, 1] - mean1).norm() < (mu[0, 1] - mean1).norm()  # corrected sign: closer
    assert torch.equal(mu, torch.zeros(1, 2, 3))  # not changed in place


def test_centroid_update_keeps_absent_class_and_validates() -> None:
    mu = torch.ones(1, 2, 2)
    new = cr.update_centroids(mu, torch.zeros(2, 1, 2), torch.zeros(2, 1, dtype=torch.long), 0.1)
    assert torch.equal(new[0, 1], mu[0, 1])
    with pytest.raises(ValueError, match="alpha"):
        cr.update_centroids(mu, torch.zeros(2, 1, 2), torch.zeros(2, 1, dtype=torch.long), 0.0)
    with pytest.raises(ValueError, match="shapes"):
        cr.update_centroids(mu, torch.zeros(2, 3, 2), torch.zeros(2, 3, dtype=torch.long), 0.1)


def test_sigma_is_distance_to_fitted_linear_boundary() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 1, (200, 4)), rng.normal(1.5, 1, (200, 4))])
    y = np.repeat([0, 1], 200)
    clf = LogisticRegression().fit(x, y)
    w, b = torch.tensor(clf.coef_[0]), torch.tensor(clf.intercept_[0])
    mu = torch.tensor(np.stack([x[y == 0].mean(0), x[y == 1].mean(0)]))
    expect = np.abs(clf.decision_function(mu.numpy())) / np.linalg.norm(clf.coef_[0])
    assert torch.allclose(cr.sigma(w, b, mu), torch.tensor(expect))
    # the point mu - sigma * w/|w| (toward the boundary) lies on the boundary
    s = cr.sigma(w, b, mu)[1]
    on = mu[1] - s * w / w.norm()
    assert abs(float(on @ w + b)) < 1e-9


def test_reconstruction_threshold_has_zero_gradient_below_kappa() -> None:
    x = torch.rand(2, 1, 4, 4)
    close = (x + 1e-3).requires_grad_()
    L.recon(close, x, kappa=0.01).backward()
    assert close.grad is not None and torch.count_nonzero(close.grad) == 0
    far = (x + 0.5).requires_grad_()
    loss = L.recon(far, x, kappa=0.01)
    loss.backward()
    assert far.grad is not None and torch.count_nonzero(far.grad) > 0
    assert torch.isclose(loss, torch.tensor(0.25))


def test_attr_encoder_prefers_own_attribute_and_confusion_on_others() -> None:
    y = torch.tensor([[1, 0]])
    good = torch.tensor([[[9.0, 0.0], [0.0, -9.0]]])  # C(a_0) says y_0 = 1 and 0.5 for y_1
    bad = torch.tensor([[[9.0, -9.0], [9.0, -9.0]]])  # a_0 also tells y_1; a_1 tells y_0
    assert L.attr_encoder(good, y) < L.attr_encoder(bad, y)
    assert L.attr_classifier(bad, y) < L.attr_classifier(good, y)  # C_attr wants to read everything


def test_prior_and_center() -> None:
    assert float(L.prior(torch.tensor([[0.5, -4.0]]), beta=3.0)) == pytest.approx(0.5)
    a = torch.tensor([[[1.0, 0.0]]])
    mu = torch.zeros(1, 2, 2)
    sig = torch.tensor([[2.0, 0.5]])
    assert float(L.center(a, torch.tensor([[0]]), mu, sig)) == pytest.approx(0.5)
    assert float(L.center(a, torch.tensor([[1]]), mu, sig)) == pytest.approx(2.0)


def _changed(model: torch.nn.Module, before: dict[str, torch.Tensor]) -> set[str]:
    now = dict(model.named_parameters())
    return {k.split(".")[0] for k, v in before.items() if not torch.equal(v, now[k].detach())}


@pytest.mark.parametrize("adversaries", [True, False])
def test_schedule_steps_update_only_their_parameters(adversaries: bool) -> None:
    cfg = T.CrisprConfig(p=4, q=2, width=4, hidden=8, batch=8, iters=1, adversaries=adversaries)
    model = T.make_model(cfg)
    opt = T.optimisers(model, 1e-2)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 1, 32, 32), torch.randint(0, 2, (8, 2))
    steps = [(lambda: T.step_aux(model, opt, x, y, cfg, g), {"D", "C_inv", "C_attr", "H"}),
             (lambda: T.step_encoder(model, opt, x, y, cfg), {"E"}),
             (lambda: T.step_generator(model, opt, x, y, cfg, g), {"G"})]
    for step, expected in steps:
        before = {k: v.detach().clone() for k, v in model.named_parameters()}
        mu = model.mu.clone()
        step()
        want = expected - ({"C_inv", "C_attr"} if not adversaries else set())
        assert _changed(model, before) == want
        assert torch.equal(model.mu, mu) == (expected != {"E"})  # centroids move in the E step


def test_swap_diverse_and_borrow_on_hand_built_codes() -> None:
    z = torch.arange(4.0).reshape(2, 2)
    a = torch.tensor([[[1.0, 1.0], [2.0, 2.0]], [[3.0, 3.0], [4.0, 4.0]]])
    codes = cr.Codes(z, a)
    mu = torch.tensor([[[0.0, 0.0], [10.0, 10.0]], [[-1.0, -1.0], [20.0, 20.0]]])
    s = cr.swap_codes(codes, mu, 1, 1)
    assert torch.equal(s.a[:, 1], torch.full((2, 2), 20.0)) and torch.equal(s.a[:, 0], a[:, 0])
    assert torch.equal(s.z, z)
    ex = cr.Codes(z + 100, a + 100)
    b = cr.borrow_codes(codes, ex, 0)
    assert torch.equal(b.a[:, 0], a[:, 0] + 100) and torch.equal(b.a[:, 1], a[:, 1])
    assert torch.equal(b.z, z)
    sig = torch.ones(2, 2)
    g = torch.Generator().manual_seed(0)
    d1 = cr.diverse_swap_codes(codes, mu, sig, 0, 1, 0.5, g)
    d2 = cr.diverse_swap_codes(codes, mu, sig, 0, 1, 0.5, g)
    assert not torch.equal(d1.a[:, 0], d2.a[:, 0])
    assert (d1.a[:, 0] - 10.0).abs().max() < 3.0
    still = cr.diverse_swap_codes(codes, mu, sig, 0, 1, 0.0, g)
    assert torch.equal(still.a, cr.swap_codes(codes, mu, 0, 1).a)
    with pytest.raises(ValueError, match="target"):
        cr.swap_codes(codes, mu, 0, 2)
    with pytest.raises(ValueError, match="attribute index"):
        cr.swap_codes(codes, mu, 5, 1)


def test_model_rejects_bad_images() -> None:
    model = cr.Crispr(p=4, q=2, width=4, hidden=8)
    with pytest.raises(ValueError, match="expected images"):
        model.encode(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="NaN"):
        model.encode(torch.full((1, 1, 32, 32), float("nan")))
    with pytest.raises(ValueError, match="size"):
        cr.Crispr(size=48)
    out = model.reconstruct(torch.rand(2, 1, 32, 32))
    assert out.shape == (2, 1, 32, 32) and 0 <= float(out.min()) and float(out.max()) <= 1


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoint every 2 iterations, stop in iteration 5, run again: the same weights and history
    as 6 iterations straight through; the checkpoint is gone at the end."""
    from facerobust.checkpoint import Checkpoint
    from facerobust.experiments.crispr import setup as cs

    cfg = T.CrisprConfig(p=4, q=2, width=4, hidden=8, batch=4, iters=6)
    sample = cs.batch_sampler(torch.rand(20, 1, 32, 32), cfg.batch)
    straight = T.make_model(cfg)
    want = T.fit(straight, sample, cfg)
    ckpt = tmp_path / "ckpt.pt"
    real_step, calls = T.step_generator, {"n": 0}

    def dies_in_iteration_5(*a, **k):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real_step(*a, **k)

    monkeypatch.setattr(T, "step_generator", dies_in_iteration_5)
    with pytest.raises(KeyboardInterrupt):
        T.fit(T.make_model(cfg), sample, cfg, checkpoint=Checkpoint(ckpt, every=2))
    assert ckpt.exists()
    monkeypatch.setattr(T, "step_generator", real_step)
    resumed = T.make_model(cfg)
    got = T.fit(resumed, sample, cfg, checkpoint=Checkpoint(ckpt, every=2))
    assert got["resumed_from"] == 4 and not ckpt.exists()
    assert got["history"] == want["history"]
    a, b = straight.state_dict(), resumed.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
