"""What would decide an inconclusive row: the sample factor behind the notes of chapters 2 and 7."""

import math

import pytest
from facerobust.experiments import claims as C
from facerobust.experiments.claims import deciding
from facerobust.metrics.intervals import wilson
from hypothesis import given
from hypothesis import strategies as st


def test_known_answers():
    assert deciding.in_words(deciding.sample_factor(0.015, 0.003)) == "about 25x"
    assert deciding.in_words(deciding.sample_factor(0.01, 0.0)).startswith("no sample")
    assert deciding.sample_factor(0.1, 0.1) == 1.0
    assert math.isinf(deciding.sample_factor(0.1, 0.0))
    assert deciding.interval_factor(0.1, 0.3, 0.2, 0.25) == pytest.approx(4.0)


@pytest.mark.parametrize("k,n,t", [(10, 50, 0.241), (45, 45, 0.98), (0, 8, 0.267), (3, 8, 0.5)])
def test_the_wilson_factor_is_what_the_wilson_interval_needs(k, n, t):
    """The rate's factor is exact for the Wilson formula, lopsided near 0 and 1 as it is: at the
    factor's sample the interval clears the threshold, at 0.9 of it not (45 of 45 against 0.98:
    about 188 samples, 4.2x; 0 of 8 against 0.267: about 11)."""
    f = deciding.wilson_factor(k, n, t)
    p = k / n

    def clears(m: int) -> bool:
        lo, hi = deciding._wilson_side(p, m)
        return lo > t if p > t else hi < t

    assert clears(math.ceil(f * n)) and not clears(math.floor(0.9 * f * n))
    assert math.isinf(deciding.wilson_factor(5, 10, 0.5))
    # the integer Wilson interval agrees with the real-valued one used for the search
    assert deciding._wilson_side(k / n, n) == pytest.approx(wilson(k, n), abs=1e-12)


@given(st.floats(0.0, 1.0), st.floats(1e-6, 1.0), st.floats(1.5, 10.0))
def test_wider_intervals_need_more(half, gap, scale):
    assert deciding.sample_factor(half * scale, gap) >= deciding.sample_factor(half, gap)


@pytest.mark.parametrize("half,gap", [(-0.1, 0.1), (0.1, -0.1), (math.nan, 0.1)])
def test_hostile_inputs(half, gap):
    with pytest.raises(ValueError):
        deciding.sample_factor(half, gap)
    with pytest.raises(ValueError):
        deciding.interval_factor(0.3, 0.1, 0.2, 0.25)
    with pytest.raises(ValueError):  # the estimate outside its own interval
        deciding.interval_factor(0.1, 0.3, 0.5, 0.25)


def test_rules_record_what_would_decide_them():
    """An inconclusive interval records its factor; a decided one, or one open for another reason
    (a setting unlike the paper's), records none; compounds and seeds label their parts."""
    open_ = C.rate_at_most(10, 50, 0.241)  # 0.200 [0.112, 0.330]
    assert open_.verdict == C.INCONCLUSIVE and open_.undecided[0][0] == ""
    assert open_.undecided[0][1] == pytest.approx(deciding.wilson_factor(10, 50, 0.241))
    assert C.rate_at_most(1, 50, 0.241).undecided == ()  # holds
    assert C.inconclusive("x", "r", "another setting").undecided == ()
    both = C.all_of([open_, C.rate_at_least(50, 50, 0.5)], ["max bin", "outside"])
    assert [lab for lab, _ in both.undecided] == ["max bin"]
    seeds = C.across_seeds([open_, open_, C.rate_at_most(1, 50, 0.241)], [0, 1, 2])
    assert [lab for lab, _ in seeds.undecided] == ["seed 0", "seed 1"]
    assert open_ == C.Judgement(open_.verdict, open_.ours, open_.rule)  # no part of equality
    flat = C.trend([1, 2, 3], [0.5, 0.5, 0.5], se=[0.1, 0.1, 0.1])
    assert flat.verdict == C.INCONCLUSIVE and flat.undecided[0][1] == math.inf
    band = C.rate_between(45, 100, 0.30, 0.45)  # 0.45 at the upper edge
    assert band.verdict == C.INCONCLUSIVE and band.undecided


def test_the_note_names_the_sample_and_the_cost():
    j = C.rate_at_most(10, 50, 0.241)
    note = deciding.note(j, 50, "test images", "the attacks' time grows in proportion")
    assert note == ("more data would decide it, if the estimates stay (times the 50 test images): "
                    "about 8x (~419); the attacks' time grows in proportion")
    assert deciding.note(C.rate_at_most(1, 50, 0.241), 50, "images", "") == ""
    two = C.all_of([j, j], ["K=5", "K=9"])
    assert "K=5: about 8x" in deciding.note(two, 50, "images", "x") and "K=9: about 8x" in deciding.note(
        two, 50, "images", "x")
    with pytest.raises(ValueError):
        deciding.note(j, 0, "images", "x")


def test_an_interval_with_a_missing_bound_records_nothing():
    j = C.at_least(0.5, 0.4, interval=(math.nan, math.nan))
    assert j.verdict == C.INCONCLUSIVE and j.undecided == ()
