"""Chapter parameters: three profiles per chapter (``ci``, ``default``, ``full``).

Each chapter ``notebooks/NN_name.py`` has ``params/NN_name.yml`` with one section per profile.
A notebook's ``parameters`` cell holds ``profile`` and ``overrides``; :func:`load` merges them,
rejects unknown profiles and names, and checks that data paths exist, with a one-line
:class:`ParameterError` naming the parameter. Used by every chapter and by the runner.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .paths import repo_root

PROFILES = ("ci", "default", "full")


class ParameterError(ValueError):
    """A bad chapter parameter; the message is one line and names the parameter."""


class Params(Mapping[str, Any]):
    """Read-only parameters with attribute access (``P.epochs``)."""

    def __init__(self, chapter: str, profile: str, values: Mapping[str, Any]) -> None:
        self._values = MappingProxyType(dict(values))
        self.chapter = chapter
        self.profile = profile

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self.chapter} has no parameter {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Params[{self.chapter}:{self.profile}]({body})"


def params_file(chapter: str) -> Path:
    return repo_root() / "params" / f"{chapter}.yml"


def profiles(chapter: str) -> dict[str, dict[str, Any]]:
    """All three profiles of a chapter as plain dicts."""
    path = params_file(chapter)
    if not path.exists():
        raise ParameterError(f"chapter {chapter!r} has no parameter file {path}")
    raw = yaml.safe_load(path.read_text()) or {}
    missing = [p for p in PROFILES if p not in raw]
    if missing:
        raise ParameterError(f"{path.name} lacks profile(s) {', '.join(missing)}")
    return {p: dict(raw[p] or {}) for p in PROFILES}


def _is_path_param(name: str) -> bool:
    return name.endswith(("_root", "_path", "_dir"))


def load(chapter: str, profile: str, overrides: Mapping[str, Any] | None = None) -> Params:
    """Merge a chapter's profile with the reader's overrides and validate them."""
    if profile not in PROFILES:
        raise ParameterError(
            f"profile={profile!r} is not one of {', '.join(PROFILES)}"
        )
    values = profiles(chapter)[profile]
    for name, value in (overrides or {}).items():
        if name not in values:
            known = ", ".join(sorted(values))
            raise ParameterError(f"unknown parameter {name!r} for {chapter} (known: {known})")
        default = values[name]
        if default is not None and value is not None and not isinstance(value, type(default)):
            if not (isinstance(default, float) and isinstance(value, int)):
                raise ParameterError(
                    f"parameter {name!r} must be {type(default).__name__}, got {value!r}"
                )
        values[name] = value
    for name, value in values.items():
        if _is_path_param(name) and value is not None and not Path(str(value)).expanduser().exists():
            raise ParameterError(f"parameter {name!r}: path {value} does not exist")
    return Params(chapter, profile, values)
