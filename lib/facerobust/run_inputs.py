"""A run's inputs, checked before any kernel starts: ``-p`` values and the output path.

Every error is one line naming the bad parameter or path (the runner exits with code 2).
Used by :mod:`facerobust.runner`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml

from .params import ParameterError, profiles
from .paths import repo_root


def parse_value(text: str) -> Any:
    """A ``-p`` value: a Python literal if it parses as one; a YAML list or mapping as written in
    ``params/*.yml`` (``[mnist5k, fashion_mnist]``); else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    if text.lstrip().startswith(("[", "{")):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            pass
    return text


def check_overrides(chapter: str, overrides: dict[str, Any]) -> None:
    """Raise :class:`ParameterError` for an override the chapter's profiles rule out before any
    kernel starts: a bool for a number, NaN/inf, or a number below every profile's floor."""
    allp = profiles(chapter)
    for name, value in overrides.items():
        seen = [p[name] for p in allp.values() if name in p]
        nums = [v for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if not nums or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "an integer" if all(isinstance(v, int) for v in nums) else "a number"
            raise ParameterError(f"parameter {name!r} must be {kind}, got {value!r}")
        if value != value or value in (float("inf"), float("-inf")):
            raise ParameterError(f"parameter {name!r} must be finite, got {value!r}")
        low = min(nums)
        if (low > 0 and value <= 0) or (low >= 0 and value < 0):
            sign = "> 0" if low > 0 else ">= 0"
            raise ParameterError(f"parameter {name!r} must be {sign} (as in every profile), got {value!r}")


def check_output(notebook: Path, output: Path) -> None:
    """Raise ``ValueError`` unless ``output`` is a ``.ipynb`` outside the chapters' source folder."""
    out = output.expanduser().resolve()
    if out.suffix != ".ipynb":
        raise ValueError(f"output {output} must be a .ipynb file (a chapter's source is never overwritten)")
    sources = {notebook.expanduser().resolve().parent, (repo_root() / "notebooks").resolve()}
    if any(s == out.parent or s in out.parents for s in sources):
        raise ValueError(f"output {output} lies in the chapters' source folder; write it elsewhere "
                         "(e.g. _build/chapters/)")
    if out.exists() and out.is_dir():
        raise ValueError(f"output {output} is a folder")


