"""Train the chapter's classifiers, pick the attacked samples and run every attack on them.

Used by ``notebooks/06_k_anonymity.py``: MNIST-5k + LeNet-5 and Fashion-MNIST + a small
MobileNetV2 (in place of the paper's CIFAR-10 + MobileNetV2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from ... import cache
from ...attacks import cw as cw_mod
from ...attacks import deepfool as df_mod
from ...attacks import k_anonymity as ka_mod
from ...attacks import lbfgs as lb_mod
from ...attacks.base import AttackResult
from ...data.digits import fashion_mnist, mnist5k
from ...data.types import ImageSet
from ...metrics import ranking, ssim
from ...models import small_nets
from ...progress import progress


@dataclass
class Setting:
    """One dataset/model pair: the model, the attacked (correctly classified) samples, the results."""

    name: str
    model: nn.Module
    x: Tensor
    y: Tensor
    classes: tuple[str, ...]
    similarity: str  # "SSIM" or "MS-SSIM"
    info: dict[str, Any] = field(default_factory=dict)
    results: dict[str, AttackResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _train(name: str, make: Callable[[], nn.Module], data: ImageSet, cfg: Mapping[str, Any]) -> nn.Module:
    n = int(cfg["n_train"])
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(int(cfg["seed"])))[:n]
    fit = lambda m: small_nets.fit_classifier(
        m, data.x[idx], data.y[idx], epochs=int(cfg["epochs"]), lr=float(cfg["lr"]), seed=int(cfg["seed"])
    )
    model, _ = cache.cached_module(name, dict(cfg), make, fit, code=[small_nets])
    return model


def _attacked(
    name: str, model: nn.Module, train: ImageSet, test: ImageSet, n: int, seed: int, similarity: str
) -> Setting:
    """``n`` correctly classified TRAINING samples (as in the paper), chosen at random."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(train), generator=g)[: 4 * n]
    with torch.no_grad():
        ok = model(train.x[idx]).argmax(1) == train.y[idx]
    pick = idx[ok][:n]
    info = {
        "test_accuracy": small_nets.accuracy(model, test.x, test.y),
        "train_accuracy": small_nets.accuracy(model, train.x[idx], train.y[idx]),
    }
    return Setting(name, model, train.x[pick], train.y[pick], train.classes, similarity, info)


def mnist_setting(P: Mapping[str, Any]) -> Setting:
    """LeNet-5 trained on MNIST-5k's 4000 training digits; ``P.n_attack`` digits to attack."""
    tr, te = mnist5k("train"), mnist5k("test")
    cfg = {
        "n_train": min(P["mnist_train"], len(tr)),
        "epochs": P["mnist_epochs"],
        "lr": 2e-3,
        "seed": P["seed"],
    }
    model = _train("k-anon-lenet5", small_nets.lenet5, tr, cfg)
    return _attacked("MNIST-5k / LeNet-5", model, tr, te, P["n_attack"], P["seed"], "SSIM")


def fashion_setting(P: Mapping[str, Any]) -> Setting:
    """A small MobileNetV2 trained on ``P.fashion_train`` Fashion-MNIST images."""
    tr, te = fashion_mnist("train"), fashion_mnist("test")
    cfg = {
        "n_train": P["fashion_train"],
        "epochs": P["fashion_epochs"],
        "lr": 3e-3,
        "seed": P["seed"],
        "width": 16,
    }
    model = _train("k-anon-mobilenetv2", small_nets.mobilenet_v2_small, tr, cfg)
    te = ImageSet(te.x[:2000], te.y[:2000], te.classes, te.name)
    return _attacked(
        "Fashion-MNIST / MobileNetV2", model, tr, te, P["n_attack_fashion"], P["seed"], "MS-SSIM"
    )


def attack_all(s: Setting, P: Mapping[str, Any]) -> Setting:
    """Run L-BFGS, DeepFool, C&W and the K-anonymity attack (each K, plus K=1 without CW-SSIM)."""
    m, x, y = s.model, s.x, s.y
    with torch.no_grad():
        runner_up = ranking.runner_up(m(x), y)
    g = torch.Generator().manual_seed(int(P["seed"]))
    jobs: dict[str, Callable[[], AttackResult]] = {
        "L-BFGS": lambda: lb_mod.lbfgs(
            m, x, runner_up, search_steps=P["lbfgs_search"], iters=P["lbfgs_iters"]
        ),
        "DeepFool": lambda: df_mod.deepfool(m, x, y),
        "C&W": lambda: cw_mod.cw_l2(
            m, x, y, target=runner_up, binary_steps=P["cw_binary_steps"], steps=P["cw_steps"]
        ),
    }
    for K in P["Ks"]:
        k = ka_mod.assign_groups(len(x), K, g)
        jobs[f"K-anon. K={K}"] = partial(ka_mod.k_anonymity, m, x, y, k, steps=P["ka_steps"], lr=P["ka_lr"])
    k1 = torch.full((len(x),), 2, dtype=torch.int64)
    jobs["K-anon. K=1, no CW-SSIM"] = lambda: ka_mod.k_anonymity(
        m, x, y, k1, steps=P["ka_steps"], lr=P["ka_lr"], sim_weight=0.0
    )
    for name, job in progress(jobs.items(), desc=s.name.split(" ")[0]):
        t0 = time.perf_counter()
        s.results[name] = job()
        s.seconds[name] = time.perf_counter() - t0
    return s


def _similarity(s: Setting, x_adv: Tensor) -> Tensor:
    if s.similarity == "SSIM":
        return ssim.ssim(s.x, x_adv)
    return ssim.ms_ssim(s.x, x_adv, scales=3, win_size=7)


def summary_table(s: Setting) -> pd.DataFrame:
    """Per attack: ASR %, SSIM or MS-SSIM (x100), MSE, rank-2 recovery %, max pmf, success, time."""
    rows = []
    for name, r in s.results.items():
        with torch.no_grad():
            scores = s.model(r.x_adv)
        ranks = ranking.true_label_rank(scores, s.y)
        pmf = ranking.rank_pmf(ranks, scores.shape[1])
        rows.append(
            {
                "attack": name,
                "ASR %": 100 * ranking.attack_success_rate(scores, s.y),
                s.similarity: 100 * float(_similarity(s, r.x_adv).mean()),
                "MSE": float(ranking.mse(s.x, r.x_adv).mean()),
                "L2": float(r.perturbation_norms(s.x).mean()),
                "rank-2 recovery %": 100 * ranking.rank2_recovery(scores, s.y),
                "max p(j)": float(pmf.max()),
                "attack success %": 100 * r.rate,
                "seconds": s.seconds.get(name, float("nan")),
                "pmf": pmf.numpy(),
            }
        )
    return pd.DataFrame(rows).set_index("attack")
