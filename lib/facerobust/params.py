"""Chapter parameters: three profiles per chapter (``ci``, ``default``, ``full``).

Each chapter ``notebooks/NN_name.py`` has ``params/NN_name.yml`` with one section per profile,
and optionally a top-level ``needs:`` list naming the chapters whose cached models it reads (the
book's build runs those first; see :mod:`facerobust.chapter_graph`) and a top-level ``minutes:``
mapping, the wall minutes a profile took on the book's machine (the build's schedule estimate on a
fresh clone, before any executed notebook holds a measured time).
A notebook's ``parameters`` cell holds ``profile`` and ``overrides``; :func:`load` merges them,
rejects unknown profiles and names, and checks that data paths exist, with a one-line
:class:`ParameterError` naming the parameter. Used by every chapter and by the runner.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .paths import repo_root

PROFILES = ("ci", "default", "full")
TOP_LEVEL = (*PROFILES, "needs", "minutes")
DEFAULT_THREADS = 2  # session.start's thread count for a chapter whose profile has no `threads`


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


_Safe: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when built with it


class _UniqueKeyLoader(_Safe):
    """YAML's safe loader, refusing a key written twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            k = self.construct_object(key_node, deep=deep)
            if k in seen:
                raise ParameterError(f"key {k!r} is written twice (line {key_node.start_mark.line + 1})")
            seen.add(k)
        return super().construct_mapping(node, deep=deep)


@functools.lru_cache(maxsize=256)
def _parse(name: str, text: str) -> Any:
    """The YAML ``text`` of file ``name``, parsed once per content (a build reads every chapter's
    file several times)."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader) or {}  # a SafeLoader
    except ParameterError as exc:
        raise ParameterError(f"{name}: {exc}") from None


def _raw(chapter: str) -> dict[str, Any]:
    path = params_file(chapter)
    if not path.exists():
        raise ParameterError(f"chapter {chapter!r} has no parameter file {path}")
    raw = copy.deepcopy(_parse(path.name, path.read_text()))
    if not isinstance(raw, dict):
        raise ParameterError(f"{path.name} must be a mapping of profiles")
    unknown = [str(k) for k in raw if k not in TOP_LEVEL]
    if unknown:
        raise ParameterError(f"{path.name}: unknown top-level key(s) {', '.join(unknown)} "
                             f"(known: {', '.join(TOP_LEVEL)})")
    return raw


def profiles(chapter: str) -> dict[str, dict[str, Any]]:
    """All three profiles of a chapter as plain dicts."""
    raw = _raw(chapter)
    missing = [p for p in PROFILES if p not in raw]
    if missing:
        raise ParameterError(f"{params_file(chapter).name} lacks profile(s) {', '.join(missing)}")
    return {p: dict(raw[p] or {}) for p in PROFILES}


def needs(chapter: str) -> tuple[str, ...]:
    """The chapters whose cached models ``chapter`` reads (its file's top-level ``needs:`` list;
    empty when absent). Names are checked against the book's chapters by the build."""
    value = _raw(chapter).get("needs") or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ParameterError(f"{params_file(chapter).name}: needs must be a list of chapter names "
                             f"(e.g. [01_attribute_networks]), got {value!r}")
    return tuple(value)


def minutes(chapter: str, profile: str) -> float | None:
    """The wall minutes ``profile`` of ``chapter`` took on the book's machine (its file's top-level
    ``minutes:`` mapping), or None where the file does not say."""
    value = _raw(chapter).get("minutes") or {}
    if not isinstance(value, dict) or not all(k in PROFILES and isinstance(v, (int, float)) and v >= 0
                                              for k, v in value.items()):
        raise ParameterError(f"{params_file(chapter).name}: minutes must map profiles to wall minutes "
                             f"(e.g. {{ci: 0.5, default: 12}}), got {value!r}")
    got = value.get(profile)
    return None if got is None else float(got)


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
