"""Progress bars that inform a reader without flooding the rendered page.

Every long loop in the book (training, attacks, GAN projection) goes through :func:`progress`.
Under papermill the bar refreshes rarely and the runner keeps only its final state.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, **kwargs: Any) -> Any:
    """A tqdm bar on stderr: ASCII, 80 columns, at most one refresh every few seconds."""
    interactive = sys.stderr.isatty()
    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, ascii=True, ncols=80,
                mininterval=0.5 if interactive else 5.0, leave=True, **kwargs)
