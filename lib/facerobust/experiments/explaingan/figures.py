"""Figures of the ExplainGAN chapter: Fig. 4.3/4.4-style grids and the kappa sweep."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from torch import Tensor

from ...metrics.aospc import normalise
from . import zoo
from .printed import METHOD_NAMES


def grid(trained: zoo.Trained, x: Tensor, j: int, maps: dict[str, Tensor], title: str) -> Figure:
    """Rows: images of black-box class j. Columns: input, transformation G_{1-j}(z_j), mask
    G_m(z_j), composite C_{1-j}, then each baseline's map (positive part, scaled to [0, 1])."""
    e = trained.explain(x, j)
    cols = [("input", x), ("transformed", e.transformed), ("mask", e.mask), ("composite", e.composite)]
    cols += [(METHOD_NAMES[m], v) for m, v in maps.items() if m != "explaingan"]
    n = len(x)
    fig, axes = plt.subplots(n, len(cols), figsize=(1.0 * len(cols), 1.05 * n), squeeze=False)
    for c, (name, imgs) in enumerate(cols):
        is_map = c >= 4 or name == "mask"
        for r in range(n):
            ax = axes[r, c]
            im = imgs[r, 0].detach().numpy()
            ax.imshow(normalise(im) if c >= 4 else im, cmap="magma" if is_map else "gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        axes[0, c].set_title(name, fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(pad=0.2, rect=(0, 0, 1, 0.93))
    return fig


def kappa_sweep(frame: pd.DataFrame) -> Figure:
    """Mean mask area and composite flip rate against kappa (one point per kappa)."""
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    ax.errorbar(frame.kappa, frame.area, yerr=frame.area_sd, marker="o", label="mask area (mean, sd)")
    ax.plot(frame.kappa, frame.flip, marker="s", label="composite flip rate")
    lim = [0, max(float(frame.kappa.max()), float(frame.area.max())) * 1.1]
    ax.plot(lim, lim, color="grey", lw=0.8, ls="--", label="area = kappa")
    ax.set_xlabel("kappa")
    ax.set_ylabel("fraction")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def aospc_bars(frame: pd.DataFrame) -> Figure:
    """AOSPC per method and threshold, one panel per score kind (logit, probability)."""
    g = sns.catplot(data=frame, x="t", y="AOSPC", hue="method", col="f", kind="bar", sharey=False,
                    height=2.8, aspect=1.2)
    return g.figure


def history(meta: dict, keys: tuple[str, ...] = ("classifier", "recon", "prior", "d")) -> Figure:
    """Loss terms of one ExplainGAN run against the step."""
    h = meta["history"]
    fig, ax = plt.subplots(figsize=(5.0, 2.8))
    for k in keys:
        if k in h:
            ax.plot(h["step"], np.asarray(h[k]), label=k)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
