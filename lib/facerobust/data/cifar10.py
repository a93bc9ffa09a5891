"""CIFAR-10 from a user-given folder holding the official "python version" batches.

The official files (``data_batch_1`` ... ``data_batch_5``, ``test_batch``, ``batches.meta``)
are Python pickles. The book never unpickles anything it fetched, and a pickle can run
arbitrary code when loaded, so these user-given files are read with a *restricted*
unpickler: it resolves no global at all except numpy's array reconstruction helpers, so a
file that tries to call anything else (``os.system``, ``builtins.eval``, ...) is refused
with an :class:`pickle.UnpicklingError` before any of it runs. Plain containers, strings,
bytes and numbers need no globals. The batches are read with ``encoding="bytes"`` as
CIFAR's own loader does (the files were written by Python 2).

Used by the ``full`` profile of the K-anonymity chapter (the paper's CIFAR-10 experiments);
the default profile substitutes MNIST-5k and Fashion-MNIST, since CIFAR-10 is in no registry.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .types import ImageSet

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)

# The only globals a CIFAR batch needs: numpy's array/dtype reconstruction, and
# ``_codecs.encode`` (a pure function) with which protocol-2 pickles written by Python 3 store bytes.
_ALLOWED = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused global {module}.{name} in a CIFAR-10 batch")


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One official batch file -> images (N, 3, 32, 32) uint8 and labels (N,) int64."""
    if not path.exists():
        raise FileNotFoundError(f"CIFAR-10: {path} is missing (expected the official python-version batches)")
    obj = _RestrictedUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    if not isinstance(obj, dict):
        raise ValueError(f"{path.name}: not a CIFAR-10 batch (a dict), got {type(obj).__name__}")
    d = {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}
    if "data" not in d or "labels" not in d:
        raise ValueError(f"{path.name}: a CIFAR-10 batch needs 'data' and 'labels', has {sorted(d)}")
    data = np.asarray(d["data"], dtype=np.uint8)
    labels = np.asarray(d["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise ValueError(
            f"{path.name}: data must be (N, 3072) with N labels, got {data.shape}, {labels.shape}")
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise ValueError(f"{path.name}: labels must be 0..9")
    return data.reshape(-1, 3, 32, 32), labels


def cifar10(root: str | Path, split: str = "train") -> ImageSet:
    """CIFAR-10 (50 000 train / 10 000 test, 3x32x32 in [0, 1]) from the official batches in ``root``."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"CIFAR-10 root {root} does not exist")
    parts = [read_batch(root / f) for f in (TRAIN_FILES if split == "train" else TEST_FILES)]
    x = torch.from_numpy(np.concatenate([p[0] for p in parts])).float().div_(255.0)
    y = torch.from_numpy(np.concatenate([p[1] for p in parts]))
    return ImageSet(x.contiguous(), y, CLASSES, f"cifar10-{split}")
