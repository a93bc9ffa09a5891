"""CelebA loader: the official layout, the agreement checks (file and line named on error),
and the streaming path (bit-identical to the in-memory one)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from celeba_fixture import write_celeba  # noqa: E402
from facerobust.data import streaming  # noqa: E402
from facerobust.data.celeba import ATTR_FILE, IMG_DIR, PART_FILE, CelebAError, celeba  # noqa: E402
from facerobust.data.types import AttributeSet  # noqa: E402


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    return write_celeba(tmp_path / "celeba", 30)


def _edit(path: Path, lineno: int, new: str | None) -> None:
    lines = path.read_text().splitlines()
    if new is None:
        del lines[lineno - 1]
    else:
        lines[lineno - 1] = new
    path.write_text("\n".join(lines) + "\n")


def test_layout_and_switch_by_size(root: Path) -> None:
    mem = celeba(root, "train")
    assert isinstance(mem, AttributeSet) and mem.x.shape == (24, 3, 218, 178) and len(mem.names) == 40
    st = celeba(root, "train", max_bytes=0)
    assert isinstance(st, streaming.StreamingAttributeSet) and st.x.shape == mem.x.shape
    assert torch.equal(st.x[:], mem.x) and torch.equal(st.a, mem.a)
    idx = torch.tensor([5, 0, 7])
    assert torch.equal(st.x[idx], mem.x[idx]) and torch.equal(st.x[3], mem.x[3])
    small = celeba(root, "test", attributes=["Smiling", "Male"], size=32, max_bytes=0)
    assert small.x.shape == (3, 3, 32, 32) and small.names == ("Smiling", "Male")
    assert len(celeba(root, "valid", limit=2)) == 2


@pytest.mark.parametrize("workers", [0, 2])
def test_batches_identical_in_memory_and_streaming(root: Path, workers: int) -> None:
    mem, st = celeba(root, "train", size=40), celeba(root, "train", size=40, max_bytes=0)
    order = torch.randperm(len(mem), generator=torch.Generator().manual_seed(3))
    got = list(streaming.batches(st, 5, order, workers=workers))
    want = list(streaming.batches(mem, 5, order))
    assert len(got) == len(want) == 5
    for (xs, as_), (xm, am) in zip(got, want, strict=True):
        assert xs.dtype == torch.float32 and torch.equal(xs, xm) and torch.equal(as_, am)


def test_argument_errors(root: Path, tmp_path: Path) -> None:
    for limit in (-1, 0, True, 2.5):
        with pytest.raises(ValueError, match="limit must be a positive integer"):
            celeba(root, "train", limit=limit)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="split"):
        celeba(root, "val")
    with pytest.raises(ValueError, match="unknown CelebA attribute"):
        celeba(root, "train", attributes=["Beard"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        celeba(tmp_path / "nowhere", "train")
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        next(streaming.batches(celeba(root, "test"), 0))


@pytest.mark.parametrize(
    ("lineno", "new", "match"),
    [
        (1, "abc", r"list_attr_celeba.txt line 1: must be the image count"),
        (1, "31", r"line 1: header says 31 images, file lists 30"),
        (2, "Male Young", r"line 2: not CelebA's attribute header \(2 names"),
        (2, "Bald " * 40, r"line 2: not CelebA's attribute header \(name 1 is 'Bald'"),
        (5, "000003.jpg" + " 1" * 39 + " x", r"line 5: value 'x' is not an integer"),
        (5, "000003.jpg" + " 1" * 39 + " 0", r"line 5: attribute values must be -1 or 1"),
        (5, "000003.jpg" + " 1" * 39, r"line 5: expected a file name and 40 values, got 40 fields"),
        (6, "000001.jpg" + " 1" * 40, r"line 6: 000001.jpg already listed on line 3"),
    ],
)
def test_attribute_file_errors(root: Path, lineno: int, new: str, match: str) -> None:
    _edit(root / ATTR_FILE, lineno, new)
    with pytest.raises(CelebAError, match=match):
        celeba(root, "train")


def test_binary_attribute_file(root: Path) -> None:
    (root / ATTR_FILE).write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(CelebAError, match="list_attr_celeba.txt: not a text file"):
        celeba(root, "train")


@pytest.mark.parametrize(
    ("lineno", "new", "match"),
    [
        (2, "000002.jpg 3", r"list_eval_partition.txt line 2: expected '<file> <0\|1\|2>'"),
        (2, "000002.jpg", r"list_eval_partition.txt line 2: expected"),
        (2, "000001.jpg 0", r"line 2: 000001.jpg already listed on line 1"),
        (2, None, r"1 file\(s\) in list_attr_celeba.txt are missing from list_eval_partition.txt"),
        (2, "000002.jpg 0\n999999.jpg 0", r"in list_eval_partition.txt are missing from list_attr"),
    ],
)
def test_partition_errors(root: Path, lineno: int, new: str | None, match: str) -> None:
    _edit(root / PART_FILE, lineno, new)
    with pytest.raises(CelebAError, match=match):
        celeba(root, "train")


def test_image_folder_must_agree(root: Path) -> None:
    (root / IMG_DIR / "000031.jpg").write_bytes((root / IMG_DIR / "000001.jpg").read_bytes())
    with pytest.raises(CelebAError, match=r"in img_align_celeba/ are not listed .*000031.jpg"):
        celeba(root, "train")
    (root / IMG_DIR / "000031.jpg").unlink()
    (root / IMG_DIR / "000002.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="000002.jpg"):
        celeba(root, "train")


@pytest.mark.parametrize("max_bytes", [None, 0])
def test_truncated_jpeg_names_the_file(root: Path, max_bytes: int | None) -> None:
    path = root / IMG_DIR / "000004.jpg"
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(ValueError, match="000004.jpg: cannot decode image"):
        data = celeba(root, "train", max_bytes=max_bytes)
        data.x[:]


def test_mixed_sizes_need_size(root: Path) -> None:
    from PIL import Image

    Image.new("RGB", (100, 120)).save(root / IMG_DIR / "000002.jpg")
    with pytest.raises(ValueError, match="000002.jpg: size .* differs"):
        celeba(root, "train")
    assert celeba(root, "train", size=(60, 50)).x.shape == (24, 3, 60, 50)
