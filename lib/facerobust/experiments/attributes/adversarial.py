"""FGS and FFA adversarials on every attribute network (chapter 02, reused by chapter 03).

For each loss, each snapshot (two epochs, converged) and each method, every sampled training
image is attacked on every attribute network with the doubling/bisection line search; the
flipped images get a PASS score. A pair (image, attribute) is adversarial iff the decision
flipped and PASS >= 0.95; "+" if the network classified the clean image correctly (an
adversarial example), "-" if not (a natural adversarial). Results are cached as tensors.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from ... import cache
from ...attacks import attribute_directions as dirs
from ...attacks import line_search as ls
from ...data.types import AttributeSet
from ...metrics import pass_score as ps
from ...paths import cache_dir
from ...progress import progress
from . import training

METHODS, STAGES = ("fgs", "ffa"), ("epoch2", "converged")
ATTACK_KEYS = ("n_attack", "w0", "w_max", "tol", "attack_seed")


def attack_sample(train: AttributeSet, n: int, seed: int) -> Tensor:
    """Indices of ``n`` training images drawn at random (the paper's 1000 images)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randperm(len(train), generator=g)[: min(n, len(train))]


def attack_bank(bank: Any, x: Tensor, method: str, P: Mapping[str, Any]) -> dict[str, Tensor]:
    """One method on every attribute of one bank: flip mask, weight, PASS, adversarial images."""
    res = dirs.flip_attack(bank, x, method=method, w0=P["w0"], w_max=P["w_max"], tol=P["tol"])
    n, a = res.success.shape
    flip = res.success.view(n, a)
    x_adv = res.x_adv.view(n, a, *x.shape[1:])
    score = torch.full((n, a), float("nan"), dtype=torch.float64)
    ecc = torch.zeros(n, a, dtype=torch.bool)
    idx = flip.nonzero()
    if len(idx):
        r = ps.pass_scores(x_adv[flip], x[idx[:, 0]])
        score[flip], ecc[flip] = r.score, r.ecc
    return {
        "flip": flip,
        "weight": res.info["weight"].view(n, a),
        "pass": score,
        "ecc": ecc,
        "x_adv": x_adv.mul(255).round().to(torch.uint8),
    }


def run_attacks(models: Mapping[str, Any], x: Tensor, y: Tensor, P: Mapping[str, Any]) -> dict[str, Tensor]:
    """All (loss, stage, method) attacks on images ``x`` with labels ``y`` (N, A); flat dict
    with keys 'loss/stage/...' ('correct', 'score') and 'loss/stage/method/...'."""
    out: dict[str, Tensor] = {"x": x.mul(255).round().to(torch.uint8), "y": y}
    jobs = [(lo, st, m) for lo in models for st in STAGES for m in METHODS]
    for loss, stage, method in progress(jobs, desc="attacks"):
        bank = getattr(models[loss][0], stage)
        if method == METHODS[0]:
            with torch.no_grad():
                f = dirs.score_of(bank(x))
            out[f"{loss}/{stage}/score"] = f
            out[f"{loss}/{stage}/correct"] = torch.where(f > 0, 1, -1) == y
        for k, v in attack_bank(bank, x, method, P).items():
            if k != "x_adv" or (loss == "euclidean" and method == "ffa") or stage == "converged":
                out[f"{loss}/{stage}/{method}/{k}"] = v
    return out


def cached_attacks(
    P: Mapping[str, Any], models: Mapping[str, Any], data: Mapping[str, AttributeSet]
) -> dict[str, Tensor]:
    """:func:`run_attacks` on the chapter's attack sample, from the cache or computed now."""
    from .setup import TRAIN_KEYS, data_key

    cfg = {k: P[k] for k in TRAIN_KEYS + ATTACK_KEYS} | data_key(P, data)
    k = cache.key("rozsa-attacks", cfg, [training, dirs, ls, ps, sys.modules[__name__]])
    path = cache_dir() / "artefacts" / f"{k}.pt"
    if path.exists():
        return cache.load_state(path)
    idx = attack_sample(data["train"], P["n_attack"], P["attack_seed"])
    res = run_attacks(models, data["train"].x[idx], data["train"].a[idx], P)
    res["index"] = idx
    cache.save_state(path, res)
    return res


def adversarial(res: Mapping[str, Tensor], loss: str, stage: str, method: str, tau: float = ps.TAU) -> Tensor:
    """(N, A) bool: decision flipped and PASS >= tau."""
    return res[f"{loss}/{stage}/{method}/flip"] & (res[f"{loss}/{stage}/{method}/pass"] >= tau)


def pick_examples(
    res: Mapping[str, Tensor],
    names: tuple[str, ...],
    k: int = 4,
    loss: str = "euclidean",
    method: str = "ffa",
) -> tuple[Tensor, Tensor, list[tuple[str, str]]]:
    """Up to ``k`` converged-network adversarials for a gallery, alternating natural (-) and
    ordinary (+) ones, each from a different attribute where possible; captions give the
    attribute, the scores f(x) and f(x_adv), and PASS."""
    adv = adversarial(res, loss, "converged", method)
    ok = res[f"{loss}/converged/correct"]
    picks: list[tuple[int, int]] = []
    for want_ok in (False, True) * k:
        cand = (adv & (ok == want_ok)).nonzero().tolist()
        cand = [c for c in cand if c[1] not in {p[1] for p in picks}] or cand
        cand = [c for c in cand if tuple(c) not in picks]
        if cand and len(picks) < k:
            picks.append(tuple(cand[0]))
    if not picks:
        return torch.zeros(0), torch.zeros(0), []
    i, j = torch.tensor([p[0] for p in picks]), torch.tensor([p[1] for p in picks])
    x = res["x"][i].float() / 255
    xa = res[f"{loss}/converged/{method}/x_adv"][i, j].float() / 255
    f0 = res[f"{loss}/converged/score"][i, j]
    caps = [
        (
            f"{names[b]} ({'natural' if not ok[a, b] else 'correct'}), "
            f"label {int(res['y'][a, b]):+d}, f = {float(f0[n]):.2f}",
            f"PASS {float(res[f'{loss}/converged/{method}/pass'][a, b]):.3f}",
        )
        for n, (a, b) in enumerate(picks)
    ]
    return x, xa, caps
