"""The iterative attacks of issue 26: PGD, APGD, APGD-T, Square, EOT / BPDA and the per-example worst case.

Known answers and invariants on small models, then the field's code as oracles on the same model,
points and budget: torchattacks 3.5.1 and the official AutoAttack code (PyPI ``pyautoattack`` 0.2.0,
a repackaging of fra31/auto-attack; only its attack modules and its ``AutoAttack`` class are
imported, never the model file its wheel bundles). The oracle models are classifier A of the
Defense-GAN chapter at reduced width (8 and 16 filters instead of 64 and 64, so that AutoAttack's
full budget runs in seconds), trained here on 4000 real MNIST digits, and dlib's gender classifier
of chapter 0 on the real faces. Rule of every oracle test: our robust accuracy lies inside the 95%
Wilson interval of the peer's.
"""

from __future__ import annotations

import pytest
import torch
from facerobust.attacks import losses
from facerobust.attacks.adaptive import bpda, eot
from facerobust.attacks.apgd import apgd, apgd_t, checkpoints
from facerobust.attacks.base import AttackResult
from facerobust.attacks.counting import Counted
from facerobust.attacks.fgsm import fgsm
from facerobust.attacks.pgd import pgd
from facerobust.attacks.square import p_schedule, square
from facerobust.attacks.worst_case import AttackSpec, robust_accuracy, standard
from facerobust.metrics.intervals import wilson
from torch import nn

G = torch.Generator


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _cnn(classes: int = 10, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, classes)).eval()


def _x(n: int = 16, seed: int = 1) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=G().manual_seed(seed))


def _acc(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def _within(ours: float, peer: float, n: int) -> bool:
    lo, hi = wilson(round(peer * n), n)
    return lo - 1e-9 <= ours <= hi + 1e-9


@pytest.fixture(scope="module")
def digits() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Classifier A (Table 5.5 layout, 8 and 16 filters) trained 2 epochs on 4000 MNIST-5k digits;
    200 seeded test digits."""
    from facerobust.data.digits import mnist5k
    from facerobust.defenses.adversarial_training import train_classifier
    from facerobust.models import classifiers

    torch.manual_seed(0)
    model = classifiers.DigitClassifier("A-narrow", classifiers._two_conv(8, 5, 16, 5, 12, True))
    tr, te = mnist5k("train"), mnist5k("test")
    with torch.random.fork_rng():
        train_classifier(model, tr.x[:4000], tr.y[:4000], epochs=2, seed=0)
    idx = torch.randperm(len(te), generator=G().manual_seed(0))[:200]
    return model.eval().requires_grad_(False), te.x[idx], te.y[idx]


# -- known answers -------------------------------------------------------------------------------
@pytest.mark.parametrize("eps", [0.02, 0.1, 0.3])
def test_pgd_one_step_without_random_start_is_fgsm(eps: float) -> None:
    m, x = _cnn(), _x()
    t = (m(x).argmax(1) + 3) % 10
    for y, targeted in ((None, False), (t, True)):
        a = pgd(m, x, y, targeted=targeted, eps=eps, steps=1, step_size=eps, random_start=False)
        b = fgsm(m, x, y, targeted=targeted, eps=eps)
        assert torch.equal(a.x_adv, b.x_adv) and torch.equal(a.success, b.success)
        assert torch.equal(a.info["x_last"], b.info["x_last"])


def test_unbounded_budget_reaches_zero_robust_accuracy(digits) -> None:
    model, x, y = digits
    x, y = x[:50], y[:50]
    for res in (pgd(model, x, y, eps=1.0, steps=10, step_size=0.2),
                pgd(model, x, y, eps=28.0, norm="L2", steps=10, step_size=5.0, loss="margin"),
                apgd(model, x, y, eps=1.0, steps=10), apgd(model, x, y, eps=28.0, norm="L2", steps=10),
                square(model, x, y, eps=1.0, queries=300, generator=G().manual_seed(0))):
        assert bool(res.success.all())


class _NoBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # type: ignore[override]
        return x.clone()

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        raise RuntimeError("backward called")


class NoBackward(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _cnn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(_NoBackward.apply(x))


def test_square_never_calls_backward() -> None:
    m, x = NoBackward(), _x(8)
    with pytest.raises(RuntimeError, match="backward called"):  # the trap works
        pgd(m, x, eps=0.1, steps=1, step_size=0.1)
    res = square(m, x, eps=0.2, queries=50, generator=G().manual_seed(0))
    assert res.rate > 0 and int(res.info["gradients"].sum()) == 0
    wc = robust_accuracy(m, x, m(x).argmax(1), [AttackSpec("Square", square, {"eps": 0.2, "queries": 50})])
    assert wc.backwards == (0, 0)


@pytest.mark.parametrize("norm,eps", [("Linf", 0.05), ("L2", 0.8)])
def test_every_attack_stays_in_the_ball_and_the_box(norm: str, eps: float) -> None:
    m, x = _cnn(), _x()
    t = (m(x).argmax(1) + 1) % 10
    runs = [pgd(m, x, eps=eps, norm=norm, steps=5, step_size=eps / 2, restarts=2),
            apgd(m, x, eps=eps, norm=norm, steps=10, restarts=2),
            apgd(m, x, eps=eps, norm=norm, steps=10, loss="dlr"),
            apgd(m, x, t, targeted=True, eps=eps, norm=norm, steps=10),
            apgd_t(m, x, eps=eps, norm=norm, steps=5, n_target_classes=3),
            square(m, x, eps=eps, norm=norm, queries=60, generator=G().manual_seed(0))]
    for res in runs:
        for img in (res.x_adv, res.info["x_last"]):
            d = (img - x).flatten(1)
            size = d.abs().amax(1) if norm == "Linf" else d.norm(dim=1)
            assert float(size.max()) <= eps * (1 + 1e-5) + 1e-6
            assert float(img.min()) >= 0.0 and float(img.max()) <= 1.0
        assert torch.equal(res.x_adv[~res.success], x[~res.success])


def test_restarts_keep_the_best_restart(digits) -> None:
    model, x, y = digits
    x, y = x[:100], y[:100]
    for attack, kw in ((pgd, {"steps": 5, "step_size": 0.02}), (apgd, {"steps": 5})):
        one = attack(model, x, y, eps=0.08, restarts=1, generator=G().manual_seed(3), **kw)
        three = attack(model, x, y, eps=0.08, restarts=3, generator=G().manual_seed(3), **kw)
        assert bool((three.success | ~one.success).all()) and three.rate >= one.rate
        with torch.no_grad():  # a sample still robust returns its highest-loss restart
            f1, f3 = (losses.ce(model(r.info["x_last"]), y) for r in (one, three))
        assert bool((f3[~three.success] >= f1[~three.success] - 1e-4).all())


def test_targeted_success_means_the_target(digits) -> None:
    model, x, y = digits
    x, y = x[:60], y[:60]
    t = (y + 1) % 10
    for res in (pgd(model, x, t, targeted=True, eps=0.2, steps=10, step_size=0.05, loss="margin"),
                apgd(model, x, t, targeted=True, eps=0.2, steps=10, loss="dlr"),
                square(model, x, t, targeted=True, eps=0.3, queries=200, generator=G().manual_seed(0))):
        assert res.rate > 0.2
        with torch.no_grad():
            assert torch.equal(model(res.x_adv).argmax(1) == t, res.success)


def test_losses_known_values_and_dlr_invariance() -> None:
    z = torch.tensor([[3.0, 1.0, 0.0, -1.0], [0.0, 2.0, 1.0, 0.5]])
    y, t = torch.tensor([0, 0]), torch.tensor([2, 1])
    assert torch.allclose(losses.margin(z, y), torch.tensor([-2.0, 2.0]))
    assert torch.allclose(losses.dlr(z, y), torch.tensor([-2.0 / 3.0, 2.0 / 1.5]))
    assert torch.allclose(losses.dlr_targeted(z, y, t), torch.tensor([-3.0 / 3.5, 2.0 / 1.75]))
    assert torch.allclose(losses.ce(z, y), torch.nn.functional.cross_entropy(z, y, reduction="none"))
    for fn in (losses.dlr, lambda v, u: losses.dlr_targeted(v, u, t)):
        assert torch.allclose(fn(3.0 * z + 7.0, y), fn(z, y), atol=1e-6)
    assert checkpoints(100) == [22, 41, 57, 70, 80, 87, 93, 99]
    assert checkpoints(1) == [1] and checkpoints(10) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert [p_schedule(i, 0.8, 5000, False) for i in (0, 10, 11, 51, 8001)] == [0.8, 0.8, 0.4, 0.2, 0.8 / 512]
    assert p_schedule(6, 0.8, 5000, True) == 0.4 and p_schedule(5, 0.8, 5000, True) == 0.8


BN = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 26 * 26, 10))
ATTACKS = {
    "pgd": lambda m, x: pgd(m, x, eps=0.1, steps=3, step_size=0.05, restarts=2),
    "apgd": lambda m, x: apgd(m, x, eps=0.1, steps=4, loss="dlr"),
    "apgd_t": lambda m, x: apgd_t(m, x, eps=0.1, steps=3, n_target_classes=2),
    "square": lambda m, x: square(m, x, eps=0.1, queries=20),
    "robust_accuracy": lambda m, x: robust_accuracy(m, x, torch.arange(len(x)) % 10,
                                                    standard(0.1, steps=3, queries=20)),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_model_left_as_found(name: str) -> None:
    """An eval-mode model with BatchNorm keeps its state_dict (running statistics included) and
    mode; a train-mode model (dropout, no BatchNorm: its buffers would move on every forward pass,
    which ``model_untouched`` does not undo yet) keeps its mode, weights and ``.grad``."""
    torch.manual_seed(0)
    bn = BN.eval()
    before = {k: v.clone() for k, v in bn.state_dict().items()}
    ATTACKS[name](bn, _x(8))
    assert not any(m.training for m in bn.modules())
    assert all(torch.equal(before[k], v) for k, v in bn.state_dict().items())
    drop = nn.Sequential(_cnn(), nn.Dropout(0.0)).train()
    drop[0][3].weight.grad = torch.full_like(drop[0][3].weight, 2.0)
    before = {k: v.clone() for k, v in drop.state_dict().items()}
    ATTACKS[name](drop, _x(8))
    assert all(m.training for m in drop.modules()) and all(p.requires_grad for p in drop.parameters())
    assert all(torch.equal(before[k], v) for k, v in drop.state_dict().items())
    assert torch.equal(drop[0][3].weight.grad, torch.full_like(drop[0][3].weight, 2.0))


# -- EOT, BPDA -----------------------------------------------------------------------------------
class Noisy(nn.Module):
    """A randomised linear model: a random sign flips half the input's effect on each call."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = _cnn()[3]
        self.lin.weight.data = self.lin.weight.data[:, :784]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.randint(0, 2, x.shape, dtype=x.dtype) * 2 - 1
        return nn.functional.linear((x * mask).flatten(1), self.lin.weight, self.lin.bias)


def test_eot_output_and_gradient_are_the_average_of_the_draws() -> None:
    m, x = Noisy(), _x(4).requires_grad_(True)
    torch.manual_seed(5)
    out = eot(m, 5)(x)
    (g,) = torch.autograd.grad(out[:, 3].sum(), x)
    torch.manual_seed(5)
    draws = [m(x) for _ in range(5)]
    grads = [torch.autograd.grad(d[:, 3].sum(), x)[0] for d in draws]
    assert torch.allclose(out, torch.stack(draws).mean(0), atol=1e-6)
    assert torch.allclose(g, torch.stack(grads).mean(0), atol=1e-6)


def test_bpda_forward_is_the_preprocessor_backward_the_approximation() -> None:
    clf, x = _cnn(), _x(4).requires_grad_(True)

    def squash(v: torch.Tensor) -> torch.Tensor:  # piecewise constant: zero gradient almost everywhere
        return (v * 4).round() / 4

    out = nn.Sequential(bpda(squash), clf)(x)
    assert torch.equal(out, clf(squash(x.detach())))
    (g,) = torch.autograd.grad(out[:, 0].sum(), x)
    xs = squash(x.detach()).requires_grad_(True)
    (g_ref,) = torch.autograd.grad(clf(xs)[:, 0].sum(), xs)
    assert torch.allclose(g, g_ref) and float(g.abs().sum()) > 0
    (g2,) = torch.autograd.grad(nn.Sequential(bpda(squash, lambda v: 2 * v), clf)(x)[:, 0].sum(), x)
    assert torch.allclose(g2, 2 * g_ref)


def test_bpda_attacks_defense_gan_end_to_end_without_unrolling() -> None:
    from facerobust.defenses.defense_gan import DefenseGAN

    class Gen(nn.Module):
        latent = 8

        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.lin = nn.Linear(8, 784)

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.lin(z)).view(-1, 1, 28, 28)

    defense = DefenseGAN(Gen(), L=5, R=2)
    model = Counted(nn.Sequential(bpda(defense), _cnn()))
    x = _x(6)
    res = pgd(model, x, eps=0.3, steps=3, step_size=0.1)
    assert res.info["gradients"].sum() > 0 and model.backwards > 0
    assert not (res.info["x_last"] == x).all()


# -- worst case ----------------------------------------------------------------------------------
def _fake(broken: list[int], seen: list[list[int]]):
    def attack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, generator=None) -> AttackResult:
        ids = [int(v) for v in x[:, 0, 0, 0] * 100]
        seen.append(ids)
        success = torch.tensor([i in broken for i in ids])
        x_adv = x.clone()
        x_adv[success, :, 1, 1] = 1.0 - x_adv[success, :, 1, 1]  # what the fake model reads
        return AttackResult(x_adv, success, {"queries": torch.full((len(x),), 7)})
    return attack


class Reader(nn.Module):
    """Predicts class 0 when pixel (1, 1) is below 0.5, class 1 otherwise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = x[:, 0, 1, 1]
        return torch.stack([0.5 - v, v - 0.5], 1)


def test_robust_accuracy_is_the_mean_of_the_per_point_minimum() -> None:
    n = 10
    x = torch.zeros(n, 1, 4, 4)
    x[:, 0, 0, 0] = torch.arange(n) / 100 + 0.001
    y = torch.zeros(n, dtype=torch.int64)
    y[9] = 1  # point 9 is misclassified on the clean image
    seen: list[list[int]] = []
    specs = [AttackSpec("A", _fake([0, 1, 2, 9], seen)), AttackSpec("B", _fake([2, 3, 4], seen))]
    res = robust_accuracy(Reader(), x, y, specs)
    assert seen == [list(range(9)), [3, 4, 5, 6, 7, 8]]  # each attack sees only the points still correct
    assert res.broken_names() == ["A", "A", "A", "B", "B", "robust", "robust", "robust", "robust", "clean"]
    assert res.accuracy == 0.4 < min(1 - 3 / 10, 1 - 2 / 10)  # per-point minimum < min of separate accuracies
    assert res.interval() == wilson(4, 10) and res.clean_accuracy == 0.9
    assert [r["broken"] for r in res.per_stage()] == [1, 3, 2] and res.attacked == (10, 9, 6)
    assert res.queries.tolist() == [8, 8, 8, 15, 15, 15, 15, 15, 15, 1]
    assert res.l2[9] == 0 and res.l2[:5].gt(0).all() and res.l2[5:9].isnan().all()


def test_counted_costs_match_the_attacks_reports(digits) -> None:
    model, x, y = digits
    x, y = x[:40], y[:40]
    for attack, kw in ((pgd, {"steps": 4, "step_size": 0.03, "restarts": 2}), (apgd, {"steps": 6}),
                       (apgd_t, {"steps": 3, "n_target_classes": 3}), (square, {"queries": 30})):
        counted = Counted(model)
        res = attack(counted, x, y, eps=0.1, **kw)
        assert counted.forwards == int(res.info["queries"].sum())
        assert counted.backwards == int(res.info["gradients"].sum())


def test_standard_list_follows_the_number_of_classes() -> None:
    assert [s.name for s in standard(0.3)] == ["APGD-CE", "APGD-T", "Square"]
    assert [s.name for s in standard(0.03, n_classes=2)] == ["APGD-CE", "Square"]
    assert standard(0.3)[1].budget == "eps=0.3, norm=Linf, steps=100, n_target_classes=9"


# -- oracles: torchattacks 3.5.1 and the official AutoAttack code (pyautoattack 0.2.0) ----------
EPS = 0.1  # MNIST L-inf budget at which the narrow classifier A keeps about 45% robust accuracy
L2_EPS = 1.5


def _official() -> tuple[type, type, type]:
    pytest.importorskip("pyautoattack")
    from pyautoattack.autopgd_base import APGDAttack, APGDAttack_targeted
    from pyautoattack.square import SquareAttack

    return APGDAttack, APGDAttack_targeted, SquareAttack


@pytest.mark.parametrize("norm,eps,step", [("Linf", EPS, 0.01), ("L2", L2_EPS, 0.15)])
def test_pgd_agrees_with_torchattacks(digits, norm: str, eps: float, step: float) -> None:
    ta = pytest.importorskip("torchattacks")
    model, x, y = digits
    res = pgd(model, x, y, eps=eps, norm=norm, steps=20, step_size=step, generator=G().manual_seed(0))
    ours = 1 - res.rate
    peer = ta.PGD(model, eps=eps, alpha=step, steps=20) if norm == "Linf" else \
        ta.PGDL2(model, eps=eps, alpha=step, steps=20)
    theirs = _acc(model, peer(x, y), y)
    assert 0.2 < theirs < 0.8 and _within(ours, theirs, len(x)), (ours, theirs)


@pytest.mark.parametrize("norm,eps,loss", [("Linf", EPS, "ce"), ("L2", L2_EPS, "ce"), ("Linf", EPS, "dlr")])
def test_apgd_agrees_with_the_official_code_and_torchattacks(digits, norm: str, eps: float,
                                                            loss: str) -> None:
    ta = pytest.importorskip("torchattacks")
    APGDAttack, _, _ = _official()
    model, x, y = digits
    ours = 1 - apgd(model, x, y, eps=eps, norm=norm, steps=20, loss=loss, generator=G().manual_seed(0)).rate
    peer = APGDAttack(model, n_iter=20, norm=norm, eps=eps, seed=0, loss=loss)
    official = _acc(model, peer.perturb(x, y), y)
    assert 0.2 < official < 0.8 and _within(ours, official, len(x)), (ours, official)
    if loss == "ce":
        theirs = _acc(model, ta.APGD(model, norm=norm, eps=eps, steps=20, loss=loss)(x, y), y)
        assert _within(ours, theirs, len(x)), (ours, theirs)


def test_apgd_t_agrees_with_the_official_code_and_torchattacks(digits) -> None:
    ta = pytest.importorskip("torchattacks")
    _, APGDAttackTargeted, _ = _official()
    model, x, y = digits
    ours = 1 - apgd_t(model, x, y, eps=EPS, steps=20, n_target_classes=3, generator=G().manual_seed(0)).rate
    peer = APGDAttackTargeted(model, n_iter=20, eps=EPS, seed=0, n_target_classes=3)
    official = _acc(model, peer.perturb(x, y), y)
    theirs = _acc(model, ta.APGDT(model, eps=EPS, steps=20, n_classes=4)(x, y), y)  # n_classes - 1 targets
    assert _within(ours, official, len(x)) and _within(ours, theirs, len(x)), (ours, official, theirs)


def test_square_agrees_with_the_official_code_and_torchattacks(digits) -> None:
    ta = pytest.importorskip("torchattacks")
    _, _, SquareAttack = _official()
    model, x, y = digits
    res = square(model, x, y, eps=EPS, queries=300, generator=G().manual_seed(0))
    ours = 1 - res.rate
    # theirs: one query at the start plus n_queries iterations; ours: `queries` in all
    peer = SquareAttack(model, eps=EPS, n_queries=299, seed=0, resc_schedule=False)
    official = _acc(model, peer.perturb(x, y), y)
    theirs = _acc(model, ta.Square(model, eps=EPS, n_queries=299, resc_schedule=False)(x, y), y)
    assert 0.2 < official < 0.9 and _within(ours, official, len(x)) and _within(ours, theirs, len(x)), \
        (ours, official, theirs)
    assert int(res.info["queries"].max()) <= 302  # 300 + the clean check + the re-classification


def test_face_gender_model_agrees_with_the_peers() -> None:
    """dlib's gender classifier of chapter 0 (two classes: APGD-CE and Square only) on the real faces."""
    ta = pytest.importorskip("torchattacks")
    APGDAttack, _, SquareAttack = _official()
    from facerobust.data import faces
    from facerobust.models.registry import attribute_models

    male = attribute_models(["Male/dlib"])["Male/dlib"]
    model = male.model
    fs = faces.real_faces(male.input_size, male.chip_padding)
    x, y = fs.x, torch.tensor((fs.labels.gender == "male").to_numpy(), dtype=torch.int64)
    n, eps = len(x), 1 / 255
    ours = 1 - apgd(model, x, y, eps=eps, steps=20, generator=G().manual_seed(0)).rate
    official = _acc(model, APGDAttack(model, n_iter=20, eps=eps, seed=0).perturb(x, y), y)
    theirs = _acc(model, ta.APGD(model, eps=eps, steps=20)(x, y), y)
    assert 0.2 < official < 0.9, official
    assert _within(ours, official, n) and _within(ours, theirs, n), (ours, official, theirs)
    eps = 8 / 255
    ours = 1 - square(model, x, y, eps=eps, queries=50, generator=G().manual_seed(0)).rate
    peer = SquareAttack(model, eps=eps, n_queries=49, seed=0, resc_schedule=False)
    official = _acc(model, peer.perturb(x, y), y)
    theirs = _acc(model, ta.Square(model, eps=eps, n_queries=49, resc_schedule=False)(x, y), y)
    assert _within(ours, official, n) and _within(ours, theirs, n), (ours, official, theirs)


@pytest.mark.slow
def test_worst_case_is_at_least_as_strong_as_autoattack_standard(digits) -> None:
    """Ours (APGD-CE, APGD-T, Square at AutoAttack's standard budgets) against the official
    AutoAttack "standard" list minus FAB-T on the same 200 digits: ours <= theirs + half the Wilson
    interval's width."""
    pytest.importorskip("pyautoattack")
    from pyautoattack import AutoAttack

    model, x, y = digits
    eps = 0.15
    ours = robust_accuracy(model, x, y, standard(eps), generator=G().manual_seed(0))
    aa = AutoAttack(model, attacks=["apgd-ce", "apgd-t", "square"], version="custom", eps=eps, seed=0)
    aa.apgd.n_restarts, aa.apgd_targeted.n_target_classes, aa.square.n_queries = 1, 9, 5000  # "standard"
    x_adv, _ = aa.run_standard_evaluation(x, y, batch_size=len(x))
    theirs = _acc(model, x_adv, y)
    lo, hi = wilson(round(theirs * len(x)), len(x))
    assert 0.05 < theirs < 0.5 and ours.accuracy <= theirs + (hi - lo) / 2, (ours.accuracy, theirs)
    assert [r["stage"] for r in ours.per_stage()] == ["clean", "APGD-CE", "APGD-T", "Square"]
