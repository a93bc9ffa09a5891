"""A small, general interpreter of TensorFlow.js graph models (``model.json`` + weight shards).

The GraphDef in ``modelTopology.node`` is evaluated node by node in file order (the files are
topologically sorted), keeping TF's NHWC layout; convolutions and pools see an NCHW *view*
(``permute``), which PyTorch runs as channels-last without copies. Only the nodes needed for
the requested outputs are run. Supported ops are exactly those the faceres and emotion graphs
use (spec section 7.3); any other op is refused when the graph is loaded, naming the op.

Used by :mod:`.human_models` (``FaceRes``, ``Expression``) for the attribute chapters.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional

from . import _tf
from .base import PretrainedFaceModel
from .tfjs_weights import load_asset_weights

SUPPORTED = frozenset({
    "Placeholder", "Const", "Identity", "Conv2D", "DepthwiseConv2dNative", "_FusedConv2D",
    "_FusedMatMul", "Add", "AddV2", "Mul", "Relu", "Minimum", "Maximum", "MaxPool", "Mean",
    "Sigmoid", "Softmax",
})
_FUSED = {"BiasAdd", "Relu"}


def _attr(node: dict[str, Any], key: str, default: Any = None) -> Any:
    """Decode one protobuf-JSON attribute (strings are base64, ints are strings)."""
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "i" in a:
        return int(a["i"])
    if "f" in a:
        return float(a["f"])
    if "b" in a:
        return bool(a["b"])
    if "list" in a:
        lst = a["list"]
        if "s" in lst:
            return [base64.b64decode(s).decode() for s in lst["s"]]
        return [int(i) for i in lst.get("i", [])]
    return a


def _ref(name: str) -> str:
    """Input reference -> node name (``name:0`` means output 0; only single-output ops here)."""
    base, _, idx = name.partition(":")
    if idx not in ("", "0"):
        raise ValueError(f"input {name!r}: only output 0 is supported")
    return base


def _nchw(x: Tensor) -> Tensor:
    return x.permute(0, 3, 1, 2)


def _nhwc(x: Tensor) -> Tensor:
    return x.permute(0, 2, 3, 1)


class TFJSGraph(PretrainedFaceModel):
    """A TF.js graph model as an ``nn.Module``; ``forward(x, outputs)`` returns the named nodes.

    ``x`` is the NHWC placeholder input. The class checks every node at load time: unsupported
    ops, non-NHWC data formats, dilations other than 1 and transposed matmuls are refused.
    """

    def __init__(self, graph: dict[str, Any], weights: dict[str, Tensor], fuse: bool = True) -> None:
        super().__init__()
        nodes = graph["modelTopology"]["node"]
        self.nodes: list[dict[str, Any]] = []
        for n in nodes:
            self._validate(n)
            ins = [_ref(i) for i in n.get("input", []) if not i.startswith("^")]
            self.nodes.append({"name": n["name"], "op": n["op"], "input": ins, "node": n})
        self.by_name = {n["name"]: n for n in self.nodes}
        consts = {n["name"] for n in self.nodes if n["op"] == "Const"}
        missing = consts - set(weights)
        if missing:
            raise ValueError(f"weights missing for Const nodes: {sorted(missing)[:5]}")
        if fuse:
            self._fuse_relu6(weights)
        converted = dict(weights)
        for n in self.nodes:  # filters to PyTorch layout once, at load time
            if n["op"] in ("Conv2D", "_FusedConv2D"):
                converted[n["input"][1]] = _tf.hwio_to_oihw(weights[n["input"][1]])
            elif n["op"] == "DepthwiseConv2dNative":
                converted[n["input"][1]] = _tf.depthwise_to_oihw(weights[n["input"][1]])
        self._store({k: converted[k] for k in consts})
        self.inputs = [n["name"] for n in self.nodes if n["op"] == "Placeholder"]
        self.eval().requires_grad_(False)

    def _fuse_relu6(self, weights: dict[str, Tensor]) -> None:
        """Rewrite ``Maximum(Minimum(Relu(x), c), 0)`` (TF's ReLU6 as three ops) into one clamp.

        Same values; one saved tensor for backward instead of three (memory and speed)."""
        uses: dict[str, int] = {}
        for n in self.nodes:
            for i in n["input"]:
                uses[i] = uses.get(i, 0) + 1

        def scalar(name: str) -> float | None:
            w = weights.get(name) if self.by_name[name]["op"] == "Const" else None
            return float(w) if w is not None and w.numel() == 1 else None

        for k, n in enumerate(self.nodes):
            if n["op"] != "Maximum" or scalar(n["input"][1]) != 0.0:
                continue
            m = self.by_name[n["input"][0]]
            if m["op"] != "Minimum" or uses[m["name"]] != 1:
                continue
            hi, r = scalar(m["input"][1]), self.by_name[m["input"][0]]
            if hi is None or hi < 0 or r["op"] != "Relu" or uses[r["name"]] != 1:
                continue
            fused = {"name": n["name"], "op": "ClampFused", "input": r["input"][:1],
                     "node": {"name": n["name"], "hi": hi}}
            self.nodes[k] = self.by_name[n["name"]] = fused

    @staticmethod
    def _validate(n: dict[str, Any]) -> None:
        op, name = n["op"], n["name"]
        if op not in SUPPORTED:
            raise NotImplementedError(f"node {name!r}: op {op!r} is not supported by this interpreter")
        if _attr(n, "data_format", "NHWC") != "NHWC":
            raise NotImplementedError(f"node {name!r}: only NHWC is supported")
        if any(d != 1 for d in _attr(n, "dilations", [1])):
            raise NotImplementedError(f"node {name!r}: dilations other than 1")
        if _attr(n, "transpose_a", False) or _attr(n, "transpose_b", False):
            raise NotImplementedError(f"node {name!r}: transposed MatMul")
        if _attr(n, "padding", "VALID") not in ("SAME", "VALID"):
            raise NotImplementedError(f"node {name!r}: padding {_attr(n, 'padding')!r}")
        fused = set(_attr(n, "fused_ops", []))
        if not fused <= _FUSED:
            raise NotImplementedError(f"node {name!r}: fused ops {sorted(fused - _FUSED)}")

    def _needed(self, outputs: Sequence[str]) -> list[dict[str, Any]]:
        need: set[str] = set()
        stack = list(outputs)
        while stack:
            name = stack.pop()
            if name not in self.by_name:
                raise KeyError(f"no node named {name!r} in the graph")
            if name not in need:
                need.add(name)
                stack.extend(self.by_name[name]["input"])
        return [n for n in self.nodes if n["name"] in need]

    def forward(self, x: Tensor, outputs: Sequence[str] = ()) -> list[Tensor]:
        if len(self.inputs) != 1:
            raise ValueError(f"graph has {len(self.inputs)} inputs; expected exactly one")
        if not outputs:
            raise ValueError("name the output nodes to evaluate")
        plan = self._needed(outputs)
        last_use = {i: k for k, n in enumerate(plan) for i in n["input"]}
        values: dict[str, Tensor] = {self.inputs[0]: x}
        for k, n in enumerate(plan):
            if n["op"] in ("Placeholder", "Const"):
                continue
            args = [values[i] if i in values else self.w(i) for i in n["input"]]
            values[n["name"]] = _OPS[n["op"]](n["node"], args)
            for i in n["input"]:  # free intermediates after their last use (no_grad memory)
                if last_use[i] == k and i not in outputs:
                    values.pop(i, None)
        return [values[o] for o in outputs]


def _conv(n: dict[str, Any], args: list[Tensor], depthwise: bool = False) -> Tensor:
    strides = _attr(n, "strides", [1, 1, 1, 1])
    if strides[1] != strides[2]:
        raise NotImplementedError(f"node {n['name']!r}: unequal strides {strides}")
    w = args[1]
    groups = w.shape[0] if depthwise else 1
    return _nhwc(_tf.conv(_nchw(args[0]), w, strides[1], _attr(n, "padding"), groups=groups))


def _fused(n: dict[str, Any], y: Tensor, extra: list[Tensor]) -> Tensor:
    if len(extra) != _attr(n, "num_args", 0):
        raise ValueError(f"node {n['name']!r}: expected {_attr(n, 'num_args')} extra inputs")
    for op in _attr(n, "fused_ops", []):
        if op == "BiasAdd":
            y = y + extra.pop(0)
        elif op == "Relu":
            y = functional.relu(y)
    return y


def _max_pool(n: dict[str, Any], args: list[Tensor]) -> Tensor:
    k, s = _attr(n, "ksize"), _attr(n, "strides")
    if k[1] != k[2] or s[1] != s[2] or k[0] != 1 or k[3] != 1:
        raise NotImplementedError(f"node {n['name']!r}: ksize {k}, strides {s}")
    return _nhwc(_tf.max_pool(_nchw(args[0]), k[1], s[1], _attr(n, "padding")))


def _mean(n: dict[str, Any], args: list[Tensor]) -> Tensor:
    dims = tuple(int(d) for d in args[1].reshape(-1).tolist())
    return args[0].mean(dim=dims, keepdim=bool(_attr(n, "keep_dims", False)))


_OPS: dict[str, Callable[[dict[str, Any], list[Tensor]], Tensor]] = {
    "Identity": lambda n, a: a[0],
    "Conv2D": _conv,
    "DepthwiseConv2dNative": lambda n, a: _conv(n, a, depthwise=True),
    "_FusedConv2D": lambda n, a: _fused(n, _conv(n, a[:2]), list(a[2:])),
    "_FusedMatMul": lambda n, a: _fused(n, a[0] @ a[1], list(a[2:])),
    "Add": lambda n, a: a[0] + a[1],
    "AddV2": lambda n, a: a[0] + a[1],
    "Mul": lambda n, a: a[0] * a[1],
    "Relu": lambda n, a: functional.relu(a[0]),
    "Minimum": lambda n, a: torch.minimum(a[0], a[1]),
    "Maximum": lambda n, a: torch.maximum(a[0], a[1]),
    "MaxPool": _max_pool,
    "Mean": _mean,
    "Sigmoid": lambda n, a: torch.sigmoid(a[0]),
    "ClampFused": lambda n, a: torch.clamp(a[0], 0.0, n["hi"]),
    "Softmax": lambda n, a: torch.softmax(a[0], dim=-1),
}


def load_graph(model_json: Path, weights: dict[str, Tensor]) -> TFJSGraph:
    """Build a :class:`TFJSGraph` from a graph-model JSON file and its decoded weights."""
    graph = json.loads(Path(model_json).read_text())
    if graph.get("format") != "graph-model":
        raise ValueError(f"{model_json}: not a TF.js graph model (format {graph.get('format')!r})")
    return TFJSGraph(graph, weights)


def load_asset_graph(model_json_dest: str) -> TFJSGraph:
    """Build a :class:`TFJSGraph` from a graph model shipped as an asset (all files sha256-checked)."""
    from ..data.assets import asset_path

    return load_graph(asset_path(model_json_dest), load_asset_weights(model_json_dest))
