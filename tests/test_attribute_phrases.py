"""Chapters 01-03: every case of every glued phrase renders into a correct sentence."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from facerobust.experiments.attributes import phrases


def test_count_none_one_many() -> None:
    assert phrases.count(0, "error") == "no errors"
    assert phrases.count(1, "error") == "1 error"
    assert phrases.count(7, "error") == "7 errors"
    assert phrases.count(2, "image", "images") == "2 images"
    with pytest.raises(ValueError):
        phrases.count(-1, "error")


@pytest.mark.parametrize("k", [0, 1, 2, 60])
def test_capped_sentence_agrees_with_its_count(k: int) -> None:
    sentence = f"Of the 60 networks trained, {phrases.capped(k, 60)}."
    if k == 0:
        assert "none had its" in sentence and "a plateau for all of them." in sentence
    elif k == 1:
        assert "1 had its" in sentence and "was still improving" in sentence and "for it," in sentence
    else:
        assert f"{k} had their" in sentence and "were still" in sentence and "for those," in sentence
    assert "`" not in sentence  # glued text is not parsed as markdown
    with pytest.raises(ValueError):
        phrases.capped(61, 60)


def test_spread_one_seed_several_equal_and_missing() -> None:
    assert phrases.spread([5.1], unit=" %") == "5.10 % (one training seed)"
    three = phrases.spread([4.9, 5.3, 5.0], unit=" %")
    assert three == "between 4.90 % and 5.30 % across the 3 training seeds"
    assert phrases.spread([5.0, 5.0, 5.001], unit=" %") == "5.00 % on each of the 3 training seeds"
    assert phrases.spread([math.nan, 2.0]) == "2.00 (one training seed)"
    assert phrases.spread([math.nan]) == "not measured"


def test_share_and_nan() -> None:
    assert phrases.share(42.4, "the two-epoch adversarials") == "42 % of the two-epoch adversarials"
    assert phrases.share(math.nan, "two-epoch adversarials").startswith("an undefined share")


def test_top_pair_present_and_empty() -> None:
    top = pd.DataFrame({"source": ["Smiling"], "tested": ["Young"], "flipped (%)": [31.4]})
    assert phrases.top_pair(top) == "Smiling -> Young (31 %)"
    assert phrases.top_pair(top.iloc[:0]).startswith("none (")


def test_verdict_counts_agree_in_number() -> None:
    one = {"holds": 1, "does not hold": 0, "inconclusive": 3}
    assert phrases.verdict_counts(one) == "1 holds, 3 inconclusive"
    assert phrases.verdict_counts({"holds": 2, "does not hold": 1}) == "2 hold, 1 does not hold"
    assert phrases.verdict_counts({"does not hold": 2, "not testable here": 1}) == (
        "2 do not hold, 1 not testable here")
    assert phrases.verdict_counts({"holds": 0}) == "no rows"
