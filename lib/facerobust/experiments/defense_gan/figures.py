"""Figures and the timing experiment of the Defense-GAN chapter: WGAN-GP training curves,
reconstruction galleries (Figs. 5.6/5.7), ROC curves (Figs. 5.4/5.5), accuracy vs L and R
(Fig. 5.3) and reconstruction time vs L and R on this CPU beside Table 5.13 (TITAN X).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from ...defenses.defense_gan import DefenseGAN, ProjectionPath
from .blackbox_exp import BlackBoxRun, roc

# Table 5.13 of the dissertation: seconds per image on one GTX TITAN X (rows R, columns L).
TABLE_5_13 = pd.DataFrame(
    [[0.043, 0.070, 0.137, 0.273, 0.543], [0.042, 0.067, 0.131, 0.261, 0.510],
     [0.043, 0.070, 0.136, 0.270, 0.535], [0.051, 0.086, 0.170, 0.338, 0.675],
     [0.060, 0.105, 0.209, 0.414, 0.825]],
    index=pd.Index([1, 2, 5, 10, 20], name="R"), columns=pd.Index([10, 25, 50, 100, 200], name="L"))


def gan_training_figure(histories: dict[str, dict[str, list[float]]]) -> Figure:
    """The critic's Wasserstein estimate (left) and gradient penalty (right) against the generator
    step, one line per dataset; ``histories`` maps a dataset to its ``train_generator`` history."""
    fig, (ax_w, ax_g) = plt.subplots(1, 2, figsize=(8, 2.8))
    for name, h in histories.items():
        ax_w.plot(h["iter"], h["wdist"], label=name)
        ax_g.plot(h["iter"], h["gp"], label=name)
    ax_w.set(xlabel="generator step", ylabel="Wasserstein estimate")
    ax_g.set(xlabel="generator step", ylabel="gradient penalty", yscale="log")
    ax_w.legend(fontsize=8)
    fig.tight_layout()
    return fig


def late_drop(history: dict[str, list[float]], window: int = 3) -> float:
    """How much the critic's Wasserstein estimate fell over the last quarter of training: mean of
    the ``window`` records around 3/4 of the run minus the mean of the last ``window``. Clearly
    positive means the generator was still improving when training stopped; NaN when the run is
    too short to tell. (Kept here, not in ``gan_training``, whose source keys the GAN cache.)"""
    w = history.get("wdist", [])
    if len(w) < 4 * window:
        return float("nan")
    q = (3 * len(w)) // 4
    before = sum(w[q - window // 2: q - window // 2 + window]) / window
    return before - sum(w[-window:]) / window


def training_state(history: dict[str, list[float]], threshold: float = 0.1) -> str:
    """A phrase for the chapter's text: was the Wasserstein estimate still falling at the end?"""
    drop = late_drop(history)
    if math.isnan(drop):
        return "too short a run to tell"
    if drop > threshold:
        return "still falling: the generator was still improving when training stopped"
    return "levelling off"


def _rec_getter(p: ProjectionPath, L: int, R: int) -> Callable[[int], torch.Tensor]:
    rec = p.best(L, R).x_rec
    return lambda i: rec[i]


def gallery(r: BlackBoxRun, sub: str, n: int = 4, L_for_R: int = 25) -> Figure:
    """Fig. 5.6: per image, original, black-box FGSM image, reconstructions of the adversarial
    image for each L (R = 1) and for each R (L = ``L_for_R``)."""
    p = r.adv_path[sub]
    Ls = [L for L in p.steps if L > 0]
    Rs = [R for R in (1, 2, 5, 10, 20) if R <= p.mse.shape[1]]
    cols = [("original", lambda i: r.bundle.x_test[i]), ("FGSM", lambda i: r.adv[sub][i])]
    cols += [(f"L={L}, R=1", _rec_getter(p, L, 1)) for L in Ls]
    if L_for_R in p.steps:
        cols += [(f"L={L_for_R}, R={R}", _rec_getter(p, L_for_R, R)) for R in Rs]
    fig, axes = plt.subplots(n, len(cols), figsize=(0.9 * len(cols), 0.95 * n + 0.4), squeeze=False)
    for j, (title, get) in enumerate(cols):
        for i in range(n):
            ax = axes[i, j]
            ax.imshow(get(i)[0].numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=7)
    fig.tight_layout(pad=0.2)
    return fig


def roc_figure(r: BlackBoxRun, sub: str, L_for_R: int, eps_curves: dict[float, Any]) -> Figure:
    """Figs. 5.4/5.5: ROC of the reconstruction-MSE detector for several L, R and eps."""
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.3), sharey=True)
    Rmax = r.clean.mse.shape[1]
    for L in (s for s in r.clean.steps if s > 0):
        fpr, tpr, auc = roc(r.clean.best(L, Rmax).mse, r.adv_path[sub].best(L, Rmax).mse)
        axes[0].plot(fpr, tpr, label=f"L={L} (AUC {auc:.2f})")
    for R in (R for R in (1, 2, 5, 10, 20) if R <= Rmax):
        fpr, tpr, auc = roc(r.clean.best(L_for_R, R).mse, r.adv_path[sub].best(L_for_R, R).mse)
        axes[1].plot(fpr, tpr, label=f"R={R} (AUC {auc:.2f})")
    for eps, c in eps_curves.items():
        axes[2].plot(*c["roc"], label=f"eps={eps}")
    titles = [f"vary L (R={Rmax})", f"vary R (L={L_for_R})", "vary eps"]
    for ax, t in zip(axes, titles, strict=True):
        ax.plot([0, 1], [0, 1], ":", color="grey")
        ax.set_title(t), ax.set_xlabel("false positive rate"), ax.legend(fontsize=7)
    axes[0].set_ylabel("true positive rate")
    fig.tight_layout()
    return fig


def eps_gallery(eps_curves: dict[float, Any]) -> Figure:
    """Fig. 5.7: per eps, the black-box FGSM images (top) and their reconstructions (bottom)."""
    eps_list = list(eps_curves)
    k = len(eps_curves[eps_list[0]]["x"])
    fig, axes = plt.subplots(2 * len(eps_list) + 1, k, figsize=(0.9 * k, 0.9 * (2 * len(eps_list) + 1)),
                             squeeze=False)
    rows = [("original", eps_curves[eps_list[0]]["x"])]
    for eps in eps_list:
        rows += [(f"FGSM {eps}", eps_curves[eps]["adv"]), (f"rec. {eps}", eps_curves[eps]["rec"])]
    for i, (name, imgs) in enumerate(rows):
        for j in range(k):
            axes[i, j].imshow(imgs[j, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[i, 0].set_ylabel(name, fontsize=6, rotation=0, ha="right", va="center")
    fig.tight_layout(pad=0.2)
    return fig


def sweep_figure(by_L: pd.DataFrame, by_R: pd.DataFrame) -> Figure:
    """Fig. 5.3: accuracy vs L (left) and vs R (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.3), sharey=True)
    by_L.plot(ax=axes[0], marker="o", logx=True)
    by_R.plot(ax=axes[1], marker="o", logx=True, legend=False)
    axes[0].set_ylabel("accuracy")
    fig.tight_layout()
    return fig


def time_projection(G: nn.Module, x: torch.Tensor, Ls: list[int], Rs: list[int],
                    repeats: int = 1) -> pd.DataFrame:
    """Seconds per image to project the batch ``x`` (all restarts in one tensor), rows R, columns L."""
    out = pd.DataFrame(index=pd.Index(Rs, name="R"), columns=pd.Index(Ls, name="L"), dtype=float)
    for R in Rs:
        for L in Ls:
            d = DefenseGAN(G, L=L, R=R, chunk=len(x))
            best = np.inf
            for _ in range(repeats):
                t0 = time.perf_counter()
                d.project(x)
                best = min(best, time.perf_counter() - t0)
            out.loc[R, L] = best / len(x)
    return out


def timing_figure(ours: pd.DataFrame) -> Figure:
    """Time per image vs L for each R: this CPU (solid) beside the dissertation's TITAN X (dashed)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, R in enumerate(ours.index):
        c = colors[k % len(colors)]
        ax.plot(ours.columns, ours.loc[R], "o-", color=c, label=f"CPU, R={R}")
        if R in TABLE_5_13.index:
            ax.plot(TABLE_5_13.columns, TABLE_5_13.loc[R], "x--", color=c, alpha=0.6, label=f"TITAN X, R={R}")
    ax.set_xlabel("L (GD steps)"), ax.set_ylabel("seconds per image")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
