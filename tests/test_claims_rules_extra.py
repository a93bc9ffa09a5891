"""Rules added to the claims module for chapters 00-03, 08 and 09: each fails when it should and
shows the margin or band it applies."""

from __future__ import annotations

import numpy as np
import pytest
from facerobust.experiments import claims as C


def test_similar_is_an_equivalence_test_with_a_visible_margin():
    rng = np.random.default_rng(0)
    a = 9.2 + 0.3 * rng.standard_normal(40)
    j = C.similar(a + 0.1, a, margin=1.0, paired=True)
    assert j.verdict == C.HOLDS and "[-1, 1]" in j.rule
    assert C.similar(a + 3.0, a, margin=1.0, paired=True).verdict == C.FAILS
    # a wide interval cannot show equivalence
    wide = np.array([5.0, 14.0, 8.0, 11.0, 9.0])
    assert C.similar(wide, wide[::-1], margin=1.0, paired=True).verdict == C.INCONCLUSIVE
    with pytest.raises(ValueError):
        C.similar(a, a, margin=-1.0, paired=True)


def test_rate_between_uses_the_wilson_interval_and_shows_the_band():
    assert C.rate_between(500, 1000, 0.4, 0.6).verdict == C.HOLDS
    assert C.rate_between(10, 1000, 0.4, 0.6).verdict == C.FAILS
    assert C.rate_between(5, 10, 0.4, 0.6).verdict == C.INCONCLUSIVE  # 10 samples cannot tell
    assert "[0.40, 0.60]" in C.rate_between(5, 10, 0.4, 0.6).rule
    assert C.rate_between(0, 0, 0.4, 0.6).verdict == C.INCONCLUSIVE
    with pytest.raises(ValueError):
        C.rate_between(1, 2, 0.7, 0.6)


def test_all_of_needs_every_part():
    h, f, i = C.at_least(1, 0), C.at_least(-1, 0), C.at_least(0.5, 0, interval=(-1, 1))
    assert C.all_of([h, h], ["FGS", "FFA"]).verdict == C.HOLDS
    assert C.all_of([h, f], ["FGS", "FFA"]).verdict == C.FAILS
    assert C.all_of([h, i], ["FGS", "FFA"]).verdict == C.INCONCLUSIVE
    assert C.all_of([i, f], ["FGS", "FFA"]).verdict == C.FAILS
    assert "for each of FGS, FFA" in C.all_of([h, f], ["FGS", "FFA"]).rule
    with pytest.raises(ValueError):
        C.all_of([h], ["a", "b"])


def test_seeded_needs_enough_seeds():
    h, f = C.at_least(1, 0), C.at_least(-1, 0)
    one = C.seeded([h], [0])
    assert one.verdict == C.INCONCLUSIVE and "1 training seed" in one.rule
    assert C.seeded([h, h, h], [0, 1, 2]).verdict == C.HOLDS
    assert C.seeded([f, f, f], [0, 1, 2]).verdict == C.FAILS
    assert C.seeded([h, f, h], [0, 1, 2]).verdict == C.INCONCLUSIVE
    assert C.seeded([h, h], [0, 1], min_seeds=2).verdict == C.HOLDS
