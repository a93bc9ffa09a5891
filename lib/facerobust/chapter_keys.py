"""What an executed chapter is keyed by and what it holds: its up-to-date key, its stored metadata,
its thread count, its temp files.

A chapter's key (:func:`chapter_keys`) is the notebook source, profile, overrides and version, its
parameter values, the source of the import closure of its ``facerobust`` imports
(:mod:`facerobust.codehash`), the asset manifest, and the keys of the chapters it ``needs``; an
executed notebook whose metadata holds its key is up to date. Used by the runner (one chapter) and
the build (the graph of chapters).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml

from . import __version__, codehash
from .chapter_graph import graph
from .params import DEFAULT_THREADS, load
from .paths import repo_root

__all__ = ["INTERRUPTED", "chapter_keys", "digest", "stored", "temp_files", "threads_of"]

INTERRUPTED = 130  # exit code after SIGINT, as a shell reports it


def digest(nb_source: Path, profile: str, overrides: dict[str, Any]) -> str:
    """The notebook source, profile, overrides and version, the chapter's parameters (its params file's
    values; not its comments, nor the ``minutes:`` schedule estimate), the source of
    the import closure of the notebook's ``facerobust`` imports (:mod:`facerobust.codehash`) and
    the asset manifest."""
    h = hashlib.sha256()
    text = nb_source.read_bytes()
    h.update(text)
    h.update(repr((profile, sorted(overrides.items()), __version__)).encode())
    params = repo_root() / "params" / f"{nb_source.stem}.yml"
    if params.exists():
        values = yaml.safe_load(params.read_text()) or {}
        values.pop("minutes", None)
        h.update(json.dumps(values, sort_keys=True, default=str).encode())
    h.update(codehash.digest_modules(codehash.imports_of_source(text.decode())).encode())
    h.update((codehash.ROOT / "data" / "assets.json").read_bytes())
    return h.hexdigest()


def chapter_keys(folder: Path, names: list[str], profile: str, overrides: dict[str, Any]) -> dict[str, str]:
    """The up-to-date key of each chapter in ``names``: its own :func:`digest` combined with the
    keys of the chapters it needs, so a chapter reruns when a chapter whose models it reads does."""
    edges = graph(folder)
    keys: dict[str, str] = {}

    def key(name: str) -> str:
        if name not in keys:
            h = hashlib.sha256(digest(folder / f"{name}.py", profile, overrides).encode())
            for dep in edges.get(name, ()):
                h.update(f"{dep}={key(dep)}".encode())
            keys[name] = h.hexdigest()
        return keys[name]

    return {n: key(n) for n in names}


def stored(output: Path) -> dict[str, Any]:
    """The ``facerobust`` metadata of an executed chapter (``{}`` if none or unreadable)."""
    try:
        meta = json.loads(output.read_bytes()).get("metadata", {}).get("facerobust", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return meta if isinstance(meta, dict) else {}


def threads_of(chapter: str, profile: str, overrides: dict[str, Any]) -> int:
    """The cores the chapter occupies: the thread count ``session.start`` gives it (its profile's
    ``threads`` after the overrides, else ``session.start``'s default), or every core when it fans
    out on a local Ray instance (``cluster: local``), which takes them all."""
    p = load(chapter, profile, {k: v for k, v in overrides.items() if k in ("threads", "cluster")})
    value = p.get("threads")
    threads = int(value) if isinstance(value, int) and value > 0 else DEFAULT_THREADS
    return max(threads, os.cpu_count() or 1) if p.get("cluster") == "local" else threads


def temp_files(output: Path) -> tuple[Path, Path]:
    """The input and output temp notebooks of a run into ``output`` (hidden, beside it)."""
    return output.with_name(f".{output.stem}.in.ipynb"), output.with_name(f".{output.stem}.out.ipynb")
