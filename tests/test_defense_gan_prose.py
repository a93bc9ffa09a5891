"""Every sentence the Defense-GAN chapter glues, rendered for every case its values can take: each
reads as a sentence (capital, full stop, no 'nan', no negative amounts in words such as 'fell by -'),
and its words agree with the number printed beside them."""

from __future__ import annotations

import math
import re

import pytest
from facerobust.experiments.claims import FAILS, HOLDS, INCONCLUSIVE, UNTESTABLE
from facerobust.experiments.defense_gan import prose

NAN = math.nan


def _reads(s: str) -> None:
    assert s[0].isupper() and s.endswith("."), s
    assert "nan" not in s.lower().replace("nanc", ""), s
    assert not re.search(r"\bby -|\(-|  |\( |\)\w", s), s
    assert s.count("(") == s.count(")"), s


RECOVERY_CASES = {
    # no attack, no defense, defended -> expected amount in words
    (0.98, 0.10, 0.96): "nearly all",   # 98%
    (0.98, 0.10, 0.89): "nearly all",   # 89.8% prints as 90%
    (0.98, 0.10, 0.60): "most",         # 57%
    (0.98, 0.10, 0.30): "less than half",
    (0.98, 0.10, 0.10): "none",         # 0%
    (0.98, 0.10, 0.104): "none",        # 0.45% prints as 0%
    (0.98, 0.18, 0.11): "below",        # the defense lowers accuracy below the attack's level
    (0.98, 0.98, 0.50): "nothing",      # the attack took nothing
    (0.95, 0.97, 0.50): "nothing",      # the attack raised accuracy
    (0.98, NAN, 0.50): "not run",
}


@pytest.mark.parametrize("values", list(RECOVERY_CASES))
def test_recovery_sentence_every_case(values: tuple[float, float, float]) -> None:
    r = prose.Recovery(*values)
    s = r.sentence("the projection", "a black-box FGSM attack", "an MNIST classifier")
    _reads(s)
    want = RECOVERY_CASES[values]
    assert want in s
    if r.percent is not None and r.percent >= 0:
        assert f"({r.percent}%)" in s and r.amount() == want
    if want == "below":
        assert s.startswith("The projection recovers none of") and "below the 0.180" in s
    # the abstract's frame around it
    _reads(f"{s} The dissertation's defense recovers nearly all of the accuracy this attack takes.")


def test_recovery_thresholds_follow_the_printed_percent() -> None:
    assert prose.Recovery(1.0, 0.0, 0.8996).amount() == "nearly all"  # prints 90%
    assert prose.Recovery(1.0, 0.0, 0.4949).amount() == "less than half"  # prints 49%
    assert prose.Recovery(1.0, 0.0, 0.4951).amount() == "most"  # prints 50%
    assert math.isnan(prose.Recovery(0.5, 0.5, 0.9).fraction)


@pytest.mark.parametrize("auc, words", [(0.95, "well"), (0.8999, "well"), (0.8994, "in part"),
                                        (0.6, "barely"), (0.5, "does not separate"), (0.2, "wrong way round"),
                                        (NAN, "not evaluated")])
def test_detection_every_case(auc: float, words: str) -> None:
    s = prose.detection(auc)
    _reads(s)
    assert words in s


@pytest.mark.parametrize("end, drop, words", [(0.8, 0.45, "fell by 0.45"), (0.8, 0.104, "fell by only 0.10"),
                                              (0.8, 0.02, "levelled off"), (0.8, -0.02, "rose by only 0.02"),
                                              (0.8, 0.0, "did not move"),
                                              (0.8, -0.3, "rose by 0.30"), (0.8, NAN, "too short"),
                                              (NAN, NAN, "not recorded")])
def test_gan_trend_every_case(end: float, drop: float, words: str) -> None:
    s = prose.gan_trend("MNIST-5k", end, drop)
    _reads(s)
    assert words in s
    assert ("still improving" in s) == words.startswith("fell by 0"), s  # only a drop above 0.1


def test_gan_trend_rounding_agrees_with_the_words() -> None:
    assert "levelled off" in prose.gan_trend("MNIST-5k", 0.8, 0.104)
    assert "still improving" in prose.gan_trend("MNIST-5k", 0.8, 0.106)


@pytest.mark.parametrize("k, n, words", [(6, 6, "for all 6 digits"), (4, 6, "for 4 of the 6 digits"),
                                         (1, 6, "for 1 of the 6 digits"), (0, 6, "for none of the 6"),
                                         (1, 1, "for the digit"), (0, 1, "for none of the 1")])
def test_closer_by_hand_every_case(k: int, n: int, words: str) -> None:
    clause = prose.closer_by_hand(k, n)
    assert clause.startswith(words), clause
    _reads(f"The closer-point test on these digits: {clause}. The range study measures this on many digits.")
    for bad in ((-1, 3), (4, 3), (0, 0)):
        with pytest.raises(ValueError):
            prose.closer_by_hand(*bad)


@pytest.mark.parametrize("values, words", [
    ((0.98, 0.95, 0.40, 0.20), ("close to its 0.980", "; but on their")),
    ((0.98, 0.60, 0.40, 0.20), ("below its 0.980", "; but on their")),
    ((0.98, 0.95, 0.94, 0.93), ("close to its", "; on their")),
    ((0.98, 0.20, 0.19, 0.18), ("does not draw", "; on their")),
    ((0.98, NAN, 0.2, 0.2), ("not run",)),
])
def test_sweep_every_case(values: tuple[float, float, float, float], words: tuple[str, ...]) -> None:
    s = prose.sweep(200, *values)
    _reads(s)
    assert all(w in s for w in words), s


@pytest.mark.parametrize("counts, want", [
    ({HOLDS: 1, FAILS: 3, INCONCLUSIVE: 28, UNTESTABLE: 0}, "Of 32 rows, 1 holds, 3 do not hold and 28 are "
     "inconclusive at this scale."),
    ({HOLDS: 0, FAILS: 2, INCONCLUSIVE: 30, UNTESTABLE: 1}, "Of 33 rows, 2 do not hold, 30 are inconclusive "
     "at this scale and 1 is not testable here; none holds."),
    ({HOLDS: 2, FAILS: 1, INCONCLUSIVE: 0, UNTESTABLE: 0}, "Of 3 rows, 2 hold and 1 does not hold."),
    ({HOLDS: 0, FAILS: 0, INCONCLUSIVE: 31, UNTESTABLE: 0}, "All 31 rows are inconclusive at this scale."),
    ({HOLDS: 1}, "The only row holds."),
    ({}, "The table has no rows."),
])
def test_verdict_counts_every_case(counts: dict[str, int], want: str) -> None:
    assert prose.verdict_counts(counts) == want
    _reads(want)


def test_verdict_counts_refuses_unknown_verdicts() -> None:
    with pytest.raises(ValueError, match="verdicts"):
        prose.verdict_counts({"holds": 1, "maybe": 2})
    with pytest.raises(ValueError):
        prose.verdict_counts({"holds": -1})
