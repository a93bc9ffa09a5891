"""Write ``colab/NN_name.ipynb``, the notebooks the Colab launch buttons open (issue 29).

Each executed page (``notebooks/NN_name.py``, ``notebooks/A_name.py``) gets a plain, unexecuted
notebook made by jupytext from its source: no outputs, the source's cells with their ``tags`` and
``mystnb`` metadata (so the first code cell is the hidden Colab set-up cell), only ``kernelspec`` as
notebook metadata (no jupytext pairing, so opening one in Jupyter creates no ``colab/*.py``) and cell
ids numbered in order, so the same source always gives the same bytes. The executed chapters in
``book/chapters/`` are build outputs and not committed; these are, and ``book/_ext/colab_button.py``
points the buttons here.

    python tools/colab_notebooks.py          # (re)write colab/ (`make colab`)
    python tools/colab_notebooks.py --check  # exit 1 naming every stale, missing or orphaned file
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import jupytext
import nbformat
from facerobust import cache

ROOT = Path(__file__).resolve().parents[1]


def sources(root: Path = ROOT) -> list[Path]:
    """The executed pages' sources: chapters ``NN_name.py``, then appendix pages ``A_name.py``."""
    nb = root / "notebooks"
    return sorted(nb.glob("[0-9][0-9]_*.py")) + sorted(nb.glob("[A-Z]_*.py"))


def render(source: Path) -> str:
    """The Colab notebook of ``source`` as text (deterministic: same source, same bytes)."""
    nb = jupytext.read(source)
    nb.metadata = {"kernelspec": nb.metadata["kernelspec"]}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    return nbformat.writes(nb, version=4) + "\n"


def stale(root: Path = ROOT) -> list[str]:
    """Every ``colab/`` file out of step with its source, as ``path: reason`` (empty when in sync)."""
    out, problems = root / "colab", []
    expected = {out / f"{s.stem}.ipynb": s for s in sources(root)}
    for path, source in expected.items():
        rel = path.relative_to(root)
        if not path.exists():
            problems.append(f"{rel}: missing (source {source.relative_to(root)})")
        elif json.loads(path.read_text(encoding="utf-8")) != json.loads(render(source)):
            problems.append(f"{rel}: stale (differs from {source.relative_to(root)})")
    for path in sorted(out.glob("*.ipynb")) if out.is_dir() else []:
        if path not in expected:
            problems.append(f"{path.relative_to(root)}: no source notebooks/{path.stem}.py")
    return problems


def write(root: Path = ROOT) -> list[Path]:
    """(Re)write every Colab notebook whose text changed and remove orphans; return what changed."""
    out = root / "colab"
    out.mkdir(exist_ok=True)
    changed, expected = [], set()
    for source in sources(root):
        path = out / f"{source.stem}.ipynb"
        expected.add(path)
        text = render(source)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            cache.atomic_write_bytes(path, text.encode("utf-8"))
            changed.append(path)
    for path in sorted(out.glob("*.ipynb")):
        if path not in expected:
            path.unlink()
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if colab/ is out of date")
    args = ap.parse_args(argv)
    if args.check:
        problems = stale()
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print("run `make colab` and commit colab/", file=sys.stderr)
        return 1 if problems else 0
    for path in write():
        print(f"{'wrote' if path.exists() else 'removed'} {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
