"""The ExplainGAN studies as the chapter reads them (experiments/explaingan/studies.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from facerobust.experiments import claims as C
from facerobust.experiments.explaingan import studies


def _row(steps: int, k: int, verdict: str = C.FAILS) -> dict:
    return {
        "steps": steps,
        "k": k,
        "n": 800,
        "substituted_accuracy": k / 800,
        "E7": {"verdict": verdict, "ours": "-", "rule": "-"},
    }


def _steps(ks: list[int], last: str = C.FAILS) -> dict:
    rows = [_row(200 * 2**i, k) for i, k in enumerate(ks)]
    rows[-1]["E7"]["verdict"] = last
    return {"rows": rows, "ceiling": 0.985, "cpu_seconds": 600.0}


def test_settled_is_the_first_count_whose_interval_holds_every_later_value() -> None:
    assert studies.settled(_steps([400, 600, 700, 705])) == 800  # 700 -> 705 within noise
    assert studies.settled(_steps([400, 600, 700, 790])) is None  # still moving at the end
    assert studies.settled(_steps([700, 702, 698, 701])) == 200


@pytest.mark.parametrize("verdict", [C.HOLDS, C.FAILS, C.INCONCLUSIVE])
def test_steps_summary_is_a_sentence_for_every_outcome(verdict: str) -> None:
    for ks in ([400, 600, 700, 705], [400, 600, 700, 790]):
        text = studies.steps_summary(_steps(ks, verdict), 200)
        assert text.endswith(".") and "  " not in text and "E7 " in text
        assert ("stops moving" in text) != ("still moving" in text)
    assert "has not been run" in studies.steps_summary(None, 200)


def test_tables_and_seeds_summary() -> None:
    st = studies.steps_table(_steps([400, 600, 700, 705]))
    assert list(st.index) == [200, 400, 800, 1600] and "E7 verdict" in st.columns
    seeds = {
        "per_seed": [
            {"seed": s, "verdicts": {"E9": {"verdict": v, "ours": "-"}}}
            for s, v in ((0, C.HOLDS), (1, C.HOLDS), (2, C.INCONCLUSIVE))
        ],
        "across_seeds": {"E9": {"verdict": C.INCONCLUSIVE, "ours": "-", "rule": "-"}},
    }
    assert studies.seeds_table(seeds).loc["E9"].tolist() == [C.HOLDS, C.HOLDS, C.INCONCLUSIVE, C.INCONCLUSIVE]
    text = studies.seeds_summary(seeds)
    assert "over 3 training seeds" in text and "E9 is inconclusive" in text
    assert "has not been run" in studies.seeds_summary(None)


def test_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(studies, "repo_root", lambda: tmp_path)
    assert studies.read("steps") is None
    with pytest.raises(ValueError, match="study must be"):
        studies.read("other")
    path = tmp_path / studies.RESULTS["steps"]
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_steps([1, 2])))
    assert studies.read("steps")["ceiling"] == 0.985
    path.write_text("{}")
    with pytest.raises(ValueError, match="rows"):
        studies.read("steps")
