"""Helpers of the "one batch by hand" sections of chapters 00-03, beside the one by-hand figure
(:func:`facerobust.experiments.figures_by_hand.by_hand_figure`): the magnification that shows a
perturbation of a few grey levels about grey without clipping, the titles of a line-search attack
(score before and after, step weight, PASS), and the score heatmap of a batch of attribute
networks (chapter 01).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from ..validation import check_batch
from .figures_by_hand import draw_image


def magnification(delta: Tensor, cap: float = 256.0) -> float:
    """The largest power of two ``k <= cap`` with ``k * max|delta| <= 0.5`` (1 for no change), so
    that ``0.5 + k * delta`` fills the grey range without clipping."""
    peak = float(delta.detach().abs().max())
    if not math.isfinite(peak):
        raise ValueError("delta contains NaN or infinite values")
    if peak == 0.0:
        return 1.0
    return float(min(cap, max(1.0, 2.0 ** math.floor(math.log2(0.5 / peak)))))


def flip_titles(
    before: Tensor, after: Tensor, flipped: Tensor, weight: Tensor, pass_: Tensor
) -> tuple[str, ...]:
    """One title per image of a line-search attack (chapters 02-03): the score ``f`` before and
    after, and for a flipped image the step weight (grey levels) and its PASS; all (N,)."""
    vals = [t.detach().cpu().flatten() for t in (before, after, flipped, weight, pass_)]
    if len({len(v) for v in vals}) != 1:
        lengths = [len(v) for v in vals]
        raise ValueError(f"before, after, flipped, weight and pass_ must have one length, got {lengths}")
    return tuple(f"f {float(b):+.2f} -> {float(a):+.2f}\n" + (f"w {float(w):.0f}, PASS {float(p):.2f}"
                                                             if bool(f) else "no flip")
                 for b, a, f, w, p in zip(*vals, strict=True))


def score_figure(
    x: Tensor, scores: Tensor, labels: Tensor, names: Sequence[str], clip: float = 2.0
) -> Figure:
    """A batch (N, C, H, W) above a heatmap of its scores ``f`` (N, A), one row per attribute
    (red = present, blue = absent, values written); a black frame marks a decision ``sign f``
    that disagrees with ``labels`` (N, A) in {-1, +1}."""
    check_batch(x, name="x", dtype=None)
    n, a = len(x), len(names)
    if tuple(scores.shape) != (n, a) or tuple(labels.shape) != (n, a):
        raise ValueError(f"scores and labels must be ({n}, {a}), "
                         f"got {tuple(scores.shape)} and {tuple(labels.shape)}")
    s = scores.detach().cpu().double()
    if not bool(torch.isfinite(s).all()):
        raise ValueError("scores contain NaN or infinite values")
    fig = plt.figure(figsize=(1.6 + 0.8 * n, 0.95 + 0.32 * a))
    grid = fig.add_gridspec(2, n, height_ratios=[0.8, 0.32 * a], hspace=0.05, wspace=0.05)
    for j in range(n):
        draw_image(fig.add_subplot(grid[0, j]), x[j].permute(1, 2, 0))
    ax = fig.add_subplot(grid[1, :])
    ax.imshow(s.T.numpy(), cmap="RdBu_r", vmin=-clip, vmax=clip, aspect="auto")
    wrong = torch.where(s > 0, 1, -1) != labels.detach().cpu()
    for j, i in np.ndindex(n, a):
        ax.text(j, i, f"{float(s[j, i]):.2f}", ha="center", va="center", fontsize=7)
        if wrong[j, i]:
            ax.add_patch(plt.Rectangle((j - 0.48, i - 0.48), 0.96, 0.96, fill=False, lw=1.5, ec="black"))
    ax.set_yticks(range(a), list(names), fontsize=8)
    ax.set_xticks([])
    ax.grid(False)
    fig.subplots_adjust(left=1.4 / (1.6 + 0.8 * n), right=0.99, top=0.99, bottom=0.02)
    return fig


__all__ = ["flip_titles", "magnification", "score_figure"]
