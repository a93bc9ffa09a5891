"""The book's chapters as a dependency graph: which chapters' cached models each one reads.

A chapter declares what it reads once, as a top-level ``needs:`` list in its ``params/NN_name.yml``
(``needs: [01_attribute_networks]``), next to the parameters that pick those models. :func:`graph`
reads the declarations of the chapters in a build and refuses, in one line, a name that is not a
chapter of the book, a chapter that needs itself, and a cycle. The build (:mod:`facerobust.build`)
starts a chapter only when the chapters it needs that are part of the same build are done.
Used by the runner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .params import ParameterError, needs


class GraphError(ValueError):
    """A bad ``needs:`` declaration (unknown chapter, self-dependency, cycle); one line."""


def book_chapters(folder: Path) -> list[str]:
    """The chapter names (``NN_name``) whose sources lie in ``folder`` (``notebooks/``)."""
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.py"))


def declared(chapter: str, known: Iterable[str]) -> tuple[str, ...]:
    """``chapter``'s ``needs:``, each checked to be a chapter of ``known`` other than itself."""
    try:
        deps = needs(chapter)
    except ParameterError as exc:
        raise GraphError(str(exc)) from None
    names = set(known)
    for dep in deps:
        if dep == chapter:
            raise GraphError(f"params/{chapter}.yml: a chapter cannot need itself ({dep})")
        if dep not in names:
            raise GraphError(f"params/{chapter}.yml: needs {dep!r}, which is not a chapter of the book "
                             f"(known: {', '.join(sorted(names))})")
    return deps


def _cycle(edges: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """One dependency cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for dep in edges.get(node, ()):
            if state.get(dep) == 1:
                return [*path[path.index(dep):], dep] if dep in path else [node, dep]
            if dep not in state and (found := visit(dep, [*path, dep])):
                return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def graph(folder: Path) -> dict[str, tuple[str, ...]]:
    """``{chapter: chapters it needs}`` for every chapter in ``folder``, validated (no unknown
    name, no self-dependency, no cycle)."""
    names = book_chapters(folder)
    edges = {c: declared(c, names) for c in names}
    if (cycle := _cycle(edges)) is not None:
        raise GraphError("chapters need each other in a cycle: " + " -> ".join(cycle)
                         + " (fix their params/*.yml needs:)")
    return edges


def order(edges: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The chapters in an order where each comes after the ones it needs (ties by name)."""
    done: list[str] = []
    left = dict(edges)
    while left:
        ready = sorted(c for c, deps in left.items() if all(d not in left for d in deps))
        if not ready:
            raise GraphError(f"cycle among {', '.join(sorted(left))}")
        done += ready
        for c in ready:
            del left[c]
    return done
