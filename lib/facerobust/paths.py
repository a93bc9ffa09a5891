"""Where the book keeps things: repository root, asset cache, trained-model cache.

Overridable by environment variables so a reader can keep large caches elsewhere:
``FACEROBUST_ROOT`` (repository), ``FACEROBUST_ASSETS`` (fetched assets),
``FACEROBUST_CACHE`` (trained models and other computed artefacts). Used by every chapter.
"""

from __future__ import annotations

import os
from pathlib import Path


def _checkout_of(start: Path) -> Path | None:
    """The facerobust checkout (a folder with ``params/`` and ``lib/facerobust/``) holding ``start``."""
    for d in (start, *start.parents):
        if (d / "params").is_dir() and (d / "lib" / "facerobust").is_dir():
            return d
    return None


def repo_root() -> Path:
    """The repository folder (holds ``params/``, ``notebooks/``, ``book/``).

    ``FACEROBUST_ROOT`` if set, else the checkout the package was imported from. When the
    working directory is inside a *different* checkout (two clones sharing one venv), this raises
    instead of silently reading the other checkout's ``params/``.
    """
    env = os.environ.get("FACEROBUST_ROOT")
    if env:
        return Path(env)
    pkg_root = Path(__file__).resolve().parents[2]
    try:
        here = _checkout_of(Path.cwd().resolve())
    except OSError:  # the working directory was removed
        here = None
    if here is not None and here != pkg_root:
        raise RuntimeError(
            f"facerobust is imported from {pkg_root} but you are working in another checkout, {here}: "
            f"its params/ would not be read. Install this checkout (pip install -e {here}) or set "
            f"FACEROBUST_ROOT={here}"
        )
    return pkg_root


def assets_dir() -> Path:
    """Verified copies of the registry assets (filled by ``make assets``)."""
    env = os.environ.get("FACEROBUST_ASSETS")
    return Path(env) if env else repo_root() / ".assets"


def cache_dir() -> Path:
    """Trained models and computed artefacts, keyed by configuration and code hash."""
    env = os.environ.get("FACEROBUST_CACHE")
    return Path(env) if env else repo_root() / ".cache"
