"""CelebA from a user-given folder in its official layout (not shipped with the book).

Layout (as distributed by the authors)::

    root/img_align_celeba/000001.jpg ...      aligned 178x218 JPEGs
    root/list_attr_celeba.txt                 line 1: image count; line 2: the 40 attribute
                                              names; then "<file> <40 values in {-1, 1}>"
    root/list_eval_partition.txt              "<file> <0|1|2>" = train / valid / test

Used by the ``full`` profiles of the attribute chapters (Rozsa et al.; attribute-based
authentication); the ``default`` profiles run the same code on ``fashion_attributes`` or the
real faces, because CelebA cannot be fetched from a package registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .types import AttributeSet

SPLITS = {"train": 0, "valid": 1, "test": 2}


def _need(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"CelebA: {path} is missing (expected the official layout: img_align_celeba/, "
            "list_attr_celeba.txt, list_eval_partition.txt)")
    return path


def read_attributes(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Parse ``list_attr_celeba.txt``: (file names, attribute names, values (N, A) in {-1, +1})."""
    lines = _need(path).read_text().splitlines()
    if len(lines) < 2:
        raise ValueError(f"{path.name}: expected a count line and a header line")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise ValueError(f"{path.name}: first line must be the image count, got {lines[0]!r}") from None
    names = lines[1].split()
    rows = [ln.split() for ln in lines[2:] if ln.strip()]
    if len(rows) != count:
        raise ValueError(f"{path.name}: header says {count} images, file lists {len(rows)}")
    bad = [r[0] for r in rows if len(r) != len(names) + 1]
    if bad:
        raise ValueError(f"{path.name}: {len(bad)} rows do not have {len(names)} values (first: {bad[0]})")
    values = np.array([[int(v) for v in r[1:]] for r in rows], dtype=np.int64)
    if not np.isin(values, (-1, 1)).all():
        raise ValueError(f"{path.name}: attribute values must be -1 or 1")
    return [r[0] for r in rows], names, values


def read_partition(path: Path) -> dict[str, int]:
    """Parse ``list_eval_partition.txt`` into {file name: 0 train | 1 valid | 2 test}."""
    out = {}
    for ln in _need(path).read_text().splitlines():
        if ln.strip():
            name, part = ln.split()
            if part not in ("0", "1", "2"):
                raise ValueError(f"{path.name}: partition of {name} must be 0, 1 or 2, got {part!r}")
            out[name] = int(part)
    return out


def celeba(root: str | Path, split: str = "train", attributes: Sequence[str] | None = None,
           size: int | tuple[int, int] | None = None, limit: int | None = None) -> AttributeSet:
    """CelebA images (N, 3, H, W) in [0, 1] with attributes in {-1, +1} (+1 = present).

    ``attributes``: names to keep (default all 40, in the file's order); ``size``: resize to
    ``size`` x ``size`` (or (H, W)) with bilinear antialiasing; ``limit``: first N images of the split.
    """
    from PIL import Image

    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"CelebA root {root} does not exist")
    files, names, values = read_attributes(root / "list_attr_celeba.txt")
    part = read_partition(root / "list_eval_partition.txt")
    cols = list(range(len(names)))
    if attributes is not None:
        unknown = [a for a in attributes if a not in names]
        if unknown:
            raise ValueError(f"unknown CelebA attribute(s) {unknown}; known: {', '.join(names)}")
        cols = [names.index(a) for a in attributes]
    keep = [i for i, f in enumerate(files) if part.get(f) == SPLITS[split]]
    if limit is not None:
        keep = keep[:limit]
    if not keep:
        raise ValueError(f"CelebA {split} split in {root} is empty")
    hw = (size, size) if isinstance(size, int) else size
    images = []
    for i in keep:
        with Image.open(_need(root / "img_align_celeba" / files[i])) as src:
            im = src.convert("RGB")
        if hw is not None:
            im = im.resize((hw[1], hw[0]), Image.Resampling.BILINEAR)
        images.append(np.asarray(im, dtype=np.uint8))
    shapes = {a.shape for a in images}
    if len(shapes) > 1:
        raise ValueError(f"CelebA images differ in size {sorted(shapes)}: pass size=...")
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div_(255.0).contiguous()
    a = torch.from_numpy(values[keep][:, cols])
    return AttributeSet(x, a, tuple(names[c] for c in cols), f"celeba-{split}")
