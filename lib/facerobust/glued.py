"""Numbers for the prose, visible in plain Jupyter too.

The book's prose quotes computed values with ``{glue:text}`name``` roles; ``myst_nb.glue(...,
display=False)`` stores them without showing them, so a reader who opens the notebook in JupyterLab or
Colab would not see the numbers the prose talks about. :func:`show` glues every value and prints them on
one line, ``name = value``, so each section's numbers appear in a cell output as well.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, Integral):
        return str(value)
    if isinstance(value, Real):
        return f"{float(value):.4g}"
    return str(value)


def show(**values: Any) -> None:
    """Glue each keyword as a ``{glue:text}`` value and print ``name = value`` for all of them.

    Example::

        glued.show(clean_acc=0.991, n_faces=24)   # prints: clean_acc = 0.991  n_faces = 24
    """
    from myst_nb import glue

    if not values:
        raise ValueError("show() needs at least one name=value")
    for name, value in values.items():
        glue(name, value, display=False)
    print("  ".join(f"{name} = {_fmt(v)}" for name, v in values.items()))
