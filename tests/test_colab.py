"""Colab (issue 29): every executed page's launch button opens a notebook that exists in the
repository, and the hidden first cell of every chapter sets Colab up and does nothing elsewhere.

The theme (sphinx-book-theme) builds the button's URL from the page's path, ``.../blob/{branch}/
book/chapters/NN_name.ipynb``, an executed chapter that is a build output and not committed. The local
extension ``book/_ext/colab_button.py`` points it at ``.../blob/{branch}/colab/NN_name.ipynb``
instead: the unexecuted notebook ``tools/colab_notebooks.py`` (``make colab``) writes from
``notebooks/NN_name.py``, committed. These tests check that every chapter's path is a file git tracks,
that each is in step with its source, and (on a built book) that the button carries that URL.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([*(ROOT / "notebooks").glob("[0-9][0-9]_*.py"), *(ROOT / "notebooks").glob("[A-Z]_*.py")])
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))
import colab_notebooks  # noqa: E402  (tools/ is not a package)

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import colab_button  # noqa: E402  (the book's local Sphinx extension)


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def colab_url(page: str) -> str:
    """The URL of the Colab button on ``page`` (a docname such as ``book/chapters/00_setup_and_data``):
    the committed notebook ``colab/00_setup_and_data.ipynb`` (the theme's would be ``{page}.ipynb``)."""
    repo = CONFIG["repository"]
    org_repo = repo["url"].removeprefix("https://github.com/").strip("/")
    base = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    return f"{base}/github/{org_repo}/blob/{repo['branch']}/colab/{Path(page).name}.ipynb"


def _executed_pages() -> list[str]:
    return [f for f in _toc_files() if (ROOT / "notebooks" / f"{Path(f).name}.py").exists()]


def _tracked(path: str) -> bool:
    out = subprocess.run(["git", "ls-files", "--error-unmatch", path], cwd=ROOT, capture_output=True)
    return out.returncode == 0


def _first_code_cell(path: Path) -> jupytext.jupytext.NotebookNode:
    return next(c for c in jupytext.read(path).cells if c.cell_type == "code")


def test_every_executed_page_is_in_the_toc_and_has_a_source() -> None:
    pages = _executed_pages()
    assert sorted(Path(p).name for p in pages) == [p.stem for p in PAGES]
    assert all(p.startswith("book/chapters/") for p in pages)


def test_launch_block_has_colab_and_no_empty_provider() -> None:
    launch = CONFIG["launch_buttons"]
    assert launch.get("colab_url") == "https://colab.research.google.com"
    assert all(v not in ("", None) for v in launch.values()), "an empty provider renders an empty menu"
    assert colab_url("book/chapters/07_defense_gan") == (
        "https://colab.research.google.com/github/facerobust/facerobust-book/blob/main/"
        "colab/07_defense_gan.ipynb")


def _colab_paths() -> list[str]:
    return [colab_url(p).split(f"/blob/{CONFIG['repository']['branch']}/", 1)[1] for p in _executed_pages()]


def test_colab_paths_are_notebooks_tracked_by_git() -> None:
    paths = _colab_paths()
    assert len(paths) == len(PAGES)
    missing = [p for p in paths if not _tracked(p)]
    assert not missing, f"Colab buttons point at files git does not track (make colab, commit): {missing}"


@pytest.mark.parametrize("path", _colab_paths(), ids=lambda p: Path(p).stem)
def test_colab_notebook_is_unexecuted_and_starts_with_the_hidden_colab_cell(path: str) -> None:
    nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), f"{path}: has outputs"
    source = ROOT / "notebooks" / f"{Path(path).stem}.py"
    first = _first_code_cell(source)
    assert "".join(code[0]["source"]) == first.source and '"google.colab" in sys.modules' in first.source
    assert code[0]["metadata"].get("tags") == ["remove-cell"], f"{path}: the Colab cell is not hidden"


def test_colab_notebooks_are_in_step_with_their_sources() -> None:
    assert colab_notebooks.stale(ROOT) == [], "colab/ is out of date: run `make colab` and commit it"


def test_colab_check_names_stale_missing_and_orphaned_files(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    for p in PAGES[:2]:
        (tmp_path / "notebooks" / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    assert colab_notebooks.stale(tmp_path) == [
        f"colab/{p.stem}.ipynb: missing (source notebooks/{p.name})" for p in PAGES[:2]]
    written = colab_notebooks.write(tmp_path)
    assert [p.name for p in written] == [f"{p.stem}.ipynb" for p in PAGES[:2]]
    assert colab_notebooks.stale(tmp_path) == [] and colab_notebooks.write(tmp_path) == []
    first = tmp_path / "colab" / f"{PAGES[0].stem}.ipynb"
    first.write_text(first.read_text(encoding="utf-8").replace("google.colab", "google.kolab"))
    (tmp_path / "colab" / "99_gone.ipynb").write_text("{}")
    assert colab_notebooks.stale(tmp_path) == [
        f"colab/{PAGES[0].stem}.ipynb: stale (differs from notebooks/{PAGES[0].name})",
        "colab/99_gone.ipynb: no source notebooks/99_gone.py"]
    assert not list(tmp_path.joinpath("colab").glob(".*")), "no temporary file is left behind"


def test_extension_rewrites_only_a_chapter_colab_url() -> None:
    theme = "https://colab.research.google.com/github/facerobust/facerobust-book/blob/main/book/chapters/"
    page = "book/chapters/07_defense_gan"
    assert colab_button.rewrite_url(f"{theme}07_defense_gan.ipynb", "main", page) == colab_url(page)
    assert colab_url(page).endswith("/blob/main/colab/07_defense_gan.ipynb")
    assert colab_button.colab_path("book/intro") is None and colab_button.colab_path("book/api") is None
    assert colab_button.rewrite_url(f"{theme}07_defense_gan.ipynb", "main", "book/intro") is None
    assert colab_button.rewrite_url(f"{theme}08_advhat.ipynb", "main", page) is None  # not this page's


def test_extension_changes_the_colab_button_of_the_context_and_nothing_else() -> None:
    theme = "https://colab.research.google.com/github/facerobust/facerobust-book/blob/main/book/chapters/"
    other = {"label": "download-buttons", "buttons": [{"url": "../../_sources/x.ipynb"}]}
    buttons = [{"text": "Binder", "url": "https://mybinder.org/x"},
               {"text": "Colab", "url": f"{theme}07_defense_gan.ipynb"}]
    launch = {"label": "launch-buttons", "buttons": buttons}
    context = {"header_buttons": [json.loads(json.dumps(other)), launch]}
    app = SimpleNamespace(srcdir=str(ROOT), config=SimpleNamespace(html_theme_options={
        "launch_buttons": CONFIG["launch_buttons"], "repository_branch": "main"}))
    page = "book/chapters/07_defense_gan"
    colab_button.redirect_colab(app, page, "page.html", context, None)
    assert context["header_buttons"][0] == other
    assert [b["url"] for b in buttons] == ["https://mybinder.org/x", colab_url(page)]


@pytest.mark.book
@pytest.mark.skipif(not (HTML / "index.html").exists(), reason="no built book (make html)")
@pytest.mark.parametrize("page", _executed_pages())
def test_built_button_points_where_the_test_expects(page: str) -> None:
    html = (HTML / f"{page}.html")
    if not html.exists():
        pytest.skip(f"{page} not in this build")
    text = html.read_text(encoding="utf-8")
    hrefs = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', text)
    assert hrefs == [colab_url(page)]
    # the extension changes that one link: the download and repository buttons stay the theme's
    assert f'href="../../_sources/{page}.ipynb"' in text
    assert f'href="{CONFIG["repository"]["url"]}"' in text


# -- the hidden first cell -------------------------------------------------------------------------
def test_first_code_cell_is_the_same_hidden_colab_cell_everywhere() -> None:
    cells = [_first_code_cell(p) for p in PAGES]
    assert all(c.source == cells[0].source for c in cells), "the Colab cell differs between chapters"
    assert all(c.metadata.get("tags") == ["remove-cell"] for c in cells)
    assert '"google.colab" in sys.modules' in cells[0].source
    assert CONFIG["repository"]["url"] in cells[0].source, "the cell clones the repository the book names"
    assert len(cells[0].source.splitlines()) <= 15


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_colab_cell_comes_before_the_parameters_cell(path: Path) -> None:
    code = [c for c in jupytext.read(path).cells if c.cell_type == "code"]
    assert "parameters" in code[1].metadata.get("tags", []), "papermill's parameters cell follows it"


_PROBE = textwrap.dedent("""
    import json, os, subprocess, sys
    calls = []
    subprocess.run = lambda cmd, **kw: calls.append([str(c) for c in cmd])
    os.chdir = lambda d: calls.append(["chdir", str(d)])
    os.path.isdir = lambda d: False
    if sys.argv[1] == "colab":
        import types
        sys.modules["google.colab"] = types.ModuleType("google.colab")
    path_before, modules_before = list(sys.path), set(sys.modules)
    exec(compile(open(sys.argv[2]).read(), "colab_cell", "exec"), {"__name__": "__main__"})
    print(json.dumps({"calls": calls, "path_added": [p for p in sys.path if p not in path_before],
                      "new_modules": sorted(set(sys.modules) - modules_before)}))
""")


def _run_cell(tmp_path: Path, mode: str) -> dict:
    src = tmp_path / "cell.py"
    src.write_text(_first_code_cell(PAGES[0]).source)
    out = subprocess.run([sys.executable, "-c", _PROBE, mode, str(src)], capture_output=True, text=True,
                         check=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
    return json.loads(out.stdout)


def test_colab_cell_is_a_no_op_outside_colab(tmp_path: Path) -> None:
    got = _run_cell(tmp_path, "plain")
    assert got == {"calls": [], "path_added": [], "new_modules": []}


def test_colab_cell_on_colab_clones_sets_up_and_moves_to_the_notebooks(tmp_path: Path) -> None:
    calls = _run_cell(tmp_path, "colab")["calls"]
    repo = "/content/facerobust-book"
    assert calls[0][:2] == ["git", "clone"] and calls[0][-2:] == [CONFIG["repository"]["url"], repo]
    assert calls[1][1:] == [f"{repo}/tools/colab_setup.py"]
    assert calls[2] == ["chdir", f"{repo}/notebooks"]


def test_colab_setup_installs_the_library_and_the_checksummed_packages() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "colab_setup.py"), "--dry-run"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 2
    manifest = json.loads((ROOT / "lib" / "facerobust" / "data" / "assets.json").read_text())
    for s in manifest["sources"]:
        if s["registry"] == "pypi-installed":
            assert f"{s['package']}=={s['version']}" in out[0].split()
    assert out[0].endswith(f"-e {ROOT}[notebooks]") and "torch" not in out[0].split()
    assert out[1].endswith("-m facerobust.data.assets fetch --quiet")
