"""Cache of trained models and computed artefacts, keyed by configuration, code and data.

A cached item's key (:func:`key`) hashes its configuration (a dataclass or a mapping, as JSON), the
source of the import closure inside ``facerobust`` of the callables that produce it
(:func:`facerobust.codehash.digest`: ``make`` and ``fit``, through partials, lambdas and closures)
and the tensors and models those callables were handed (their training data), so changing any of
them retrains and nothing else does. No caller lists code. Writes are atomic (temp file +
``os.replace``) and weights are read with ``torch.load(weights_only=True)``.
Used by every chapter that trains a model or caches a result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from . import codehash, numerics
from .paths import cache_dir

Make = Callable[[], nn.Module]
Fit = Callable[[nn.Module], Mapping[str, Any] | None]


def _plain(config: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    if isinstance(config, Mapping):
        return dict(config)
    raise TypeError(f"a cache configuration is a dataclass or a mapping, got {type(config).__name__}")


class _Data:
    """sha256 of the tensors, arrays and models a producing callable holds, in the order met."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()

    def _tensor(self, t: torch.Tensor) -> None:
        self.h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        self.h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().data)

    def add(self, obj: object) -> None:
        if isinstance(obj, torch.Tensor):
            self._tensor(obj)
        elif isinstance(obj, np.ndarray):
            self.h.update(f"{obj.dtype}{obj.shape}".encode())
            self.h.update(np.ascontiguousarray(obj).reshape(-1).view(np.uint8).data)
        elif isinstance(obj, nn.Module):
            self.h.update(type(obj).__qualname__.encode())
            for k, v in obj.state_dict().items():
                self.h.update(k.encode())
                self._tensor(v)


def key(name: str, config: Any, *producers: object) -> str:
    """Stable key ``name-<hash>`` of a cache entry: its configuration (a dataclass or a JSON-able
    mapping), the import closure of the ``producers`` (the callables that build and train it) and
    the tensors and models they hold (the data they were given), the numerics mode
    (:func:`facerobust.numerics.mode`: a portable-mode run never reads a model trained with the
    CPU's native kernels, nor the other way round) and torch's CPU thread count (a float sum splits
    over threads differently, so one configuration trained on 1 and on 2 threads gives two models:
    which one a chapter reads must not depend on which chapter trained it first)."""
    data = _Data()
    code = codehash.digest(*producers, leaf=data.add)
    blob = json.dumps(_plain(config), sort_keys=True, default=str) + code + data.h.hexdigest()
    blob += f"|numerics={numerics.mode()}|threads={torch.get_num_threads()}"
    return f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def _seeded_build(build: Make, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return build()


def seeded(build: Make, seed: int) -> Make:
    """``build`` with the global torch seed fixed first, so the initial weights do not depend on
    what ran before (a ``make`` for :func:`cached_module`)."""
    return partial(_seeded_build, build, int(seed))


def _recorded(name: str, fit: Callable[[nn.Module], Any], model: nn.Module) -> dict[str, Any]:
    return {name: fit(model)}


def recorded(name: str, fit: Callable[[nn.Module], Any]) -> Fit:
    """``fit`` as a ``fit`` of :func:`cached_module` whose result (e.g. a list of losses) is stored
    as the metadata ``{name: result}``."""
    return partial(_recorded, name, fit)


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


def _paths(name: str, config: Any, make: Make, fit: Fit, root: Path | None) -> tuple[Path, Path]:
    k = key(name, config, make, fit)
    folder = (root or cache_dir()) / "models"
    return folder / f"{k}.pt", folder / f"{k}.json"


def lookup(name: str, config: Any, make: Make, fit: Fit,
           root: Path | None = None) -> tuple[nn.Module, dict[str, Any]] | None:
    """The entry :func:`cached_module` would load (module in eval mode, metadata), or None if it is
    not cached (a corrupt entry is reported and removed, as there). Trains nothing (``fit`` only
    keys the entry): for callers that train the missing entries elsewhere (e.g. as parallel tasks)
    and :func:`store` them afterwards."""
    wpath, mpath = _paths(name, config, make, fit, root)
    if not (wpath.exists() and mpath.exists()):
        return None
    model = make()
    meta = _read_entry(model, wpath, mpath)
    if meta is None:
        return None
    model.eval()
    return model, meta


def _write(model: nn.Module, meta: Mapping[str, Any], wpath: Path, mpath: Path) -> None:
    save_state(wpath, model.state_dict())
    atomic_write_bytes(mpath, json.dumps(dict(meta), default=float).encode())


def store(name: str, config: Any, make: Make, fit: Fit, state: Mapping[str, Any], meta: Mapping[str, Any],
          root: Path | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """Store weights ``state`` and metadata ``meta`` that ``fit`` produced elsewhere (a parallel task)
    under the entry of (``name``, ``config``, ``make``, ``fit``); returns ``make()`` with them, in
    eval mode."""
    wpath, mpath = _paths(name, config, make, fit, root)
    model = make()
    model.load_state_dict(dict(state))
    _write(model, meta, wpath, mpath)
    return model.eval(), dict(meta)


def cached_module(name: str, config: Any, make: Make, fit: Fit,
                  root: Path | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """Build ``make()``; load its weights from the cache, or ``fit`` it and cache them.

    The entry is keyed by :func:`key` (``config``, the code of ``make`` and ``fit``, the data they
    hold). Returns the module in eval mode and the metadata ``fit`` returned (e.g. a training
    history), which is stored beside the weights as JSON. A corrupt entry (truncated ``.pt``,
    unreadable JSON, mismatched weights) is reported on stderr with its path, removed and retrained.
    """
    wpath, mpath = _paths(name, config, make, fit, root)
    model = make()
    meta = _read_entry(model, wpath, mpath) if wpath.exists() and mpath.exists() else None
    if meta is None:
        meta = dict(fit(model) or {})
        _write(model, meta, wpath, mpath)
    model.eval()
    return model, meta
