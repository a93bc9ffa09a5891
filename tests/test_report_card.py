"""The report card (chapter 10): its table builders on hand-made results, its verdict words, the
verifier's threshold, the transfer attack and PGD training, and every sanity check failing on a
hand-made masked model (a randomised output, probabilities, zero gradients, a forward pass that
optimises, gradients that point nowhere, a model that ignores its input).

The masked models are small linear classifiers on 4 x 4 images whose decision an attacker can turn
by moving every pixel toward the other class; each hides that from the gradient in one way.
"""

from __future__ import annotations

import math
import re
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from facerobust.attacks.apgd import apgd
from facerobust.attacks.fgsm import fgsm
from facerobust.attacks.transfer import transfer
from facerobust.attacks.worst_case import AttackSpec, WorstCase, robust_accuracy
from facerobust.experiments import claims
from facerobust.experiments.report_card import (
    builders,
    curves,
    documents,
    evaluate,
    prechecks,
    results,
    sanity,
    tables,
    verification,
)
from facerobust.experiments.report_card.evaluate import Budget
from facerobust.experiments.report_card.heads import AttributeHead, BinaryHead, PairVerifier
from facerobust.experiments.report_card.results import Plan, TargetResult
from facerobust.experiments.report_card.targets import COST_PER_POINT, AttackSettings, Part, Target
from facerobust.metrics.intervals import wilson
from torch import Tensor, nn

ROOT = Path(__file__).resolve().parents[1]
G = torch.Generator
EPS = 0.1


# ---------------------------------------------------------------- hand-made models and data
class Linear(nn.Module):
    """Two classes on 1 x 4 x 4 images: logits (0, margin * (mean(x) - 0.5) / EPS). Class 1 = bright.
    Moving every pixel by EPS shifts the score by ``margin``; a random start moves it little."""

    def __init__(self, margin: float = 2.0) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, x: Tensor) -> Tensor:
        s = self.margin * (x.flatten(1).mean(1) - 0.5) / EPS
        return torch.stack([torch.zeros_like(s), s], 1)


def _points(n: int = 40, gap: float = 0.08, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Images whose mean sits ``gap`` above or below 0.5 (class 1 / 0), quantised to 1/255."""
    y = torch.arange(n) % 2
    base = 0.5 + gap * (2 * y - 1).float()
    noise = (torch.rand(n, 1, 4, 4, generator=G().manual_seed(seed)) - 0.5) * 0.1
    x = (base.view(-1, 1, 1, 1) + noise - noise.mean((1, 2, 3), keepdim=True)).clamp(0, 1)
    return (x * 255).round() / 255, y


class ZeroGrad(nn.Module):
    """The linear model's values with an exactly zero input gradient (``0 * x`` carries the graph)."""

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, x: Tensor) -> Tensor:
        return self.base(x.detach()) + 0 * x.flatten(1).sum(1, keepdim=True)


class Constant(nn.Module):
    """Always class 0, whatever the input (gradient zero everywhere)."""

    def forward(self, x: Tensor) -> Tensor:
        z = 0 * x.flatten(1).sum(1)
        return torch.stack([z + 1.0, z], 1)


class Noisy(nn.Module):
    """Logits with fresh Gaussian noise on every pass (a randomised defense)."""

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, x: Tensor) -> Tensor:
        z = self.base(x)
        return z + torch.randn(z.shape, generator=G().manual_seed(int(torch.randint(0, 10**6, (1,)))))


class Dynamic(nn.Module):
    """Runs a gradient step on its own input before classifying (as Defense-GAN's projection does)."""

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, x: Tensor) -> Tensor:
        with torch.enable_grad():
            z = x.detach().clone().requires_grad_(True)
            (g,) = torch.autograd.grad((z - 0.5).pow(2).sum(), z)
        return self.base(x - 0.0 * g)


class Lattice(nn.Module):
    """Exact gradients on the 1/255 lattice of clean images, zero gradients off it: FGSM (which
    starts at the clean image) sees the gradient, APGD (which starts at a random point) does not."""

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, x: Tensor) -> Tensor:
        on = ((x * 255) - (x * 255).round()).abs() < 1e-3
        return self.base(torch.where(on, x, (x * 255).round() / 255))


class _Shatter(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # type: ignore[override]
        return x.clone()

    @staticmethod
    def backward(ctx, g: Tensor) -> Tensor:  # type: ignore[override]
        return torch.randn(g.shape, generator=G().manual_seed(int(g.abs().sum() * 1e6) % 2**31))


class Shattered(nn.Module):
    """The linear model behind a layer whose backward pass returns noise (shattered gradients):
    APGD becomes a random walk, and more steps turn more points."""

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, x: Tensor) -> Tensor:
        return self.base(_Shatter.apply(x))


def _settings(**kw) -> AttackSettings:
    return AttackSettings(**{"steps": 5, "n_target_classes": 0, "square_queries": 0, **kw})


def _target(model: nn.Module, x: Tensor, y: Tensor, substitute: nn.Module | None = None, **kw) -> Target:
    part = Part(model, x, y, substitute=substitute)
    return Target("toy", "toy", "digits", "test", 2, (part,), _settings(**kw))


# ---------------------------------------------------------------- the sanity checks fail when they should
def test_pre_checks_hold_on_a_plain_model_and_each_fails_on_its_masked_model():
    x, y = _points(8)
    plain = prechecks.run(Linear(), None, x, y)
    assert all(rule(plain).verdict == claims.HOLDS for rule in (sanity.deterministic, sanity.logits,
                                                                sanity.gradients, sanity.static))
    assert sanity.deterministic(prechecks.run(Noisy(Linear()), None, x, y)).verdict == claims.FAILS
    soft = nn.Sequential(Linear(), nn.Softmax(dim=1))
    assert sanity.logits(prechecks.run(soft, None, x, y)).verdict == claims.FAILS
    zero = prechecks.run(ZeroGrad(Linear()), None, x, y)
    assert sanity.gradients(zero).verdict == claims.FAILS and zero.zero_gradients == len(x)
    assert sanity.static(prechecks.run(Dynamic(Linear()), None, x, y)).verdict == claims.FAILS
    # the gradient check reads the model the attacks differentiate, when given
    assert prechecks.run(ZeroGrad(Linear()), Linear(), x, y).zero_gradients == 0


def test_iterative_check_fails_when_only_fgsm_sees_the_gradient():
    x, y = _points()
    model = Lattice(Linear())
    wc = evaluate.worst_case(_target(model, x, y), Budget("Linf", EPS), checks=True, seed=0)
    assert int((wc.broken_by == wc.stages.index("APGD-CE")).sum()) == 0  # APGD starts off the lattice
    assert sanity.iterative(wc).verdict == claims.FAILS
    plain = evaluate.worst_case(_target(Linear(), x, y), Budget("Linf", EPS), checks=True, seed=0)
    assert sanity.iterative(plain).verdict == claims.HOLDS


def test_unbounded_check_fails_on_a_model_that_ignores_its_input():
    x, y = _points()
    x, y = x[y == 0], y[y == 0]
    large = evaluate.large_budget(_target(Constant(), x, y), Budget("Linf", 1.0), seed=0)
    assert large.accuracy == 1.0
    assert sanity.unbounded(large, 2, "L-inf 1").verdict == claims.FAILS
    ok = evaluate.large_budget(_target(Linear(), x, y), Budget("Linf", 1.0), seed=0)
    assert sanity.unbounded(ok, 2, "L-inf 1").verdict == claims.HOLDS


def test_gradient_free_check_fails_when_square_beats_zero_gradients():
    x, y = _points()
    wc = evaluate.worst_case(_target(ZeroGrad(Linear()), x, y, square_queries=200), Budget("Linf", EPS),
                             checks=False, seed=0)
    assert wc.stages == ("clean", "APGD-CE", "Square")
    assert sanity.gradient_free(wc).verdict == claims.FAILS
    plain = evaluate.worst_case(_target(Linear(), x, y, square_queries=200), Budget("Linf", EPS),
                                checks=False, seed=0)
    assert sanity.gradient_free(plain).verdict == claims.HOLDS


def test_transfer_check_fails_when_the_substitute_sees_what_the_white_box_attack_cannot():
    x, y = _points()
    wc = evaluate.worst_case(_target(ZeroGrad(Linear()), x, y, substitute=Linear()), Budget("Linf", EPS),
                             checks=True, seed=0)
    assert sanity.transfer(wc).verdict == claims.FAILS
    plain = evaluate.worst_case(_target(Linear(), x, y, substitute=Linear()), Budget("Linf", EPS),
                                checks=True, seed=0)
    assert sanity.transfer(plain).verdict == claims.HOLDS
    no_sub = evaluate.worst_case(_target(Linear(), x, y), Budget("Linf", EPS), checks=True, seed=0)
    assert sanity.transfer(no_sub).verdict == claims.INCONCLUSIVE  # not run: no substitute


def _result(target: Target, wc: WorstCase, large: WorstCase | None = None) -> TargetResult:
    plan = Plan((Budget("Linf", EPS),), 0, Budget("Linf", 1.0), (EPS,), 4, 0)
    crv = curves.Curve((0.0, EPS), (wc.n, wc.k), wc.n, np.zeros(wc.n))
    pre = prechecks.PreChecks(4, 0.0, False, False, 0, 0)
    return TargetResult(target, plan, {plan.budgets[0].label: wc}, large or wc, crv, np.ones(wc.n), pre)


def test_converged_check_fails_on_shattered_gradients():
    x, y = _points(200, gap=0.035)  # a random vertex of the ball crosses the boundary now and then
    target = _target(Shattered(Linear()), x, y, steps=3)
    wc = evaluate.worst_case(target, Budget("Linf", EPS), checks=True, seed=0)
    j = sanity.converged(_result(target, wc))
    assert j.verdict == claims.FAILS, j.ours
    plain = _target(Linear(), x, y, steps=3)
    wc = evaluate.worst_case(plain, Budget("Linf", EPS), checks=True, seed=0)
    assert sanity.converged(_result(plain, wc)).verdict == claims.HOLDS


def test_sanity_claims_name_every_check_and_give_a_reading_only_when_one_fails():
    x, y = _points()
    target = _target(ZeroGrad(Linear()), x, y, substitute=Linear())
    wc = evaluate.worst_case(target, Budget("Linf", EPS), checks=True, seed=0)
    rows = sanity.sanity_claims(_result(target, wc))
    assert [r.id for r in rows] == [f"S-toy-{name}" for name in sanity.CHECKS]
    failed = [r for r in rows if r.verdict == claims.FAILS]
    assert "S-toy-transfer" in {r.id for r in failed}
    assert all(r.note for r in failed) and all(not r.note for r in rows if r.verdict != claims.FAILS)
    assert all(r.judgement.rule for r in rows)


# ---------------------------------------------------------------- the worst case and its parts
def _wc(broken_by: list[int], stages: tuple[str, ...] = ("clean", "APGD-CE", "Square")) -> WorstCase:
    b = torch.tensor(broken_by)
    n = len(b)
    zeros = torch.zeros(n)
    return WorstCase(stages, ("",) * len(stages), b < 0, b, torch.zeros(n, 1, 2, 2), zeros, zeros,
                     torch.full((n,), 10), torch.full((n,), 5), (n,) * len(stages), (1.0,) * len(stages),
                     (0.5,) * len(stages), (n,) * len(stages), (n,) * len(stages))


def test_merge_joins_points_and_sums_costs():
    a, b = _wc([-1, 1, 0]), _wc([2, -1])
    m = evaluate.merge([a, b])
    assert m.n == 5 and m.k == 2 and m.broken_by.tolist() == [-1, 1, 0, 2, -1]
    assert m.cpu_seconds == (1.0, 1.0, 1.0) and m.attacked == (5, 5, 5)
    assert evaluate.merge([a]) is a
    with pytest.raises(ValueError, match="different attacks"):
        evaluate.merge([a, _wc([1], ("clean", "APGD-CE"))])


def test_budget_labels_and_plans():
    assert Budget("Linf", 0.3).label == "L-inf 0.3"
    assert Budget("Linf", 4 / 255).label == "L-inf 4/255"
    assert Budget("L2", 2.0).label == "L2 2"
    plan = Plan.of([["Linf", 2], ["Linf", 4]], 1, 1.0, [1, 8], 4, 0, unit=1 / 255)
    assert plan.budgets[1].eps == pytest.approx(4 / 255) and plan.grid == pytest.approx((1 / 255, 8 / 255))
    with pytest.raises(ValueError):
        Plan.of([["Linf", 0.1]], 1, 1.0, [0.1], 4, 0)


def test_stages_follow_the_settings_and_the_number_of_classes():
    x, y = _points(4)
    part = Part(Linear(), x, y, substitute=Linear())
    ten = Target("t", "t", "digits", "test", 10, (part,), _settings(n_target_classes=3, square_queries=10))
    names = [s.name for s in evaluate.stages(ten, part, Budget("Linf", EPS))]
    assert names == ["APGD-CE", "APGD-T", "Square"]
    two = Target("t", "t", "digits", "test", 2, (part,), _settings(n_target_classes=3, square_queries=10))
    assert [s.name for s in evaluate.stages(two, part, Budget("Linf", EPS))] == ["APGD-CE", "Square"]
    rand = Target("t", "t", "digits", "test", 10, (part,), _settings(dlr=True))
    assert [s.name for s in evaluate.stages(rand, part, Budget("Linf", EPS))] == ["APGD-CE", "APGD-DLR"]
    checks = [s.name for s in evaluate.check_stages(two, part, Budget("L2", 1.0))]
    assert checks == [evaluate.DOUBLED, evaluate.TRANSFER]  # no FGSM at an L2 budget


def test_curve_is_monotone_and_gives_each_point_its_minimal_grid_radius():
    x, y = _points(30)
    c = curves.curve(_target(Linear(), x, y), [0.2, 0.05, 0.1], seed=0)
    assert c.eps == (0.0, 0.05, 0.1, 0.2)
    assert list(c.robust) == sorted(c.robust, reverse=True) and c.robust[-1] == 0
    assert set(np.unique(c.min_eps)) <= {0.05, 0.1, 0.2}
    # gap 0.08 and margin 2 / EPS: a point turns once eps * 2 / EPS > 0.08 * 2 / EPS, i.e. eps >= 0.1
    assert (c.min_eps == 0.1).all() and c.median_min_eps() == 0.1


def test_minimal_l2_is_the_smaller_of_deepfool_and_cw():
    x, y = _points(6)
    per_point = curves.minimal_l2(_target(Linear(), x, y, cw_binary=2, cw_steps=30), seed=0)
    # the nearest boundary: every pixel moved by 0.08 (L2 = 0.08 * 4), DeepFool's overshoot 2%
    assert per_point == pytest.approx(np.full(6, 0.32), rel=0.05)
    assert curves.median_l2(per_point) == pytest.approx(0.32, rel=0.05)
    assert math.isnan(curves.median_l2(np.zeros(0)))


# ---------------------------------------------------------------- heads, verifier, transfer, PGD training
def test_binary_heads_decide_as_the_score():
    x = torch.rand(6, 1, 4, 4, generator=G().manual_seed(3))
    score = lambda v: v.flatten(1).mean(1) - 0.5  # noqa: E731
    z = BinaryHead(nn.Identity(), score)(x)
    assert torch.equal(z.argmax(1), (score(x) > 0).long()) and torch.equal(z[:, 0], torch.zeros(6))
    bank = lambda v: torch.stack([score(v), -score(v)], 1)[..., None]  # noqa: E731  (N, A=2, 1)
    assert torch.equal(AttributeHead(_Wrap(bank), 1)(x).argmax(1), (score(x) < 0).long())
    soft = lambda v: torch.stack([torch.zeros(len(v)), score(v)], 1)[:, None, :]  # noqa: E731  (N, 1, 2)
    assert torch.equal(AttributeHead(_Wrap(soft), 0)(x).argmax(1), (score(x) > 0).long())


class _Wrap(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)


def test_pair_verifier_matches_below_the_threshold():
    emb = nn.Flatten()
    x = torch.zeros(2, 1, 2, 2)
    x[1] += 1.0  # distance 2 from the anchor 0
    v = PairVerifier(emb, torch.zeros(4), threshold=1.0)
    assert v(x).argmax(1).tolist() == [1, 0]
    with pytest.raises(ValueError):
        PairVerifier(emb, torch.zeros(2, 4), 1.0)


def test_threshold_fixes_the_false_accept_rate_on_clean_impostors():
    d = np.arange(1, 201) / 100.0  # 200 impostor distances 0.01 .. 2.00
    t = verification.threshold_at(d, 0.01)
    assert t.accepted == 2 and t.tau == pytest.approx(0.03) and t.rate == 0.01
    assert t.interval() == pytest.approx(wilson(2, 200))
    assert verification.threshold_at(d, 0.0).accepted == 0
    with pytest.raises(ValueError):
        verification.threshold_at(d, 1.0)


def test_pairs_and_identities():
    labels = pd.DataFrame({"face_id": ["a", "b", "c", "d"], "identity": ["obama", "obama", "", ""]})
    ident = verification.identities(labels)
    assert ident.tolist() == ["obama", "obama", "c", "d"]
    emb = torch.eye(4)
    gen = verification.genuine_pairs(emb, -emb, ident)
    assert gen.kind == ("same identity",) * 2 + ("mirror",) * 4 and gen.probe.tolist() == [0, 1, 0, 1, 2, 3]
    imp = verification.impostor_pairs(emb, ident, seed=0)
    assert all(ident[p] != ident[int(a.argmax())] for p, a in zip(imp.probe, imp.anchors, strict=True))
    assert len(verification.impostor_distances(emb, ident)) == 5  # 6 pairs minus the Obama pair


def test_transfer_is_judged_on_the_target_and_counts_eot_draws():
    from facerobust.attacks.adaptive import eot

    x, y = _points(10)
    res = transfer(ZeroGrad(Linear()), x, y, source=Linear(), attack=apgd, eps=EPS, steps=5,
                   generator=G().manual_seed(0))
    assert res.success.all() and (res.x_adv - x).abs().max() <= EPS + 1e-6
    assert torch.equal(res.info["source_success"], res.success)
    # a target that ignores the input is never fooled, whatever the surrogate says
    never = transfer(Constant(), x[y == 0], y[y == 0], source=Linear(), attack=fgsm, eps=0.5)
    assert not never.success.any() and never.info["source_success"].all()
    single = transfer(Linear(), x, y, source=Linear(), attack=apgd, eps=EPS, steps=5,
                      generator=G().manual_seed(0))
    double = transfer(Linear(), x, y, source=eot(Linear(), 3), attack=apgd, eps=EPS, steps=5,
                      generator=G().manual_seed(0))
    assert torch.equal(double.info["queries"], 3 * single.info["queries"])
    # as an AttackSpec the budget is checked by the worst case
    spec = AttackSpec("transfer", partial(transfer, source=Linear(), attack=apgd), {"eps": EPS, "steps": 5})
    assert robust_accuracy(Linear(), x, y, [spec], generator=G().manual_seed(0)).accuracy == 0.0


def test_pgd_training_is_seeded_and_moves_the_model():
    from facerobust.defenses.madry import train_pgd

    torch.manual_seed(0)
    x = torch.rand(32, 1, 4, 4, generator=G().manual_seed(1))
    y = (x.flatten(1).mean(1) > 0.5).long()

    def fit() -> tuple[list[float], Tensor]:
        torch.manual_seed(0)
        m = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        losses = train_pgd(m, x, y, eps=0.05, steps=2, step_size=0.03, epochs=2, batch=8, seed=3)
        return losses, m[1].weight.detach().clone()

    (l1, w1), (l2, w2) = fit(), fit()
    assert l1 == l2 and torch.equal(w1, w2) and len(l1) == 2


# ---------------------------------------------------------------- tables, verdict words, documents
@pytest.mark.parametrize(("k", "n", "clean", "words"), [
    (90, 100, 0.99, tables.KEEPS),  # [0.83, 0.94] at or above 0.495
    (2, 100, 0.99, tables.LOSES),  # [0.01, 0.07] below 0.495
    (5, 10, 0.9, tables.UNCLEAR),  # [0.24, 0.76] straddles 0.45
])
def test_verdict_words(k, n, clean, words):
    assert tables.verdict(k, n, clean) == words


def test_verdict_every_branch_is_a_sentence_and_names_flags():
    assert tables.verdict(0, 10, 0.0) == tables.UNCLEAR  # [0, 0.28] is not below 0: cannot tell
    flagged = tables.verdict(90, 100, 0.99, ["gradient-free", "transfer"])
    assert flagged == tables.KEEPS + " (evaluation flagged: gradient-free, transfer)"
    for words in (tables.KEEPS, tables.LOSES, tables.UNCLEAR):
        assert not re.search(r"\d", words) and words.split()[0] in {"keeps", "loses", "cannot"}
    with pytest.raises(ValueError):
        tables.verdict(5, 4, 0.5)
    with pytest.raises(ValueError):
        tables.verdict(1, 4, 1.5)


def _hand_results() -> list[TargetResult]:
    x, y = _points(4)
    a = _target(Linear(), x, y)
    b = Target("B/x", "model B", "faces", "test", 2, (Part(Linear(), x, y),), _settings())
    wc_a = _wc([-1, -1, 1, 0])  # 2 robust, 1 clean mistake
    wc_b = _wc([1, 1, 2, 2])
    return [_result(a, wc_a), _result(b, wc_b)]


def test_card_overview_and_short_answer_on_hand_made_results():
    res = _hand_results()
    card = tables.card(res)
    assert card.loc[0, "robust"] == "0.50 [{:.2f}, {:.2f}]".format(*wilson(2, 4))
    assert card.loc[0, "clean"].startswith("0.75") and card.loc[0, "broken by"] == "APGD-CE 1"
    assert card.loc[1, "broken by"] == "APGD-CE 2, Square 2" and card.loc[0, "queries / point"] == 10
    ov = tables.overview(res)
    assert ov.loc[0, "median min L2"] == 1.0 and ov.loc[0, "checks failed"] == "none"
    short = tables.short_answer(res)
    assert short.loc[0, "robust"] == 0.5 and short.loc[1, "robust"] == 0.0
    assert short.loc[1, "verdict"].startswith("loses") or short.loc[1, "verdict"].startswith("cannot")
    glue = tables.short_answer_glue(short)
    assert glue["sa_toy_robust"] == 0.5 and glue["sa_B_x_name"] == "model B"
    assert set(glue) == {f"sa_{k}_{f}" for k in ("toy", "B_x")
                         for f in ("name", "budget", "clean", "robust", "interval", "verdict")} | {
        "sa_summary"}


def test_summary_reads_for_none_one_some_and_all():
    frame = pd.DataFrame({"model": ["a", "b", "c"], "verdict": [tables.LOSES, tables.UNCLEAR, tables.LOSES]})
    none = "none of the 3 models keeps half its clean accuracy at its standard budget"
    assert tables.summary(frame) == none
    frame.loc[1, "verdict"] = tables.KEEPS + " (evaluation flagged: transfer)"
    one = tables.summary(frame)
    assert one.startswith("1 of the 3 models keeps at least half") and one.endswith("(b)")
    frame.loc[0, "verdict"] = tables.KEEPS
    two = tables.summary(frame)
    assert two.startswith("2 of the 3 models keep at least half") and two.endswith("(a; b)")
    frame["verdict"] = tables.KEEPS
    assert tables.summary(frame) == ("all 3 models keep at least half their clean accuracy at their standard "
                                     "budget")
    with pytest.raises(ValueError):
        tables.summary(frame.iloc[:0])


def test_check_matrix_and_curves_frames():
    res = _hand_results()
    m = tables.check_matrix(res)
    assert list(m.columns) == list(sanity.CHECKS) and list(m.index) == ["toy", "model B"]
    c = tables.curves(res)
    assert list(c.columns) == ["family", "model", "eps", "accuracy", "lo", "hi"] and len(c) == 4


def test_document_claims():
    assert documents.mse_to_l2(0.005, 784) == pytest.approx(1.9799, abs=1e-4)
    res = _result(_target(Linear(), *_points(4)), _wc([1, 1, 1, 1]))
    label = res.plan.budgets[0].label
    white = documents.whitebox_claim(res, label, official_generator=False, generator_text="tiny")
    assert white.verdict == claims.INCONCLUSIVE and "at our generator budget: tiny" in white.judgement.rule
    assert documents.whitebox_claim(res, label, True, "").verdict == claims.FAILS
    assert documents.athalye_claim(res, label, 1.98).verdict == claims.HOLDS
    assert documents.athalye_claim(res, "L2 9", 1.98).verdict == claims.INCONCLUSIVE  # no such budget
    strong = _result(_target(Linear(), *_points(40)), _wc([-1] * 40))
    assert documents.athalye_claim(strong, label, 1.98).verdict == claims.FAILS


# ---------------------------------------------------------------- the introduction's short answer
def _short_answer_section() -> str:
    text = (ROOT / "book" / "intro.md").read_text()
    start = text.index("## The short answer")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_no_number_in_the_short_answer_is_typed():
    section = _short_answer_section()
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) > 3, "the short answer holds a table"
    roles = re.compile(r"\{(glue:text|doc)\}`[^`]*`")
    for line in rows:
        assert not re.search(r"\d", roles.sub("", line)), f"a typed number in: {line}"
    prose = roles.sub("", "\n".join(line for line in section.splitlines() if not line.startswith("|")))
    assert not re.search(r"\d", prose), "a typed number in the prose"


def test_short_answer_reads_values_the_chapter_glues():
    section = _short_answer_section()
    keys = set(re.findall(r"\{glue:text\}`chapters/10_report_card\.ipynb::(\w+)(?::[^`]*)?`", section))
    assert keys, "the short answer is glued from chapter 10"
    default = yaml.safe_load((ROOT / "params" / "10_report_card.yml").read_text())["default"]
    targets = ["A", "A-fgsm0.3", "A-fgsm0.15", builders.PGD_KEY, "magnet", builders.DGAN_KEY,
               "attr-euclidean", "attr-softmax", *default["face_models"], "dodging", "impersonation"]
    glued = {f"sa_{tables.glue_key(t)}_{f}" for t in targets
             for f in ("name", "budget", "clean", "robust", "interval", "verdict")}
    assert keys <= glued | {"sa_summary", "abs_n_checks", "abs_n_failed", "abs_failed"}, sorted(keys - glued)
    assert {f"sa_{tables.glue_key(t)}_verdict" for t in targets} <= keys  # every default model has a row


def test_one_attribute_of_a_bank_is_the_same_network_alone():
    from facerobust.models.attribute_nets import SmallAttributeCNN

    torch.manual_seed(0)
    for n_out in (1, 2):
        bank = SmallAttributeCNN(4, n_out).eval()
        x = torch.rand(5, 1, 28, 28, generator=G().manual_seed(2))
        full = bank(x)
        for i in range(4):
            s = full[:, i, 0] if n_out == 1 else full[:, i, 1] - full[:, i, 0]
            assert torch.allclose(AttributeHead(bank, i)(x)[:, 1], s, atol=1e-5)


# ---------------------------------------------------------------- the card's targets side by side
def _toy_targets() -> list[Target]:
    x, y = _points(12)
    out = []
    for k in range(3):
        net = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        with torch.no_grad():
            net[1].weight.copy_(torch.tensor([[-1.0], [1.0]]).repeat(1, 16) * (k + 1))
            net[1].bias.copy_(torch.tensor([8.0, -8.0]) * (k + 1))
        out.append(Target(f"toy{k}", f"toy {k}", "digits", "test", 2, (Part(net, x, y),),
                          _settings(square_queries=20), cost_per_point=100.0 if k == 2 else None))
    return out


def test_a_cluster_gets_the_longest_target_first_and_results_come_in_order(monkeypatch) -> None:
    targets = _toy_targets()
    assert targets[2].expected_cpu == 100.0 * targets[2].n
    assert targets[0].expected_cpu == targets[0].n * COST_PER_POINT["digits"]
    sent: list[str] = []

    def fake_run(fn, jobs, cluster, num_cpus):  # type: ignore[no-untyped-def]
        sent.extend(job[0].key for job in jobs)
        return [f"result of {job[0].key}" for job in jobs]

    monkeypatch.setattr(results.clusters, "run", fake_run)
    plans = {"digits": Plan.of([["Linf", 0.05]], 0, 1.0, [0.05], 4, 0)}
    got = results.evaluate_all(targets, plans, cluster="local", threads=1)
    assert sent == ["toy2", "toy0", "toy1"]  # longest first, then the order given (a stable sort)
    assert got == ["result of toy0", "result of toy1", "result of toy2"]


@pytest.mark.slow
def test_targets_as_ray_tasks_give_the_in_process_card():
    pytest.importorskip("ray")
    plans = {"digits": Plan.of([["Linf", 0.05], ["Linf", 0.1]], 1, 1.0, [0.05, 0.1], 4, 0)}
    here = results.evaluate_all(_toy_targets(), plans, threads=1)
    ray = results.evaluate_all(_toy_targets(), plans, cluster="local", threads=1)
    assert [r.target.key for r in ray] == ["toy0", "toy1", "toy2"]
    for a, b in zip(here, ray, strict=True):
        for label in a.by_budget:
            assert torch.equal(a.by_budget[label].broken_by, b.by_budget[label].broken_by)
            assert torch.equal(a.by_budget[label].x_adv, b.by_budget[label].x_adv)
        assert a.curve.robust == b.curve.robust and np.array_equal(a.minimal_l2, b.minimal_l2)
    with pytest.raises(ValueError, match="threads"):
        results.evaluate_all(_toy_targets(), plans, threads=0)
