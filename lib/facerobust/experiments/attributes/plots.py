"""Figures of the Rozsa chapters (seaborn/matplotlib, the book's theme)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from torch import Tensor


def error_bars(err: pd.DataFrame) -> Figure:
    """Fig. 2 analogue: per-attribute test error of both converged losses and Trivial."""
    cols = ["euclidean (converged)", "softmax (converged)", "trivial"]
    long = (
        err[cols].reset_index(names="attribute").melt("attribute", var_name="system", value_name="error (%)")
    )
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    sns.barplot(long, x="attribute", y="error (%)", hue="system", ax=ax)
    ax.tick_params(axis="x", rotation=45)
    plt.setp(ax.get_xticklabels(), ha="right")
    fig.tight_layout()
    return fig


def success_bars(rates: pd.DataFrame, title: str = "") -> Figure:
    """Fig. 3 analogue: FGS+/FGS-/FFA+/FFA- success per attribute (sorted by FGS+)."""
    cols = ["FGS+", "FGS-", "FFA+", "FFA-"]
    long = (
        rates[cols]
        .reset_index(names="attribute")
        .melt("attribute", var_name="type", value_name="success (%)")
    )
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    sns.barplot(
        long,
        x="attribute",
        y="success (%)",
        hue="type",
        ax=ax,
        palette=["#9ecae1", "#3182bd", "#fdae6b", "#e6550d"],
    )
    ax.tick_params(axis="x", rotation=45)
    plt.setp(ax.get_xticklabels(), ha="right")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def heatmaps(left: pd.DataFrame, right: pd.DataFrame) -> Figure:
    """Fig. 4 analogue: two portability heatmaps, rows = tested, columns = source attribute."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.4), sharey=True)
    for ax, m, t in zip(
        axes, (left, right), ("converged -> converged", "two epochs -> converged"), strict=True
    ):
        sns.heatmap(
            m,
            ax=ax,
            vmin=0,
            vmax=100,
            cmap="viridis",
            annot=len(m) <= 12,
            fmt=".0f",
            annot_kws={"size": 7},
            cbar=ax is axes[1],
            cbar_kws={"label": "flipped (%)"},
        )
        ax.set(title=t, xlabel="source attribute", ylabel="tested attribute" if ax is axes[0] else "")
    fig.tight_layout()
    return fig


def gallery(x: Tensor, x_adv: Tensor, captions: list[tuple[str, str]], factor: float = 50.0) -> Figure:
    """Fig. 1 analogue: original | perturbation x factor (grey = no change) | adversarial.
    ``x``, ``x_adv`` (K, C, H, W) in [0, 1]; ``captions``: (left, right) text per row."""
    k = len(x)
    fig, axes = plt.subplots(k, 3, figsize=(5.4, 1.9 * k), squeeze=False)
    for i in range(k):
        delta = np.clip(0.5 + factor * (x_adv[i] - x[i]).permute(1, 2, 0).numpy() / 2, 0, 1)
        imgs = [x[i].permute(1, 2, 0).numpy(), delta, x_adv[i].permute(1, 2, 0).numpy()]
        for j, (ax, im) in enumerate(zip(axes[i], imgs, strict=True)):
            ax.imshow(im.squeeze(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(("original", f"perturbation x{factor:g}", "perturbed")[j], fontsize=9)
        axes[i, 0].set_xlabel(captions[i][0], fontsize=8)
        axes[i, 2].set_xlabel(captions[i][1], fontsize=8)
    fig.tight_layout()
    return fig
