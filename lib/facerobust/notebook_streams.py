"""A cell's stream outputs as a reader sees them: merged per stream, progress bars at their end.

The kernel sends every write to stdout/stderr as its own message, so a tqdm bar refreshed three
times arrives as four outputs (``\r  0%|...``, ``\r 36%|...``, ...). Jupyter, nbval and the book's
HTML (``nb_merge_streams``) merge a cell's outputs of one stream before showing them; collapsing the
carriage returns output by output (as the runner once did) left each state on its own, and the
merged text then showed them all, one after another. Merging first, then collapsing, leaves the
final line. Used by :mod:`facerobust.runner`.
"""

from __future__ import annotations

import re
from typing import Any

_CR = re.compile(r"[^\n]*\r(?!\n)")  # text that a carriage return (not a CRLF) overwrites


def coalesce(outputs: list[Any]) -> list[Any]:
    """Merge every stream output of a cell into the first of its name (stdout, stderr), then drop
    what a carriage return overwrites: what nbval compares and what the book's HTML shows
    (``nb_merge_streams``), so a progress bar written in several messages ends as one line."""
    merged: list[Any] = []
    first: dict[str, Any] = {}
    for out in outputs:
        if out.get("output_type") != "stream":
            merged.append(out)
        elif out["name"] in first:
            first[out["name"]]["text"] += out["text"]
        else:
            first[out["name"]] = out
            merged.append(out)
    for out in first.values():
        out["text"] = _CR.sub("", out["text"])
    return merged


