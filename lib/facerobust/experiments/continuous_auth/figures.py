"""Chapter 04's figures: component crops on a real face, the capture sessions, ROC curves per
protocol, and the SSC clusters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...data import face_parts
from .part_b import SSCResult
from .protocols import Evaluation
from .videos import FaceVideos


def parts_figure(chip: np.ndarray, boxes: dict[str, tuple[int, int, int, int]]) -> Any:
    """The aligned chip with the nine component boxes, and each component crop as resized."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    crops = face_parts.crop_parts(chip, boxes)
    fig = plt.figure(figsize=(9.0, 3.6))
    ax = fig.add_axes((0.0, 0.05, 0.33, 0.85))
    ax.imshow(chip)
    colours = plt.cm.tab10(np.linspace(0, 1, 10))
    for (x0, y0, x1, y1), c in zip(boxes.values(), colours, strict=False):
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=c, lw=1.2))
    ax.set_title("aligned chip, component boxes", fontsize=9)
    ax.axis("off")
    for k, (name, im) in enumerate(crops.items()):
        a = fig.add_axes((0.36 + (k % 5) * 0.128, 0.5 - (k // 5) * 0.45, 0.12, 0.38))
        a.imshow(im)
        a.set_title("full face" if name == "full_face" else name.replace("_", "&"), fontsize=8)
        a.axis("off")
    return fig


def sessions_figure(videos: FaceVideos, face_id: str, frame: int = 0) -> Any:
    """One face in every session and take (one frame each)."""
    import matplotlib.pyplot as plt

    rows = videos.meta.index[videos.meta.face_id == face_id].tolist()
    if not rows:
        raise ValueError(f"no videos of face {face_id!r}")
    fig, axes = plt.subplots(1, len(rows), figsize=(1.25 * len(rows), 1.7))
    for ax, r in zip(np.atleast_1d(axes), rows, strict=True):
        ax.imshow(videos.frames[r, frame])
        ax.set_title(f"{videos.meta.session[r]} {videos.meta['take'][r]}", fontsize=8)
        ax.axis("off")
    return fig


def roc_figure(ev: Evaluation, names: Sequence[str], methods: Sequence[str]) -> Any:
    """TAR against FAR of each method, one panel per protocol, the EER in the legend."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names), 2.8), sharey=True)
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        for m in methods:
            r = ev.rocs[(name, m)]
            ax.plot(r.far, r.tar, label=f"{m} ({r.eer:.2f})", lw=1.3)
        ax.plot([0, 1], [1, 0], ls=":", c="grey", lw=0.8)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("false accept rate")
        ax.legend(fontsize=7, loc="lower right", title="EER", title_fontsize=7)
    np.atleast_1d(axes)[0].set_ylabel("true accept rate")
    fig.tight_layout()
    return fig


def ssc_figure(r: SSCResult) -> Any:
    """Left: the SSC affinity |C| + |C|^T with points ordered by their true subspace; right: the
    points projected on two principal axes, coloured by the cluster SSC found."""
    import matplotlib.pyplot as plt

    order = np.argsort(r.truth, kind="stable")
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.0, 3.2))
    im = a.imshow(r.affinity[np.ix_(order, order)], cmap="magma", vmax=np.quantile(r.affinity, 0.99))
    a.set_title("affinity |C|+|C|^T (sorted by true subspace)", fontsize=9)
    fig.colorbar(im, ax=a, fraction=0.046)
    x = r.data - r.data.mean(1, keepdims=True)
    u, _, _ = np.linalg.svd(x, full_matrices=False)
    p = u[:, :2].T @ x
    b.scatter(p[0], p[1], c=r.clusters, cmap="tab10", s=10)
    b.set_title(f"SSC clusters (accuracy {r.accuracy:.2f})", fontsize=9)
    b.set_xticks([])
    b.set_yticks([])
    fig.tight_layout()
    return fig


__all__ = ["parts_figure", "roc_figure", "sessions_figure", "ssc_figure"]
