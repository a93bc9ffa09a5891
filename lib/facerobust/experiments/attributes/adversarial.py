"""FGS and FFA adversarials on every attribute network (chapter 02, reused by chapter 03).

For each loss, each snapshot (two epochs, converged) and each method, every sampled training
image is attacked on every attribute network with the doubling/bisection line search; the
flipped images get a PASS score. A pair (image, attribute) is adversarial iff the decision
flipped and PASS >= 0.95; "+" if the network classified the clean image correctly (an
adversarial example), "-" if not (a natural adversarial). The attacks run on the device of the
networks (the images are moved there); the results are gathered on the CPU as
:class:`~.results.AttributeResults` (cached by :func:`.setup.cached_attacks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ... import device as devices
from ...attacks.attribute_directions import flip_attack
from ...data.streaming import AnyAttributeSet
from ...metrics import pass_score
from ...models.attribute_nets import score_of
from ...progress import progress
from .results import METHODS, STAGES, AttackRun, AttributeResults, NetScores


@dataclass(frozen=True)
class AttackConfig:
    """The attacks of chapter 2 (every field is part of the cache key of their results): ``n_attack``
    training images drawn with ``seed``, the line search's ``w0``, ``w_max`` and ``tol``."""

    n_attack: int
    w0: float
    w_max: float
    tol: float
    seed: int


def keep_images(loss: str, stage: str, method: str) -> bool:
    """Which runs keep their adversarial images: every converged run (galleries) and the
    Euclidean FFA runs of both stages (portability, chapter 03)."""
    return stage == "converged" or (loss == "euclidean" and method == "ffa")


def attack_sample(train: AnyAttributeSet, n: int, seed: int) -> Tensor:
    """Indices of ``n`` training images drawn at random (the paper's 1000 images), on the device
    of the seeded generator: the CPU, where the data set lives (the data layer's contract)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randperm(len(train), generator=g, device=g.device)[: min(n, len(train))]


def attack_bank(bank: Any, x: Tensor, method: str, cfg: AttackConfig, keep: bool = True) -> AttackRun:
    """One method on every attribute of one bank (``x`` on the bank's device): flip mask,
    weight, PASS, ECC and (if ``keep``) the adversarial images as uint8, all on the CPU."""
    res = flip_attack(bank, x, method=method, w0=cfg.w0, w_max=cfg.w_max, tol=cfg.tol)
    n, a = res.success.shape
    flip = res.success.view(n, a).cpu()
    x_adv = res.x_adv.view(n, a, *x.shape[1:]).cpu()
    score = torch.full_like(flip, float("nan"), dtype=torch.float64)
    ecc = torch.zeros_like(flip)
    idx = flip.nonzero()
    if len(idx):
        r = pass_score.pass_scores(x_adv[flip], x.cpu()[idx[:, 0]])
        score[flip], ecc[flip] = r.score, r.ecc
    images = x_adv.mul(255).round().to(torch.uint8) if keep else None
    return AttackRun(flip, res.info["weight"].view(n, a).cpu(), score, ecc, images)


def run_attacks(models: Mapping[str, Any], x: Tensor, y: Tensor, cfg: AttackConfig,
                index: Tensor | None = None) -> AttributeResults:
    """All (loss, stage, method) attacks on images ``x`` (N, C, H, W) with labels ``y`` (N, A);
    ``models``: {loss: (snapshots, history)}. ``x`` is moved to the networks' device."""
    first = getattr(next(iter(models.values()))[0], STAGES[0])
    xd, y = x.to(devices.of(first)), y.cpu()
    nets: dict[tuple[str, str], NetScores] = {}
    runs: dict[tuple[str, str, str], AttackRun] = {}
    jobs = [(lo, st, m) for lo in models for st in STAGES for m in METHODS]
    for loss, stage, method in progress(jobs, desc="attacks"):
        bank = getattr(models[loss][0], stage)
        if (loss, stage) not in nets:
            with torch.no_grad():
                f = score_of(bank(xd)).cpu()
            nets[(loss, stage)] = NetScores(f, torch.where(f > 0, 1, -1) == y)
        runs[(loss, stage, method)] = attack_bank(bank, xd, method, cfg, keep_images(loss, stage, method))
    idx = torch.arange(len(x), device=y.device) if index is None else index.cpu()
    return AttributeResults(x.cpu().mul(255).round().to(torch.uint8), y, idx, nets, runs)


def attack_training_sample(models: Mapping[str, Any], train: AnyAttributeSet,
                           cfg: AttackConfig) -> AttributeResults:
    """:func:`run_attacks` on ``cfg.n_attack`` training images drawn with ``cfg.seed``
    (:func:`attack_sample`), their indices recorded."""
    idx = attack_sample(train, cfg.n_attack, cfg.seed)
    return run_attacks(models, train.x[idx], train.a[idx], cfg, index=idx)


def pick_examples(
    res: AttributeResults,
    names: tuple[str, ...],
    k: int = 4,
    loss: str = "euclidean",
    method: str = "ffa",
) -> tuple[Tensor, Tensor, list[tuple[str, str]]]:
    """Up to ``k`` converged-network adversarials for a gallery, alternating natural (-) and
    ordinary (+) ones, each from a different attribute where possible; captions give the
    attribute, the scores f(x) and f(x_adv), and PASS."""
    run, net = res.run(loss, "converged", method), res.scores(loss, "converged")
    adv, ok = run.adversarial(), net.correct
    picks: list[tuple[int, int]] = []
    for want_ok in (False, True) * k:
        cand = (adv & (ok == want_ok)).nonzero().tolist()
        cand = [c for c in cand if c[1] not in {p[1] for p in picks}] or cand
        cand = [c for c in cand if tuple(c) not in picks]
        if cand and len(picks) < k:
            picks.append(tuple(cand[0]))
    if not picks:
        return res.images()[:0], res.images()[:0], []
    i, j = [p[0] for p in picks], [p[1] for p in picks]
    x, xa, f0 = res.images()[i], run.images()[i, j], net.score[i, j]
    caps = [
        (
            f"{names[b]} ({'natural' if not ok[a, b] else 'correct'}), "
            f"label {int(res.y[a, b]):+d}, f = {float(f0[n]):.2f}",
            f"PASS {float(run.pass_score[a, b]):.3f}",
        )
        for n, (a, b) in enumerate(picks)
    ]
    return x, xa, caps
