"""Reader for TensorFlow.js weight manifests (``*-weights_manifest.json`` / ``weightsManifest``).

A manifest is a list of groups; each group names its shard files (``paths``) and lists its
tensors (``weights``: name, shape, dtype, optional ``quantization``). The shards of a group are
concatenated and the tensors lie back to back in list order, little-endian, no alignment.
Quantisation is per tensor: uint8/uint16 affine (value = q * scale + min) or float16 widened to
float32. The dequantised values are exactly those the TF.js runtime uses.

Used by the face-api ports (:mod:`.face_descriptor`, :mod:`.age_gender`) and by the graph-model
interpreter (:mod:`.tfjs_graph`), i.e. by every face chapter through the model registry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

_STORED: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "float16": np.dtype("<f2"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
    "bool": np.dtype("u1"),
}


def _decode(buf: bytes, offset: int, entry: dict[str, Any]) -> tuple[np.ndarray, int]:
    """Decode one manifest entry at ``offset``; returns the array and the next offset."""
    shape = [int(s) for s in entry["shape"]]
    count = int(np.prod(shape)) if shape else 1
    quant = entry.get("quantization")
    stored = _STORED[quant["dtype"] if quant else entry["dtype"]]
    nbytes = count * stored.itemsize
    if offset + nbytes > len(buf):
        raise ValueError(f"weight {entry['name']!r} runs past the end of its shard data")
    raw = np.frombuffer(buf, dtype=stored, count=count, offset=offset)
    if quant is None:
        arr = raw.copy()  # np.frombuffer arrays are read-only views
    elif quant["dtype"] in ("uint8", "uint16"):
        arr = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
    elif quant["dtype"] == "float16":
        arr = raw.astype(np.float32)
    else:
        raise ValueError(f"unsupported quantisation {quant['dtype']!r} for {entry['name']!r}")
    if entry["dtype"] == "int32" and arr.dtype != np.int32:
        arr = np.rint(arr).astype(np.int32)
    return arr.reshape(shape), offset + nbytes


def read_manifest(
    groups: list[dict[str, Any]], read_shard: Callable[[str], bytes]
) -> dict[str, np.ndarray]:
    """Decode every tensor of a weights manifest; ``read_shard(path)`` returns a shard's bytes."""
    out: dict[str, np.ndarray] = {}
    for group in groups:
        buf = b"".join(read_shard(p) for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            if entry["name"] in out:
                raise ValueError(f"weight {entry['name']!r} appears twice in the manifest")
            out[entry["name"]], offset = _decode(buf, offset, entry)
        if offset != len(buf):
            raise ValueError(f"shards {group['paths']} hold {len(buf) - offset} unread bytes")
    return out


def load_weights(manifest: Path, shards: dict[str, Path] | None = None) -> dict[str, np.ndarray]:
    """Read a face-api ``*-weights_manifest.json`` or a graph model ``*.json`` and its shards.

    ``shards`` maps a shard name in the manifest to a (verified) file path; by default shards
    are taken from the manifest's folder.
    """
    raw = json.loads(Path(manifest).read_text())
    groups = raw["weightsManifest"] if isinstance(raw, dict) else raw

    def read_shard(name: str) -> bytes:
        path = shards[name] if shards and name in shards else Path(manifest).parent / name
        return Path(path).read_bytes()

    return read_manifest(groups, read_shard)


def to_tensors(weights: dict[str, np.ndarray]) -> dict[str, Tensor]:
    """Wrap decoded arrays as torch tensors (float32 / int64)."""
    return {
        k: torch.from_numpy(v.astype(np.float32) if v.dtype.kind == "f" else v.astype(np.int64))
        for k, v in weights.items()
    }


def load_asset_weights(manifest_dest: str) -> dict[str, Tensor]:
    """Decode a manifest shipped as an asset; every shard is fetched (and sha256-checked) by name."""
    from ..data.assets import asset_path

    manifest = asset_path(manifest_dest)
    raw = json.loads(manifest.read_text())
    groups = raw["weightsManifest"] if isinstance(raw, dict) else raw
    folder = manifest_dest.rsplit("/", 1)[0]
    shards = {p: asset_path(f"{folder}/{p}") for g in groups for p in g["paths"]}
    return to_tensors(load_weights(manifest, shards))
