"""Image sets that do not fit in memory: decoded from disk on access, uint8 until a batch forms.

A :class:`CelebAImages` is a ``torch.utils.data.Dataset`` over image files (decode, optional
bilinear resize, uint8 CHW); a :class:`StreamingAttributeSet` pairs it with the attribute
matrix and offers the same surface as an in-memory :class:`~facerobust.data.types.AttributeSet`
(``x[i:j]``, ``x[idx]``, ``x.shape``, ``a``, ``names``, ``len``). :func:`batches` iterates
either kind in a given order, through a ``DataLoader`` with workers for a streaming set; both
paths give bit-identical float batches (``uint8 / 255``), so a model trained on either is the
same. Used by :mod:`facerobust.data.celeba` and the attribute chapters' training.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from .types import AttributeSet


def decode(path: str, hw: tuple[int, int] | None = None) -> np.ndarray:
    """One image file as uint8 (H, W, 3), resized to ``hw`` = (H, W) if given; a truncated or
    unreadable file is a ``ValueError`` naming it."""
    from PIL import Image

    try:
        with Image.open(path) as src:
            im = src.convert("RGB")
    except FileNotFoundError:
        raise
    except (OSError, SyntaxError) as e:
        raise ValueError(f"{path}: cannot decode image ({e})") from None
    if hw is not None and im.size != (hw[1], hw[0]):
        im = im.resize((hw[1], hw[0]), Image.Resampling.BILINEAR)
    return np.array(im, dtype=np.uint8)


def in_memory_bytes(n: int, hw: tuple[int, int]) -> int:
    """Bytes of ``n`` RGB images of ``hw`` as one float32 tensor."""
    return n * 3 * hw[0] * hw[1] * 4


class CelebAImages(Dataset[Tensor]):
    """Image files decoded on access into uint8 (3, H, W); all must share one size (or pass ``hw``)."""

    def __init__(self, paths: Sequence[str], hw: tuple[int, int] | None = None) -> None:
        if hw is not None and (len(hw) != 2 or min(hw) < 1):
            raise ValueError(f"size must be a positive (H, W), got {hw!r}")
        self.paths, self._hw = tuple(paths), hw

    @cached_property
    def hw(self) -> tuple[int, int]:
        """(H, W) of every image: ``hw`` if given, else the size of the first file."""
        if self._hw is not None:
            return (int(self._hw[0]), int(self._hw[1]))
        h, w = decode(self.paths[0]).shape[:2]
        return (h, w)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Tensor:
        arr = decode(self.paths[i], self._hw)
        if arr.shape[:2] != self.hw:
            raise ValueError(f"{self.paths[i]}: size {arr.shape[:2]} differs from {self.hw}: pass size=...")
        return torch.from_numpy(arr).permute(2, 0, 1)

    def subset(self, idx: Sequence[int]) -> CelebAImages:
        return CelebAImages([self.paths[i] for i in idx], self.hw)


def eval_batch(data: AttributeSet | StreamingAttributeSet, most: int = 1000,
               max_bytes: int = 64 * 1024**2) -> int:
    """A batch size for a forward pass over ``data``: at most ``most`` images and at most
    ``max_bytes`` of float32 input (144 CelebA images at 218x178; 1000 Fashion-MNIST images)."""
    c, h, w = data.x.shape[1:]
    return max(1, min(most, max_bytes // (int(c) * int(h) * int(w) * 4)))


def to_float(batch: Tensor) -> Tensor:
    """uint8 (N, 3, H, W) -> float32 in [0, 1] (the one conversion both paths use)."""
    return batch.float().div_(255.0).contiguous()


def _indices(key: int | slice | Tensor | Sequence[int], n: int) -> list[int]:
    if isinstance(key, slice):
        return list(range(n))[key]
    if isinstance(key, int):
        return [key]
    idx = torch.as_tensor(key).reshape(-1)
    if idx.dtype == torch.bool:
        idx = idx.nonzero().reshape(-1)
    return idx.tolist()


class LazyImages:
    """The ``x`` of a streaming set: ``x[i]``, ``x[i:j]`` and ``x[idx]`` decode just those images."""

    dtype = torch.float32
    ndim = 4

    def __init__(self, images: CelebAImages) -> None:
        self.images = images

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.images), 3, *self.images.hw))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, key: int | slice | Tensor | Sequence[int]) -> Tensor:
        idx = _indices(key, len(self.images))
        out = to_float(torch.stack([self.images[i] for i in idx])) if idx else torch.zeros(
            (0, 3, *self.images.hw), dtype=torch.float32)
        return out[0] if isinstance(key, int) else out


@dataclass(frozen=True)
class StreamingAttributeSet:
    """Attributes ``a`` (N, A) in {-1, +1} in memory; images decoded from disk on access."""

    images: CelebAImages
    a: Tensor
    names: tuple[str, ...]
    name: str = ""
    y: Tensor | None = field(default=None)
    workers: int = 2  # DataLoader workers used by :func:`batches`

    def __post_init__(self) -> None:
        if self.a.shape != (len(self.images), len(self.names)):
            raise ValueError(
                f"{self.name}: attributes must be (N, {len(self.names)}), got {tuple(self.a.shape)}")

    @property
    def x(self) -> LazyImages:
        return LazyImages(self.images)

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, idx: Tensor | slice) -> StreamingAttributeSet:
        keep = _indices(idx, len(self))
        return StreamingAttributeSet(self.images.subset(keep), self.a[keep], self.names, self.name,
                                     None if self.y is None else self.y[keep], self.workers)


AnyAttributeSet = AttributeSet | StreamingAttributeSet


def to_memory(data: StreamingAttributeSet) -> AttributeSet:
    """Decode every image of a streaming set into one in-memory set."""
    return AttributeSet(data.x[:], data.a, data.names, data.name, data.y)


class _Pairs(Dataset[tuple[Tensor, Tensor]]):
    def __init__(self, data: StreamingAttributeSet) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return self.data.images[i], self.data.a[i]


def _collate(items: list[tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    return torch.stack([x for x, _ in items]), torch.stack([a for _, a in items])


def batches(data: AnyAttributeSet, batch: int, order: Tensor | None = None,
            workers: int | None = None) -> Iterator[tuple[Tensor, Tensor]]:
    """(images float32 in [0, 1], attributes) in ``order`` (default 0..N-1), ``batch`` at a time.

    In memory: slices of ``data.x``. Streaming: a ``DataLoader`` with ``workers`` processes
    (default ``data.workers``) that decodes uint8 images; the float batch is formed here, so
    both paths give identical tensors.
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    idx = torch.arange(len(data)) if order is None else order
    if isinstance(data, AttributeSet):
        for i in range(0, len(idx), batch):
            j = idx[i : i + batch] if order is not None else slice(i, i + batch)
            yield data.x[j], data.a[j]
        return
    n_workers = data.workers if workers is None else workers
    loader = DataLoader(_Pairs(data), batch_size=batch, sampler=idx.tolist(), num_workers=n_workers,
                        collate_fn=_collate, prefetch_factor=2 if n_workers else None)
    for x, a in loader:
        yield to_float(x), a
