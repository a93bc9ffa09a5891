"""The shared claims module: every rule fails when it should, shows the threshold it applies,
and calls a noise-level difference inconclusive."""

from __future__ import annotations

import math

import numpy as np
import pytest
from facerobust.experiments import claims as C


def test_at_least_shows_and_applies_its_threshold():
    j = C.at_least(0.95, 0.96)
    assert j.verdict == C.FAILS and "0.960" in j.rule
    assert C.at_least(0.96, 0.96).verdict == C.HOLDS
    assert C.at_most(0.011, 0.01).verdict == C.FAILS and "0.010" in C.at_most(0.011, 0.01).rule
    assert C.at_most(0.01, 0.01).verdict == C.HOLDS


def test_interval_decides_bounds():
    assert C.at_least(0.95, 0.9, interval=(0.91, 0.98)).verdict == C.HOLDS
    assert C.at_least(0.95, 0.9, interval=(0.85, 0.98)).verdict == C.INCONCLUSIVE
    assert C.at_least(0.8, 0.9, interval=(0.7, 0.89)).verdict == C.FAILS


def test_rates_use_wilson():
    assert C.rate_at_least(99, 100, 0.9).verdict == C.HOLDS
    assert C.rate_at_least(91, 100, 0.9).verdict == C.INCONCLUSIVE  # 0.91 is within noise of 0.90
    assert C.rate_at_least(50, 100, 0.9).verdict == C.FAILS
    assert C.rate_at_most(0, 100, 0.1).verdict == C.HOLDS
    assert C.rate_at_least(0, 0, 0.5).verdict == C.INCONCLUSIVE
    lo, hi = C.wilson(0, 10)
    assert lo == 0 and 0.2 < hi < 0.35
    with pytest.raises(ValueError):
        C.wilson(11, 10)


def test_noise_level_difference_is_inconclusive():
    # K5c of the K-anonymity chapter: 4.720e-3 vs 4.722e-3 is noise, not "the term helps"
    rng = np.random.default_rng(0)
    a = 4.720e-3 + 1e-4 * rng.standard_normal(45)
    b = a + 2e-6 + 1e-4 * rng.standard_normal(45)
    assert C.greater(b, a, paired=True).verdict == C.INCONCLUSIVE
    assert C.greater(a + 1e-3, a, paired=True).verdict == C.HOLDS
    assert C.greater(a, a + 1e-3, paired=True).verdict == C.FAILS
    assert C.rate_greater(52, 100, 50, 100).verdict == C.INCONCLUSIVE
    assert C.rate_greater(90, 100, 50, 100).verdict == C.HOLDS
    assert C.rate_greater(40, 100, 90, 100).verdict == C.FAILS


def test_flat_series_fails_a_trend():
    assert C.trend([25, 50, 100, 200], [0.9, 0.9, 0.9, 0.9]).verdict == C.FAILS
    # .907 -> .907 -> .900 -> .913 at n = 150 each: not a rise
    j = C.rate_trend([25, 50, 100, 200], [136, 136, 135, 137], [150] * 4)
    assert j.verdict != C.HOLDS
    assert C.rate_trend([1, 5, 10, 20], [80, 110, 130, 145], [150] * 4).verdict == C.HOLDS
    assert C.rate_trend([1, 5, 10, 20], [145, 130, 110, 80], [150] * 4, up=False).verdict == C.HOLDS
    assert C.rate_trend([1, 5, 10, 20], [145, 130, 110, 80], [150] * 4, up=True).verdict == C.FAILS
    assert "slope" in j.rule and "95%" in j.rule


def test_slope_interval_known_answer():
    b, lo, hi = C.slope_interval([0, 1, 2, 3], [1, 3, 5, 7])
    assert b == pytest.approx(2.0) and lo == pytest.approx(2.0) and hi == pytest.approx(2.0)
    with pytest.raises(ValueError):
        C.slope_interval([1, 1, 1], [1, 2, 3])


def test_equals_within_factor_and_seeds():
    assert C.equals(12.89, 12.85, tol=0.01).verdict == C.FAILS
    assert C.equals(6.3, 6.3).verdict == C.HOLDS
    assert C.within_factor(7.0, 1.24, 2).verdict == C.FAILS
    assert C.within_factor(2.0, 1.24, 2).verdict == C.HOLDS
    h, f = C.at_least(1, 0), C.at_least(-1, 0)
    assert C.across_seeds([h, h, h], [0, 1, 2]).verdict == C.HOLDS
    assert C.across_seeds([h, f, h], [0, 1, 2]).verdict == C.INCONCLUSIVE


def test_missing_values_are_inconclusive_not_holds():
    assert C.at_least(math.nan, 0.5).verdict == C.INCONCLUSIVE
    assert C.trend([1, 2], [math.nan, 1.0]).verdict == C.INCONCLUSIVE
    assert C.untestable("MOBIO is not public").verdict == C.UNTESTABLE


def test_table_has_one_vocabulary_and_unique_ids():
    p = C.Paper("0.988", "dissertation Table 5.2")
    rows = [C.claim("D1", "x", p, C.at_least(0.99, 0.988)), C.claim("D2", "y", p, C.untestable("no data"))]
    t = C.table(rows)
    assert list(t.columns) == C.COLUMNS
    assert set(t.verdict) <= set(C.VERDICTS)
    assert C.counts(rows)[C.HOLDS] == 1
    with pytest.raises(ValueError):
        C.table(rows + rows)
    with pytest.raises(ValueError):
        C.Judgement("maybe", "1", "rule")
