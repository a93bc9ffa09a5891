"""The CRISPR seed study as the chapter reads it (experiments/crispr/seeds.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from facerobust.experiments import claims as C
from facerobust.experiments.crispr import seeds


def _rate(r: float) -> dict[str, float]:
    return {"rate": r}


def _seed(s: int, digit: float, verdict: str) -> dict:
    return {
        "seed": s,
        "round_trip_digit_kept": _rate(digit + 0.01),
        "swap": {"underline": {"digit_kept": _rate(digit)}, "frame": {"digit_kept": _rate(digit + 0.02)}},
        "borrow": {
            "underline": {"digit_kept": _rate(digit), "style_matched": _rate(0.4)},
            "frame": {"digit_kept": _rate(digit), "style_matched": _rate(0.35)},
        },
        "verdicts": {"S2": {"verdict": verdict, "ours": "-"}},
    }


STUDY = {
    "per_seed": [_seed(0, 0.925, C.HOLDS), _seed(1, 0.86, C.FAILS), _seed(2, 0.91, C.INCONCLUSIVE)],
    "across_seeds": {"S2": {"verdict": C.INCONCLUSIVE, "ours": "-", "rule": "-"}},
}


def test_table_has_each_seed_and_the_decided_verdict() -> None:
    tab = seeds.table(STUDY)
    assert list(tab.columns) == ["seed 0", "seed 1", "seed 2", "across seeds"]
    assert tab.loc["S2"].tolist() == [C.HOLDS, C.FAILS, C.INCONCLUSIVE, C.INCONCLUSIVE]


def test_spread_takes_the_lower_attribute_per_seed() -> None:
    sp = seeds.spread(STUDY, "swap digit kept")
    assert sp.low == pytest.approx(86.0) and sp.high == pytest.approx(92.5)
    assert sp.width == pytest.approx(6.5)
    assert seeds.spread(STUDY, "borrow style copied").high == pytest.approx(35.0)
    with pytest.raises(ValueError, match="unknown quantity"):
        seeds.spread(STUDY, "nothing")


@pytest.mark.parametrize("verdict", C.VERDICTS)
def test_verdict_phrase_completes_the_sentence_for_every_verdict(verdict: str) -> None:
    sentence = f"Decided over the seeds, S2 {seeds.verdict_phrase(verdict, 3)}."
    assert "  " not in sentence and sentence.count("S2") == 1
    assert ("3 seeds" in sentence) == (verdict != C.UNTESTABLE)
    with pytest.raises(ValueError):
        seeds.verdict_phrase("maybe", 3)


def test_read_returns_none_without_the_file_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seeds, "repo_root", lambda: tmp_path)
    assert seeds.read() is None
    path = tmp_path / seeds.RESULT
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(STUDY))
    assert seeds.read() == STUDY
    path.write_text(json.dumps({"per_seed": []}))
    with pytest.raises(ValueError, match="per_seed"):
        seeds.read()


def test_summary_reads_right_with_and_without_the_study() -> None:
    assert "has not been run" in seeds.summary(None)
    text = seeds.summary(STUDY)
    assert "seeds 0, 1 and 2" in text and "86.0% to 92.5%" in text
    assert "S2 is inconclusive" in text and text.endswith(".")
    one = {"per_seed": [_seed(0, 0.9, C.HOLDS)], "across_seeds": {}, "cpu": "X"}
    assert seeds.summary(one).startswith(
        "Over training seeds 0 (on X)"
    ) and "90.0% of the test" in seeds.summary(one)
