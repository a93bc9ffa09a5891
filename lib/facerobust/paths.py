"""Where the book keeps things: repository root, asset cache, trained-model cache.

Overridable by environment variables so a reader can keep large caches elsewhere:
``FACEROBUST_ROOT`` (repository), ``FACEROBUST_ASSETS`` (fetched assets),
``FACEROBUST_CACHE`` (trained models and other computed artefacts). Used by every chapter.
"""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The repository folder (holds ``params/``, ``notebooks/``, ``book/``)."""
    env = os.environ.get("FACEROBUST_ROOT")
    return Path(env) if env else Path(__file__).resolve().parents[2]


def assets_dir() -> Path:
    """Verified copies of the registry assets (filled by ``make assets``)."""
    env = os.environ.get("FACEROBUST_ASSETS")
    return Path(env) if env else repo_root() / ".assets"


def cache_dir() -> Path:
    """Trained models and computed artefacts, keyed by configuration and code hash."""
    env = os.environ.get("FACEROBUST_CACHE")
    return Path(env) if env else repo_root() / ".cache"
