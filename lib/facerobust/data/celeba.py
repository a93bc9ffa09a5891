"""CelebA from a user-given folder in its official layout (not shipped with the book).

Layout (as distributed by the authors)::

    root/img_align_celeba/000001.jpg ...      aligned 178x218 JPEGs
    root/list_attr_celeba.txt                 line 1: image count; line 2: the 40 attribute
                                              names; then "<file> <40 values in {-1, 1}>"
    root/list_eval_partition.txt              "<file> <0|1|2>" = train / valid / test

The three must agree (same file set, no duplicates, every value -1 or 1, the 40 official
names); any disagreement is a :class:`CelebAError` naming the file and line. A split small
enough for memory is decoded into an :class:`AttributeSet`; a larger one (the train split
would need ~76 GB as float32) is a :class:`~facerobust.data.streaming.StreamingAttributeSet`
that decodes on access. The switch is by size (``max_bytes``), not by profile.

Used by the ``full`` profiles of the attribute chapters (Rozsa et al.); the ``default``
profiles run the same code on ``fashion_attributes``, because CelebA cannot be fetched from
a package registry.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .streaming import CelebAImages, StreamingAttributeSet, in_memory_bytes, to_memory
from .types import AttributeSet

SPLITS = {"train": 0, "valid": 1, "test": 2}
ATTR_FILE, PART_FILE, IMG_DIR = "list_attr_celeba.txt", "list_eval_partition.txt", "img_align_celeba"
LANDMARK_FILE = "list_landmarks_align_celeba.txt"  # optional: 5 points per aligned image
LANDMARK_NAMES = ("lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
                  "rightmouth_x rightmouth_y").split()
ATTRIBUTE_NAMES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose "
    "Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee "
    "Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard "
    "Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair "
    "Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young"
).split()
DEFAULT_MAX_BYTES = 2 * 1024**3  # a split larger than this as float32 is streamed
MAX_BYTES_ENV = "FACEROBUST_MAX_IN_MEMORY_MB"


class CelebAError(ValueError):
    """The CelebA folder is malformed; the message names the file and line."""


@dataclass(frozen=True)
class CelebAIndex:
    """The validated attribute and partition files: file names, names, values (N, 40), split."""

    root: Path
    files: tuple[str, ...]
    names: tuple[str, ...]
    values: np.ndarray  # (N, 40) int8 in {-1, +1}
    partition: np.ndarray  # (N,) int8 in {0, 1, 2}


def _need(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"CelebA: {path} is missing (expected the official layout: {IMG_DIR}/, {ATTR_FILE}, {PART_FILE})")
    return path


def _lines(path: Path) -> list[str]:
    try:
        return _need(path).read_text(encoding="ascii").splitlines()
    except UnicodeDecodeError as e:
        raise CelebAError(f"{path}: not a text file (byte {e.start} is not ASCII)") from None


def _header(path: Path, lines: list[str]) -> int:
    if len(lines) < 2:
        raise CelebAError(f"{path}: expected a count line and a header line, got {len(lines)} line(s)")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise CelebAError(f"{path} line 1: must be the image count, got {lines[0]!r}") from None
    names = lines[1].split()
    if names != ATTRIBUTE_NAMES:
        wrong = next((i for i, (a, b) in enumerate(zip(names, ATTRIBUTE_NAMES, strict=False)) if a != b), 0)
        detail = (f"{len(names)} names, expected the 40 official ones" if len(names) != len(ATTRIBUTE_NAMES)
                  else f"name {wrong + 1} is {names[wrong]!r}, expected {ATTRIBUTE_NAMES[wrong]!r}")
        raise CelebAError(f"{path} line 2: not CelebA's attribute header ({detail})")
    return count


def _row(path: Path, lineno: int, fields: list[str]) -> list[int]:
    if len(fields) != len(ATTRIBUTE_NAMES) + 1:
        raise CelebAError(
            f"{path} line {lineno}: expected a file name and 40 values, got {len(fields)} fields")
    try:
        vals = [int(v) for v in fields[1:]]
    except ValueError:
        bad = next(v for v in fields[1:] if not v.lstrip("-").isdigit())
        raise CelebAError(f"{path} line {lineno}: value {bad!r} is not an integer") from None
    if any(v not in (-1, 1) for v in vals):
        raise CelebAError(f"{path} line {lineno}: attribute values must be -1 or 1, got {sorted(set(vals))}")
    return vals


def read_attributes(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Parse ``list_attr_celeba.txt``: (file names, attribute names, values (N, 40) int8 in {-1, +1})."""
    lines = _lines(path)
    count = _header(path, lines)
    files: list[str] = []
    seen: dict[str, int] = {}
    values = []
    for lineno, ln in enumerate(lines[2:], start=3):
        fields = ln.split()
        if not fields:
            continue
        if fields[0] in seen:
            raise CelebAError(f"{path} line {lineno}: {fields[0]} already listed on line {seen[fields[0]]}")
        values.append(_row(path, lineno, fields))
        seen[fields[0]] = lineno
        files.append(fields[0])
    if len(files) != count:
        raise CelebAError(f"{path} line 1: header says {count} images, file lists {len(files)}")
    return files, list(ATTRIBUTE_NAMES), np.asarray(values, dtype=np.int8).reshape(-1, len(ATTRIBUTE_NAMES))


def read_partition(path: Path) -> dict[str, int]:
    """Parse ``list_eval_partition.txt`` into {file name: 0 train | 1 valid | 2 test}."""
    out: dict[str, int] = {}
    where: dict[str, int] = {}
    for lineno, ln in enumerate(_lines(path), start=1):
        fields = ln.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise CelebAError(f"{path} line {lineno}: expected '<file> <0|1|2>', got {ln.strip()!r}")
        if fields[0] in out:
            raise CelebAError(f"{path} line {lineno}: {fields[0]} already listed on line {where[fields[0]]}")
        out[fields[0]], where[fields[0]] = int(fields[1]), lineno
    return out


def _disagree(what: str, names: set[str]) -> CelebAError:
    first = ", ".join(sorted(names)[:3])
    return CelebAError(f"CelebA: {len(names)} file(s) {what} (first: {first})")


def read_index(root: str | Path) -> CelebAIndex:
    """Read and cross-check the attribute file, the partition file and the image folder."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"CelebA root {root} does not exist")
    files, names, values = read_attributes(root / ATTR_FILE)
    part = read_partition(root / PART_FILE)
    on_disk = set(os.listdir(_need(root / IMG_DIR)))
    listed = set(files)
    if listed - part.keys():
        raise _disagree(f"in {ATTR_FILE} are missing from {PART_FILE}", listed - part.keys())
    if part.keys() - listed:
        raise _disagree(f"in {PART_FILE} are missing from {ATTR_FILE}", part.keys() - listed)
    if listed - on_disk:
        missing = sorted(listed - on_disk)
        raise FileNotFoundError(
            f"CelebA: {len(missing)} image(s) missing from {root / IMG_DIR} (first: {missing[0]})")
    if on_disk - listed:
        raise _disagree(f"in {IMG_DIR}/ are not listed in {ATTR_FILE}", on_disk - listed)
    split = np.asarray([part[f] for f in files], dtype=np.int8)
    return CelebAIndex(root, tuple(files), tuple(names), values, split)


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive integer or None, got {limit!r}")


def _max_bytes(max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    env = os.environ.get(MAX_BYTES_ENV)
    return DEFAULT_MAX_BYTES if env is None else int(float(env) * 1024**2)


def celeba(root: str | Path, split: str = "train", attributes: Sequence[str] | None = None,
           size: int | tuple[int, int] | None = None, limit: int | None = None,
           max_bytes: int | None = None) -> AttributeSet | StreamingAttributeSet:
    """CelebA images (N, 3, H, W) in [0, 1] with attributes in {-1, +1} (+1 = present).

    ``attributes``: names to keep (default all 40, in the file's order); ``size``: resize to
    ``size`` x ``size`` (or (H, W)) with bilinear antialiasing; ``limit``: first N images of the
    split. A split whose float32 images exceed ``max_bytes`` (default 2 GiB, or the environment
    variable ``FACEROBUST_MAX_IN_MEMORY_MB``) is returned as a streaming set, decoded on access.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    _check_limit(limit)
    index = read_index(root)
    cols = list(range(len(index.names)))
    if attributes is not None:
        unknown = [a for a in attributes if a not in index.names]
        if unknown:
            raise ValueError(f"unknown CelebA attribute(s) {unknown}; known: {', '.join(index.names)}")
        cols = [index.names.index(a) for a in attributes]
    keep = np.flatnonzero(index.partition == SPLITS[split])[:limit]
    if not len(keep):
        raise ValueError(f"CelebA {split} split in {index.root} is empty")
    hw = (size, size) if isinstance(size, int) else size
    paths = tuple(str(index.root / IMG_DIR / index.files[i]) for i in keep)
    a = torch.from_numpy(index.values[keep][:, cols].astype(np.int64))
    images = CelebAImages(paths, hw)
    stream = StreamingAttributeSet(images, a, tuple(index.names[c] for c in cols), f"celeba-{split}")
    if in_memory_bytes(len(keep), images.hw) > _max_bytes(max_bytes):
        print(f"CelebA {split}: {len(keep)} images streamed from disk "
              f"({in_memory_bytes(len(keep), images.hw) / 1024**3:.1f} GiB as float32)")
        return stream
    return to_memory(stream)


def read_landmarks(path: str | Path) -> dict[str, np.ndarray]:
    """Parse ``list_landmarks_align_celeba.txt`` (line 1: count; line 2: the 10 coordinate names;
    then "<file> <10 integers>") into {file name: (5, 2) int16 (x, y) of left eye, right eye,
    nose, left and right mouth corner}; every point must lie inside the 178x218 aligned image."""
    path = Path(path)
    lines = _lines(path)
    if len(lines) < 2 or lines[1].split() != LANDMARK_NAMES:
        raise CelebAError(f"{path} line 2: expected the header {' '.join(LANDMARK_NAMES)!r}")
    out: dict[str, np.ndarray] = {}
    for lineno, ln in enumerate(lines[2:], start=3):
        fields = ln.split()
        if not fields:
            continue
        if len(fields) != 11 or not all(v.lstrip("-").isdigit() for v in fields[1:]):
            raise CelebAError(f"{path} line {lineno}: expected a file name and 10 integers, "
                              f"got {ln.strip()!r}")
        pts = np.asarray(fields[1:], dtype=np.int64).reshape(5, 2)
        if (pts < 0).any() or (pts[:, 0] >= 178).any() or (pts[:, 1] >= 218).any():
            raise CelebAError(f"{path} line {lineno}: a point lies outside the 178x218 aligned image")
        if fields[0] in out:
            raise CelebAError(f"{path} line {lineno}: {fields[0]} listed twice")
        out[fields[0]] = pts.astype(np.int16)
    if lines[0].strip() != str(len(out)):
        raise CelebAError(f"{path} line 1: header says {lines[0].strip()!r} images, file lists {len(out)}")
    return out


def landmarks(root: str | Path, files: Sequence[str]) -> np.ndarray:
    """The five aligned landmarks (N, 5, 2) of ``files`` (names as in the attribute file), read from
    ``root/list_landmarks_align_celeba.txt``; a file without landmarks is a :class:`CelebAError`."""
    table = read_landmarks(_need(Path(root) / LANDMARK_FILE))
    missing = [f for f in files if f not in table]
    if missing:
        raise _disagree(f"have no line in {LANDMARK_FILE}", set(missing))
    return np.stack([table[f] for f in files]) if files else np.zeros((0, 5, 2), np.int16)
