"""Figures, tables, code blocks and equations numbered per chapter, with the chapter's file number.

Sphinx derives figure numbers from the toctree's section numbers. The book's toctree is not
numbered (each chapter's number is part of its title, "7. Defense-GAN", and the first chapter is 0),
so Sphinx counts across the whole book ("Fig. 37"). Once Sphinx has assigned its numbers (event
``env-get-updated``), this extension renumbers each page from 1 and prefixes the number its file
name starts with: ``book/chapters/07_defense_gan`` gives "Fig. 7.3" and equation (7.2), the
appendix ``book/chapters/A_your_own_model`` gives "Fig. A.1". The number a reader sees is the
number of the file they rerun. Pages without one (introduction, related work) count from 1.
"""

from __future__ import annotations

import re
from typing import Any

CHAPTER = re.compile(r"(?:^|/)(\d\d|[A-Z])_[^/]+$")


def chapter_label(docname: str) -> int | str | None:
    """0-99 for ``NN_name`` pages, the letter for appendix ``A_name`` pages, else None."""
    m = CHAPTER.search(docname)
    if m is None:
        return None
    tag = m.group(1)
    return int(tag) if tag.isdigit() else tag


def renumber(app: Any, env: Any) -> list[str]:
    for docname, kinds in env.toc_fignumbers.items():
        prefix = chapter_label(docname)
        for kind, numbers in kinds.items():
            order = sorted(numbers, key=lambda node_id: numbers[node_id])
            kinds[kind] = {node_id: (n,) if prefix is None else (prefix, n)
                           for n, node_id in enumerate(order, 1)}
    return []


def setup(app: Any) -> dict[str, Any]:
    app.connect("env-get-updated", renumber, priority=900)  # after Sphinx's own numbering (500)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
