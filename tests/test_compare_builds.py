"""tools/compare_builds.py: two builds of a chapter compare equal, and a changed verdict or a changed
output-checked cell is found (issue 28's idle-vs-loaded check relies on it)."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("compare_builds", ROOT / "tools" / "compare_builds.py")
assert spec and spec.loader
cb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cb)

TABLE = ('<table><thead><tr><th></th><th>id</th><th>claim</th><th>this book</th><th>rule</th>'
         '<th>verdict</th></tr></thead><tbody><tr><th>0</th><td>X1</td><td>a claim</td><td>0.91</td>'
         '<td>rate >= 0.9</td><td>VERDICT</td></tr></tbody></table>')


def _nb(verdict: str, checked: str) -> dict:
    cells = [
        {"cell_type": "code", "id": "a", "metadata": {"tags": ["nbval-check-output"]}, "source": "x",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": checked}]},
        {"cell_type": "code", "id": "b", "metadata": {}, "source": "y",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "took 3.2 s"}]},
        {"cell_type": "code", "id": "c", "metadata": {}, "source": "table",
         "outputs": [{"output_type": "execute_result",
                      "data": {"text/html": TABLE.replace("VERDICT", verdict), "text/plain": "table"}}]},
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _write(folder: Path, nb: dict) -> Path:
    folder.mkdir()
    (folder / "01_x.ipynb").write_text(json.dumps(nb))
    return folder


def test_equal_builds_and_the_differences_that_matter(tmp_path: Path) -> None:
    rules = cb.sanitizers(ROOT / "tests" / "nbval-sanitize.cfg")
    base = _nb("holds", "acc 0.91")
    a = _write(tmp_path / "a", base)
    slower = copy.deepcopy(base)
    slower["cells"][1]["outputs"][0]["text"] = "took 9.9 s"  # a wall time: sanitized away
    assert cb.main([str(a), str(_write(tmp_path / "b", slower))]) == 0
    assert cb.claims_rows(base["cells"][2]) == {"X1": ("0.91", "holds")}
    other = _write(tmp_path / "c", _nb("does not hold", "acc 0.91"))
    hard, _ = cb.compare(a / "01_x.ipynb", other / "01_x.ipynb", rules)
    assert hard == ["claim X1: ('0.91', 'holds') vs ('0.91', 'does not hold')"]
    other = _write(tmp_path / "d", _nb("holds", "acc 0.92"))
    hard, _ = cb.compare(a / "01_x.ipynb", other / "01_x.ipynb", rules)
    assert hard == ["cell 0 (a) output differs"]
