"""Cache of trained models and computed artefacts, keyed by configuration and code.

A cached item's key is a hash of its configuration (JSON) and of the source code of the
modules that produce it, so changing either retrains. Writes are atomic (temp file +
``os.replace``) and weights are read with ``torch.load(weights_only=True)``.
Used by every chapter that trains a model (Rozsa, Defense-GAN, K-anonymity).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from .paths import cache_dir


def _code_digest(modules: Iterable[ModuleType | Callable[..., Any] | type]) -> str:
    h = hashlib.sha256()
    for m in modules:
        h.update(inspect.getsource(m).encode())
    return h.hexdigest()


def key(name: str, config: Mapping[str, Any], code: Iterable[Any] = ()) -> str:
    """Stable key ``name-<hash>`` from a JSON-able config and the source of ``code``."""
    blob = json.dumps(dict(config), sort_keys=True, default=str)
    digest = hashlib.sha256((blob + _code_digest(code)).encode()).hexdigest()[:16]
    return f"{name}-{digest}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_state(path: Path, state: Mapping[str, Any]) -> None:
    """``torch.save`` a state dict (tensors and plain values) atomically."""
    import io

    buf = io.BytesIO()
    torch.save(dict(state), buf)
    atomic_write_bytes(path, buf.getvalue())


def load_state(path: Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


def cached_module(
    name: str,
    config: Mapping[str, Any],
    make: Callable[[], nn.Module],
    fit: Callable[[nn.Module], Mapping[str, Any] | None],
    code: Iterable[Any] = (),
    root: Path | None = None,
) -> tuple[nn.Module, dict[str, Any]]:
    """Build ``make()``; load its weights from the cache, or ``fit`` it and cache them.

    Returns the module in eval mode and the metadata ``fit`` returned (e.g. a training
    history), which is stored beside the weights as JSON.
    """
    k = key(name, config, code)
    folder = (root or cache_dir()) / "models"
    wpath, mpath = folder / f"{k}.pt", folder / f"{k}.json"
    model = make()
    if wpath.exists() and mpath.exists():
        model.load_state_dict(load_state(wpath))
        meta = json.loads(mpath.read_text())
    else:
        meta = dict(fit(model) or {})
        save_state(wpath, model.state_dict())
        atomic_write_bytes(mpath, json.dumps(meta, default=float).encode())
    model.eval()
    return model, meta
