"""Figures of the CRISPR chapter, in the style of the dissertation's Figs. 3.3-3.5."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor


def _show(ax: plt.Axes, img: Tensor, title: str = "", red: bool = False) -> None:
    if img.shape[0] == 3:  # colour (CelebA)
        ax.imshow(img.permute(1, 2, 0).clamp(0, 1).numpy())
    else:
        ax.imshow(img.squeeze(0).numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=8)
    if red:
        for s in ax.spines.values():
            s.set_color("red")
            s.set_linewidth(2)


def image_grid(columns: Sequence[Tensor], titles: Sequence[str], width: float = 7.0) -> Figure:
    """One column per tensor (n, 1, H, W), one row per image: e.g. input, reconstruction, swaps."""
    n, k = len(columns[0]), len(columns)
    fig, axes = plt.subplots(n, k, figsize=(width, width * n / k), squeeze=False)
    for r in range(n):
        for c in range(k):
            _show(axes[r, c], columns[c][r], titles[c] if r == 0 else "")
    fig.tight_layout()
    return fig


def diverse_grid(inputs: Tensor, samples: Tensor, flags: Tensor, width: float = 7.0) -> Figure:
    """Fig. 3.3/3.4 style: the input, then the Diverse Swap samples; red frames mark non-atomic ones."""
    n, k = samples.shape[:2]
    fig, axes = plt.subplots(n, k + 1, figsize=(width, width * n / (k + 1)), squeeze=False)
    for r in range(n):
        _show(axes[r, 0], inputs[r], "input" if r == 0 else "")
        for c in range(k):
            _show(axes[r, c + 1], samples[r, c], f"sample {c + 1}" if r == 0 else "", bool(flags[r, c]))
    fig.tight_layout()
    return fig


def training_curves(history: dict[str, list[float]], window: int = 25) -> Figure:
    """Running means of the three schedule steps' losses."""
    fig, ax = plt.subplots(figsize=(7.0, 3.0))
    for name, vals in history.items():
        v = np.asarray(vals)
        w = max(1, min(window, len(v)))
        ax.plot(np.convolve(v, np.ones(w) / w, mode="valid"), label=name)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (running mean)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
