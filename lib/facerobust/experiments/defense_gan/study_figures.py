"""Figures of the Defense-GAN chapter's range study and budget study (issue 20); its by-hand batch is
drawn by :func:`facerobust.experiments.figures_by_hand.by_hand_figure` (titles: :func:`decisions`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from torch import Tensor

ATTACKS = ("white-box FGSM", "FGSM on classifier", "black-box FGSM")


def budget_figure(df: pd.DataFrame, target: float = 0.90) -> Figure:
    """Defense-GAN-Rec against generator training iterations, one panel per attack and one line per
    eps, and the closer-adversarial-point rate beside them (``df`` from :func:`range_study.frame`)."""
    d = df.assign(iters=df["setting"].astype(int))
    fig, axes = plt.subplots(1, 4, figsize=(12, 3), sharex=True)
    for ax, attack in zip(axes[:3], ATTACKS, strict=True):
        for eps, g in d[d.attack == attack].groupby("eps"):
            ax.plot(g["iters"], g["rec"], marker="o", label=f"eps {eps:g}")
        ax.axhline(target, ls="--", lw=0.8, color="grey")
        ax.set_title(attack, fontsize=9), ax.set_ylim(0, 1), ax.set_xscale("log")
        ax.set_xlabel("generator iterations")
    axes[0].set_ylabel("Defense-GAN-Rec accuracy")
    axes[0].legend(fontsize=7)
    for attack, g in d[d.eps == d.eps.max()].groupby("attack"):
        axes[3].plot(g["iters"], g["closer rate"], marker="o", label=str(attack))
    axes[3].set_title(f"closer-point rate (eps {d.eps.max():g})", fontsize=9)
    axes[3].set_ylim(-0.02, 1.02), axes[3].set_xlabel("generator iterations")
    axes[3].legend(fontsize=6, loc="lower right")
    snaps = sorted(d["iters"].unique())
    for ax in axes:  # the snapshots themselves as ticks, in plain numbers (no 3x10^2 minor labels)
        ax.set_xticks(snaps, [f"{s:,}" for s in snaps])
        ax.xaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    return fig


def screen_figure(df: pd.DataFrame) -> Figure:
    """Range study: closer-point rate and accuracy on the reconstructions (Orig, and Rec when
    measured) per projection setting, one group of bars per eps."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharey=True)
    for ax, col in zip(axes, ("closer rate", "orig"), strict=True):
        piv = df.pivot_table(index="setting", columns="eps", values=col, sort=False)
        piv.plot.barh(ax=ax, width=0.8)
        ax.set_xlim(0, 1), ax.set_xlabel(col if col == "closer rate" else "classifier A on reconstructions")
        ax.legend(title="eps", fontsize=7)
    fig.tight_layout()
    return fig


def decisions(model: torch.nn.Module, x: Tensor) -> list[str]:
    """The model's decision on each image, as the titles of a by-hand figure row
    (:class:`facerobust.experiments.figures_by_hand.Row`)."""
    with torch.no_grad():
        return [str(c) for c in model(x).argmax(1).tolist()]
