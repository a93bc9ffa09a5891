"""The papermill runner: clean outputs, never touches the source, skips unchanged chapters."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from facerobust import runner

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
    assert runner.run(NB, out, "ci") is False  # cached: same source, params, code
    assert NB.read_bytes() == before  # the paired source is never written


def test_carriage_returns_collapse() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="a 10%\ra 50%\ra 100%\ndone\n")]
    nb.cells.append(cell)
    runner._clean(nb, "d", "ci")
    assert nb.cells[0].outputs[0]["text"] == "a 100%\ndone\n"


def test_parse_value() -> None:
    assert runner.parse_value("3") == 3
    assert runner.parse_value("0.5") == 0.5
    assert runner.parse_value("[1, 2]") == [1, 2]
    assert runner.parse_value("/data/celeba") == "/data/celeba"
    assert runner.parse_value("[mnist5k, fashion_mnist]") == ["mnist5k", "fashion_mnist"]  # YAML
    assert runner.parse_value("{a: 1}") == {"a": 1}
    assert runner.parse_value("[unclosed") == "[unclosed"
