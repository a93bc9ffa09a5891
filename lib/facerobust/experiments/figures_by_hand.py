"""The figure of a chapter's "One batch by hand" section: input, perturbation, output, decision.

One column per image, one row per stage (:class:`Row`). A row is a batch ``(N, C, H, W)`` with
``C`` = 1 (grey) or 3 (RGB) in [0, 1]; a *perturbation* row (``amplify`` set) holds differences in
[-1, 1] and is drawn as ``0.5 + amplify * delta`` clipped to [0, 1], so grey means no change, and
its label states the factor. The titles above the images carry the model's decision.
Used by the "One batch by hand" sections of chapters 0, 2, 3 and 7-9.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor


@dataclass(frozen=True)
class Row:
    """One row of the figure: a ``name``, the ``images`` (N, C, H, W), optional per-image ``titles``
    (the decision) and, for a perturbation, the display factor ``amplify`` (> 0)."""

    name: str
    images: Tensor
    titles: Sequence[str] | None = None
    amplify: float | None = None

    @property
    def label(self) -> str:
        return self.name if self.amplify is None else f"{self.name}\n(x{self.amplify:g}, grey = 0)"

    def shown(self) -> Tensor:
        """The images as drawn: (N, H, W, C) in [0, 1] (perturbations amplified around grey)."""
        x = self.images.detach().float().cpu()
        if self.amplify is not None:
            x = 0.5 + self.amplify * x
        return x.clamp(0, 1).permute(0, 2, 3, 1)


def _check(rows: Sequence[Row]) -> int:
    if not rows:
        raise ValueError("rows: need at least one row")
    n = None
    for r in rows:
        x = r.images
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] not in (1, 3) or not x.is_floating_point():
            raise ValueError(f"row {r.name!r}: images must be a float tensor (N, 1 or 3, H, W)")
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"row {r.name!r}: images contain NaN or infinite values")
        if n is not None and len(x) != n:
            raise ValueError(f"row {r.name!r}: {len(x)} images, the first row has {n}")
        n = len(x)
        if r.titles is not None and len(r.titles) != n:
            raise ValueError(f"row {r.name!r}: {len(r.titles)} titles for {n} images")
        if r.amplify is not None and not (math.isfinite(r.amplify) and r.amplify > 0):
            raise ValueError(f"row {r.name!r}: amplify must be a finite number > 0, got {r.amplify}")
    assert n is not None
    if n == 0:
        raise ValueError("rows: empty batch (N = 0)")
    return n


def ranking_titles(scores: Tensor, y: Tensor, top: int = 6) -> list[str]:
    """Each row's ``top`` best labels, best first, the true label in brackets: ``"4 2 [0] 9"``.

    Args: ``scores`` (N, C) finite, ``y`` (N,) int64 in [0, C), ``top`` >= 1 (capped at C).

    Example::

        ranking_titles(model(x), y, top=4)   # e.g. ["[7] 1 9 4", ...]
    """
    if not isinstance(scores, Tensor) or scores.ndim != 2 or not bool(torch.isfinite(scores).all()):
        raise ValueError("scores must be a finite (N, C) tensor")
    if not isinstance(y, Tensor) or y.shape != (len(scores),) or y.dtype != torch.int64:
        raise ValueError(f"y must be an int64 tensor of shape ({len(scores)},)")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= scores.shape[1]):
        raise ValueError(f"y must lie in [0, {scores.shape[1]})")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be an integer >= 1, got {top!r}")
    order = scores.detach().argsort(1, descending=True)[:, :top]
    pairs = zip(order.tolist(), y.tolist(), strict=True)
    return [" ".join(f"[{c}]" if c == t else str(c) for c in row) for row, t in pairs]


def draw_image(ax: Axes, img: Tensor) -> None:
    """One image (H, W, C), C = 1 (grey) or 3 (RGB), values in [0, 1], without ticks or grid."""
    arr = img.detach().cpu().float()
    ax.imshow(arr.squeeze(-1).numpy() if arr.shape[-1] == 1 else arr.numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([])
    ax.grid(False)


def by_hand_figure(rows: Sequence[Row], size: float = 1.3) -> Figure:
    """Draw the rows as a grid, ``size`` inches per image; returns the figure.

    Example::

        by_hand_figure([Row("input", x, ["7", "2"]), Row("perturbation", x_adv - x, amplify=5),
                        Row("attacked", x_adv, ["1", "8"])])
    """
    n = _check(rows)
    if not (math.isfinite(size) and size > 0):
        raise ValueError(f"size must be a finite number > 0, got {size}")
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n + 0.6, (size + 0.25) * len(rows)), squeeze=False)
    for i, r in enumerate(rows):
        imgs = r.shown()
        for j in range(n):
            ax = axes[i, j]
            draw_image(ax, imgs[j])
            if r.titles is not None:
                ax.set_title(r.titles[j], fontsize=7)
        axes[i, 0].set_ylabel(r.label, fontsize=7)
    fig.tight_layout()
    return fig
