"""Run every attack of the K-anonymity chapter on a setting and summarise what each did.

:func:`attack_all` runs L-BFGS, DeepFool, C&W and the K-anonymity attack on a
:class:`~.stages.Setting` (on its model's device; results back on the CPU); :func:`summary_table`
gives per attack the paper's Table 1 columns and the rank pmf; :func:`pmf_frame` lays the pmfs side
by side. Used by ``notebooks/09_k_anonymity.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ... import device as devices
from ...attacks import cw as cw_mod
from ...attacks import deepfool as df_mod
from ...attacks import k_anonymity as ka_mod
from ...attacks import lbfgs as lb_mod
from ...attacks.base import X_LAST, AttackResult
from ...metrics import ranking, ssim
from ...progress import progress
from .stages import Setting


def on_cpu(r: AttackResult) -> AttackResult:
    """An attack's result with every tensor (also those in ``info``) moved to the CPU."""
    info = {k: v.cpu() if isinstance(v, Tensor) else v for k, v in r.info.items()}
    return replace(r, x_adv=r.x_adv.cpu(), success=r.success.cpu(), info=info)


def attack_all(s: Setting, Ks: Sequence[int], seed: int) -> Setting:
    """Run L-BFGS, DeepFool, C&W and the K-anonymity attack (each K of ``Ks``, plus K=1 without
    CW-SSIM) with the setting's budget, on the device of its model; the results come back to the
    CPU. K values with K + 1 > number of classes are skipped. ``seed`` draws the K-anonymity groups.
    """
    b, m = s.budget, s.model
    dev = devices.of(m)
    x, y = s.x.to(dev), s.y.to(dev)
    with torch.no_grad():
        runner_up = ranking.runner_up(m(x), y)
    g = torch.Generator().manual_seed(seed)
    cw_l2 = partial(cw_mod.cw_l2, lr=b.cw_lr)
    jobs: dict[str, Callable[[], AttackResult]] = {
        "L-BFGS": lambda: lb_mod.lbfgs(
            m, x, runner_up, targeted=True, search_steps=b.lbfgs_search, iters=b.lbfgs_iters
        ),
        "DeepFool": lambda: df_mod.deepfool(m, x, y, candidates=b.deepfool_candidates),
        "C&W": lambda: cw_l2(
            m, x, runner_up, targeted=True, binary_steps=b.cw_binary_steps, steps=b.cw_steps
        ),
    }
    for K in Ks:
        if K + 1 > len(s.classes):
            continue
        k = ka_mod.assign_groups(len(x), K, g).to(dev)
        jobs[f"K-anon. K={K}"] = partial(
            ka_mod.k_anonymity, m, x, y, k=k, steps=b.ka_steps, lr=b.ka_lr, similarity=s.cw_similarity
        )
    k1 = torch.full((len(x),), 2, dtype=torch.int64, device=x.device)
    jobs["K-anon. K=1, no CW-SSIM"] = lambda: ka_mod.k_anonymity(
        m, x, y, k=k1, steps=b.ka_steps, lr=b.ka_lr, sim_weight=0.0
    )
    for name, job in progress(jobs.items(), desc=s.name.split(" / ")[0]):
        t0 = time.perf_counter()
        s.results[name] = on_cpu(job())
        s.seconds[name] = time.perf_counter() - t0
    return s


def _similarity(s: Setting, x_adv: Tensor) -> Tensor:
    if s.similarity == "SSIM":
        return ssim.ssim(s.x, x_adv)
    return ssim.ms_ssim(s.x, x_adv, scales=3, win_size=7)


def summary_table(s: Setting) -> pd.DataFrame:
    """Per attack: ASR %, SSIM or MS-SSIM (x100), MSE, rank-2 recovery %, max pmf, success, time,
    the rank pmf, the sample size ``n`` and the per-image MSE and similarity (for paired tests)."""
    rows = []
    for name, r in s.results.items():
        x_last = r.info[X_LAST]  # failed samples count with their last iterate (rank distribution)
        with torch.no_grad():
            scores = s.model(x_last.to(devices.of(s.model))).cpu()
        ranks = ranking.true_label_rank(scores, s.y)
        pmf = ranking.rank_pmf(ranks, scores.shape[1])
        sim, mse = 100 * _similarity(s, x_last).detach(), ranking.mse(s.x, x_last).detach()
        rows.append(
            {
                "attack": name,
                "ASR %": 100 * ranking.attack_success_rate(scores, s.y),
                s.similarity: float(sim.mean()),
                "MSE": float(mse.mean()),
                "L2": float((x_last - s.x).flatten(1).norm(dim=1).mean()),
                "rank-2 recovery %": 100 * ranking.rank2_recovery(scores, s.y),
                "max p(j)": float(pmf.max()),
                "attack success %": 100 * r.rate,
                "seconds": s.seconds.get(name, float("nan")),
                "pmf": pmf.numpy(),
                "n": len(s.y),
                "MSE per image": mse.numpy(),
                f"{s.similarity} per image": sim.numpy(),
            }
        )
    return pd.DataFrame(rows).set_index("attack")


def pmf_frame(tables: Mapping[str, pd.DataFrame], ranks: int = 10) -> pd.DataFrame:
    """The rank pmfs of every (setting, attack) for ranks 1..``ranks``, the rest summed in ``>ranks``.

    The face setting has more classes (identities) than ranks shown; the digit settings have 10.
    """
    rows = {}
    for name, t in tables.items():
        for a in t.index:
            pmf = np.asarray(t.loc[a, "pmf"], dtype=float)
            rows[(name, a)] = [*pmf[:ranks], *([0.0] * (ranks - len(pmf))), pmf[ranks:].sum()]
    return pd.DataFrame(rows, index=[*range(1, ranks + 1), f">{ranks}"]).T
