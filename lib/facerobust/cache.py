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
import sys
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


class CorruptCacheEntry(ValueError):
    """A cached file that cannot be read (truncated, not a state dict, wrong keys); names its path."""


def load_state(path: Path) -> dict[str, Any]:
    """``torch.load(weights_only=True)`` of a cached state dict; a file that cannot be read raises
    :class:`CorruptCacheEntry` naming the path and the fix (delete it and it is rebuilt)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, stream error, unpickling error
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise CorruptCacheEntry(f"corrupt cache entry {path} ({type(exc).__name__}: {first}); "
                                f"delete it: rm {path}") from exc
    if not isinstance(state, dict):
        raise CorruptCacheEntry(f"corrupt cache entry {path}: not a state dict; delete it: rm {path}")
    return state


def _read_entry(model: nn.Module, wpath: Path, mpath: Path) -> dict[str, Any] | None:
    """Weights and metadata of a cache entry, or None (after saying so on stderr and deleting the
    entry) when either file is corrupt, so the caller retrains."""
    init = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        state = load_state(wpath)
        try:
            model.load_state_dict(state)
            meta = json.loads(mpath.read_text())
        except (RuntimeError, ValueError, UnicodeDecodeError) as exc:
            raise CorruptCacheEntry(f"corrupt cache entry {wpath} / {mpath.name} "
                                    f"({type(exc).__name__}); delete it: rm {wpath} {mpath}") from exc
        if not isinstance(meta, dict):
            raise CorruptCacheEntry(f"corrupt cache entry {mpath}: not a JSON object; delete it: rm {mpath}")
        return meta
    except CorruptCacheEntry as exc:
        print(f"warning: {exc}; removing it and retraining", file=sys.stderr, flush=True)
        model.load_state_dict(init)  # undo a partial load: training starts from make()'s weights
        wpath.unlink(missing_ok=True)
        mpath.unlink(missing_ok=True)
        return None


def lookup(name: str, config: Mapping[str, Any], make: Callable[[], nn.Module], code: Iterable[Any] = (),
           root: Path | None = None) -> tuple[nn.Module, dict[str, Any]] | None:
    """The entry :func:`cached_module` would load (module in eval mode, metadata), or None if it is
    not cached (a corrupt entry is reported and removed, as there). Trains nothing: for callers
    that train the missing entries elsewhere (e.g. as parallel tasks) and store them afterwards."""
    k = key(name, config, code)
    folder = (root or cache_dir()) / "models"
    wpath, mpath = folder / f"{k}.pt", folder / f"{k}.json"
    if not (wpath.exists() and mpath.exists()):
        return None
    model = make()
    meta = _read_entry(model, wpath, mpath)
    if meta is None:
        return None
    model.eval()
    return model, meta


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
    history), which is stored beside the weights as JSON. A corrupt entry (truncated ``.pt``,
    unreadable JSON, mismatched weights) is reported on stderr with its path, removed and retrained.
    """
    k = key(name, config, code)
    folder = (root or cache_dir()) / "models"
    wpath, mpath = folder / f"{k}.pt", folder / f"{k}.json"
    model = make()
    meta = _read_entry(model, wpath, mpath) if wpath.exists() and mpath.exists() else None
    if meta is None:
        meta = dict(fit(model) or {})
        save_state(wpath, model.state_dict())
        atomic_write_bytes(mpath, json.dumps(meta, default=float).encode())
    model.eval()
    return model, meta
