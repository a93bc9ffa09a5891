"""Let the single-page HTML builder (``make pdf``) render myst-nb's hidden-input cells.

myst-nb registers how to write its ``HideCodeCellNode`` (a cell tagged ``hide-input``) for the
``html`` builder only, so ``jupyter-book build --builder singlehtml`` stops with "unknown node type:
HideCodeCellNode". This registers the same HTML writer for ``singlehtml``; the pages come out as
in the HTML book.
"""

from __future__ import annotations

from typing import Any


def setup(app: Any) -> dict[str, Any]:
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput

    handlers = (visit_HideCellInput, depart_HideCellInput)
    app.add_node(HideCodeCellNode, override=True, html=handlers, singlehtml=handlers)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
