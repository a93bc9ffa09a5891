"""Chapter 8 (AdvHat): figures (geometry, stickered views, stickers, loss curves, sweeps)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.figure import Figure
from torch import Tensor

from ...attacks import advhat
from ...attacks.advhat.eot import HALF_WIDTHS
from .evaluate import views
from .setup import DST, SRC, Context

LABELS = {"phi": "pitch phi (deg)", "a": "parabola rate a", "s1": "sticker scale s1",
          "y1": "vertical shift y1 (px)"}


def _img(ax: plt.Axes, x: Tensor, title: str = "") -> None:
    ax.imshow(x.detach().clamp(0, 1).permute(1, 2, 0).numpy())
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def checkerboard(h: int, w: int, cells: int = 6, device: torch.device | str = "cpu") -> Tensor:
    """A coloured test pattern that makes the bending and pitch visible."""
    yy, xx = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    c = ((yy * cells // h + xx * cells * w // h // w) % 2).float()
    return torch.stack([c, 0.3 + 0.4 * xx / w, 1 - c * 0.8])


def pipeline(ctx: Context, face_id: str) -> Figure:
    """Steps A-D on a test pattern: the sticker, the arched canvas, the working chip, the descriptor chip."""
    h, w = ctx.config.sticker_hw
    s = checkerboard(h, w, device=ctx.faces.x.device)
    p = advhat.Placement.default(1)
    canvas = advhat.bend_and_pitch(s, p.a, p.phi)[0]
    work = advhat.composite(ctx.face(face_id), advhat.sticker_layer(s, p, SRC))[0]
    chip = advhat.render(ctx.face(face_id), s, p, SRC, DST)[0]
    fig, axes = plt.subplots(1, 4, figsize=(9, 2.6), gridspec_kw={"width_ratios": [2.2, 1, 1, 1]})
    _img(axes[0], s, f"sticker {h}x{w}")
    _img(axes[1], canvas[:3] * canvas[3:] + (1 - canvas[3:]), "bent + pitched (canvas)")
    _img(axes[2], work, f"working chip ({SRC.size} px)")
    _img(axes[3], chip, f"descriptor input ({DST.size} px)")
    axes[3].axhline(DST.eye_line, color="y", lw=0.8, ls="--")
    fig.tight_layout()
    return fig


def stickered_views(ctx: Context, face_id: str, sticker: Tensor, p: advhat.Placement,
                    cos: np.ndarray) -> Figure:
    """The descriptor's input under several random placements, with the cosine to the anchor."""
    x = views(ctx, face_id, sticker, p)
    fig, axes = plt.subplots(1, len(x), figsize=(1.5 * len(x), 1.9))
    for ax, xi, c in zip(np.atleast_1d(axes), x, cos, strict=False):
        _img(ax, xi, f"cos {c:.3f}")
    fig.tight_layout()
    return fig


def stickers(items: Mapping[str, Tensor], ncols: int = 3) -> Figure:
    n = len(items)
    rows = -(-n // ncols)
    fig, axes = plt.subplots(rows, ncols, figsize=(3 * ncols, 1.5 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, s) in zip(axes.flat, items.items(), strict=False):
        _img(ax, s, name)
    fig.tight_layout()
    return fig


def faces_fixed_view(ctx: Context, items: Mapping[str, Tensor]) -> Figure:
    """Each attacked face at the fixed view with its own adversarial sticker."""
    fig, axes = plt.subplots(1, len(items), figsize=(1.6 * len(items), 1.9), squeeze=False)
    for ax, (f, s) in zip(axes[0], items.items(), strict=True):
        _img(ax, views(ctx, f, s, advhat.Placement.default(1))[0], f)
    fig.tight_layout()
    return fig


def losses(runs: Mapping[str, advhat.AdvHatRun]) -> Figure:
    """Validation cosine per step; a marker where stage 2 starts."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name, r in runs.items():
        line, = ax.plot(r.losses, lw=1, label=name)
        for st in r.stages[:-1]:
            ax.axvline(st["end"], color=line.get_color(), lw=0.6, ls=":")
    ax.set(xlabel="step", ylabel="cosine to anchor (fixed view)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def heldout(summary: pd.DataFrame) -> Figure:
    t = summary[["grey", "noise", "adversarial"]].reset_index().melt(id_vars="face", var_name="sticker",
                                                                      value_name="mean held-out cosine")
    fig, ax = plt.subplots(figsize=(7, 3))
    sns.pointplot(t, x="face", y="mean held-out cosine", hue="sticker", linestyle="none", ax=ax, dodge=0.3)
    fig.tight_layout()
    return fig


def robustness(rob: pd.DataFrame) -> Figure:
    params = list(dict.fromkeys(rob.parameter))
    fig, axes = plt.subplots(1, len(params), figsize=(9, 2.8), sharey=True)
    centre = advhat.Placement.default(1)
    for ax, name in zip(np.atleast_1d(axes), params, strict=True):
        d = rob[rob.parameter == name]
        sns.lineplot(d, x="value", y="cosine", hue="sticker", ax=ax, errorbar=None, legend=ax is axes[0],
                     marker="o", markersize=3)
        c = float(getattr(centre, name)[0])
        ax.axvspan(c - HALF_WIDTHS[name], c + HALF_WIDTHS[name], color="grey", alpha=0.2, lw=0)
        ax.set_xlabel(LABELS.get(name, name), fontsize=8)
    fig.tight_layout()
    return fig
