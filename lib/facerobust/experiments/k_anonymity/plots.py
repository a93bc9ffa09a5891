"""Figures of the K-anonymity chapter: the rank pmfs (the paper's Fig. 1) and a perturbation gallery
(its Fig. 2), for the digit settings and the face-identification setting. Used by
``notebooks/09_k_anonymity.py``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .attacked import pmf_frame
from .stages import Setting

SHOWN = ["L-BFGS", "DeepFool", "C&W", "K-anon. K=1", "K-anon. K=5", "K-anon. K=9"]


def pmf_figure(tables: dict[str, pd.DataFrame], ranks: int = 10) -> Figure:
    """Bars of P(rank of true label = j) for j = 1..``ranks``, one row per setting, one column per
    attack, 1/K lines. Settings with more classes (the face identities) are cut at ``ranks``; the
    mass beyond is printed in the panel when there is any."""
    names = list(tables)
    cols = [a for a in SHOWN if all(a in t.index for t in tables.values())]
    frame = pmf_frame(tables, ranks)
    fig, axes = plt.subplots(
        len(names),
        len(cols),
        figsize=(2.0 * len(cols), 1.9 * len(names) + 0.4),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for i, name in enumerate(names):
        for j, a in enumerate(cols):
            ax = axes[i, j]
            row = frame.loc[(name, a)]
            pmf, rest = row.iloc[:ranks].to_numpy(dtype=float), float(row[f">{ranks}"])
            ax.bar(np.arange(1, ranks + 1), pmf, color="C0" if a.startswith("K-anon") else "C7")
            if rest > 0:
                ax.text(0.97, 0.95, f">{ranks}: {rest:.2f}", transform=ax.transAxes, ha="right", va="top",
                        fontsize="x-small")
            for K, ls in ((5, "--"), (9, ":")):
                ax.axhline(1 / K, color="C3", ls=ls, lw=1, label=f"1/{K}")
            ax.set_xticks(range(1, ranks + 1, 2))
            if i == 0:
                ax.set_title(a, fontsize="small")
            if j == 0:
                ax.set_ylabel(f"{name.split(' / ')[0]}\nP(rank = j)", fontsize="small")
            if i == len(names) - 1:
                ax.set_xlabel("rank j")
    axes[0, -1].legend(fontsize="x-small", loc="upper right")
    fig.tight_layout()
    return fig


def gallery(s: Setting, n: int = 3, factor: float = 10.0) -> Figure:
    """Original images and each attack's perturbation x ``factor`` (grey = no change)."""
    cols = [a for a in SHOWN if a in s.results]
    fig, axes = plt.subplots(n, len(cols) + 1, figsize=(1.3 * (len(cols) + 1), 1.4 * n + 0.3), squeeze=False)
    for i in range(n):
        img = s.x[i].permute(1, 2, 0).squeeze(-1).numpy()
        axes[i, 0].imshow(img, vmin=0, vmax=1, cmap="gray")
        for j, a in enumerate(cols, 1):
            d = (s.results[a].info["x_last"][i] - s.x[i]).permute(1, 2, 0).squeeze(-1).numpy()
            axes[i, j].imshow(np.clip(0.5 + factor * d, 0, 1), vmin=0, vmax=1, cmap="gray")
    for j, a in enumerate(["original"] + cols):
        axes[0, j].set_title(a.replace("K-anon. ", ""), fontsize="small")
    for ax in axes.flat:
        ax.set_axis_off()
    fig.tight_layout()
    return fig
