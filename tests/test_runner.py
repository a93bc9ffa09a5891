"""The papermill runner: clean outputs, never touches the source, skips unchanged chapters."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from facerobust import chapter_keys, runner

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "00_setup_and_data.py"


@pytest.mark.slow
def test_run_then_skip_when_unchanged(tmp_path) -> None:
    out = tmp_path / "00.ipynb"
    before = NB.read_bytes()
    assert runner.run(NB, out, "ci") is True
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["facerobust"]["profile"] == "ci"
    assert "papermill" not in nb.metadata
    assert all("papermill" not in c.metadata and "execution" not in c.metadata for c in nb.cells)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "profile = \"ci\"" in injected[0].source
    meta = nb.metadata["facerobust"]
    assert meta["wall_s"] > 0 and meta["cpu_s"] > 0 and meta["threads"] >= 1  # the run-time table's
    assert runner.run(NB, out, "ci") is False  # cached: same source, params, code
    assert NB.read_bytes() == before  # the paired source is never written


def test_carriage_returns_collapse() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="a 10%\ra 50%\ra 100%\ndone\n")]
    nb.cells.append(cell)
    runner._clean(nb, "d", "ci")
    assert nb.cells[0].outputs[0]["text"] == "a 100%\ndone\n"


def test_a_progress_bar_sent_in_several_messages_ends_as_one_line() -> None:
    """The kernel sends each tqdm refresh as its own stream output; collapsing each alone left every
    state (0%, 36%, ...) to be shown one after another once the book merged them."""
    out = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [out("stream", name="stderr", text="\rbar   0%|   | 0/9"),
                    out("stream", name="stdout", text="training\n"),
                    out("stream", name="stderr", text="\rbar  36%|#  | 3/9"),
                    out("display_data", data={"text/plain": "<Figure>"}),
                    out("stream", name="stderr", text="\rbar 100%|###| 9/9"),
                    out("stream", name="stderr", text="\n"),
                    out("stream", name="stdout", text="done\r\n")]
    from myst_nb.core.utils import coalesce_streams as book_merge  # the HTML's nb_merge_streams

    def stderr_lines(outputs: list) -> list[str]:
        merged = book_merge(copy.deepcopy(outputs))
        return next(o["text"] for o in merged if o.get("name") == "stderr").splitlines()

    assert len(stderr_lines(cell.outputs)) == 3  # the book puts each message on its own line
    nb = nbformat.v4.new_notebook(cells=[cell])
    runner._clean(nb, "d", "ci")
    got = [(o["output_type"], o.get("name"), o.get("text")) for o in nb.cells[0].outputs]
    assert got == [("stream", "stderr", "bar 100%|###| 9/9\n"), ("stream", "stdout", "training\ndone\r\n"),
                   ("display_data", None, None)]
    assert stderr_lines(nb.cells[0].outputs) == ["bar 100%|###| 9/9"]


def test_key_follows_the_chapters_it_needs(tmp_path, monkeypatch) -> None:
    """A chapter reruns when a chapter whose models it reads changes (and not for an unrelated one)."""
    (tmp_path / "params").mkdir()
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    prof = "ci: {seed: 0}\ndefault: {seed: 0}\nfull: {seed: 0}\n"
    for name, needs in (("01_a", ""), ("02_b", "needs: [01_a]\n"), ("03_c", "")):
        (tmp_path / "params" / f"{name}.yml").write_text(needs + prof)
        (nbs / f"{name}.py").write_text(f"# {name}\n")
    monkeypatch.setenv("FACEROBUST_ROOT", str(tmp_path))
    keys = chapter_keys.chapter_keys(nbs, ["01_a", "02_b", "03_c"], "ci", {})
    (nbs / "01_a.py").write_text("# 01_a, changed\n")
    after = chapter_keys.chapter_keys(nbs, ["01_a", "02_b", "03_c"], "ci", {})
    assert after["01_a"] != keys["01_a"] and after["02_b"] != keys["02_b"] and after["03_c"] == keys["03_c"]


def test_parse_value() -> None:
    assert runner.parse_value("3") == 3
    assert runner.parse_value("0.5") == 0.5
    assert runner.parse_value("[1, 2]") == [1, 2]
    assert runner.parse_value("/data/celeba") == "/data/celeba"
    assert runner.parse_value("[mnist5k, fashion_mnist]") == ["mnist5k", "fashion_mnist"]  # YAML
    assert runner.parse_value("{a: 1}") == {"a": 1}
    assert runner.parse_value("[unclosed") == "[unclosed"
