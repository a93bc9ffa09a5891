"""Pairing the chapters for Jupyter users changes nothing: `jupytext --sync` leaves every committed
`notebooks/*.py` byte-identical, and a round trip .py -> .ipynb -> .py keeps the `parameters` tag and
the `mystnb` figure metadata the book needs (issue 19)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTEXT = Path(sys.executable).with_name("jupytext")
# chapters (NN_name.py) and appendix pages (A_name.py)
CHAPTERS = sorted([*(ROOT / "notebooks").glob("[0-9][0-9]_*.py"), *(ROOT / "notebooks").glob("[A-Z]_*.py")])


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the notebooks and jupytext.toml after `jupytext --sync` (as `make sync` runs it)."""
    top = tmp_path_factory.mktemp("sync")
    shutil.copy(ROOT / "jupytext.toml", top)
    (top / "notebooks").mkdir()
    for p in CHAPTERS:
        shutil.copy(p, top / "notebooks" / p.name)
    names = [f"notebooks/{p.name}" for p in CHAPTERS]
    subprocess.run([str(JUPYTEXT), "--sync", *names], cwd=top, check=True, capture_output=True)
    return top


def test_there_are_chapters() -> None:
    assert CHAPTERS, "no notebooks/NN_*.py found"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_sync_leaves_source_byte_identical(synced: Path, path: Path) -> None:
    after = (synced / "notebooks" / path.name).read_bytes()
    assert after == path.read_bytes(), (
        f"`jupytext --sync` rewrites {path.name}: commit it in the form jupytext writes "
        "(run `make sync` and commit the .py)")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_round_trip_keeps_parameters_tag_and_figure_metadata(synced: Path, path: Path) -> None:
    nb = json.loads((synced / "notebooks" / path.with_suffix(".ipynb").name).read_text(encoding="utf-8"))
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    assert sum("parameters" in t for t in tags) == 1, f"{path.name}: one cell tagged parameters"
    n_fig_src = path.read_text(encoding="utf-8").count("# %% mystnb=")
    n_fig_nb = sum("mystnb" in c["metadata"] for c in nb["cells"])
    assert n_fig_nb == n_fig_src, f"{path.name}: mystnb metadata lost in the .ipynb"
    # and back: .ipynb -> .py gives the committed source
    back = synced / "back.py"
    nb_path = synced / "notebooks" / path.with_suffix(".ipynb").name
    subprocess.run([str(JUPYTEXT), "--to", "py:percent", "-o", str(back), str(nb_path)],
                   cwd=synced, check=True, capture_output=True)
    assert back.read_bytes() == path.read_bytes(), f"{path.name}: .py -> .ipynb -> .py is not the identity"
