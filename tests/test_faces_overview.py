"""Chapter 0's overview helpers: the Wilson interval, face subsets, the reference check."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from facerobust.experiments import claims as C
from facerobust.experiments import faces_overview as fo


def test_wilson_known_values() -> None:
    lo, hi = C.wilson(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    lo, hi = C.wilson(0, 10)
    assert lo == 0.0 and round(hi, 4) == 0.2775
    assert C.wilson(10, 10)[1] == 1.0
    assert all(math.isnan(v) for v in C.wilson(0, 0))


def test_spread_ids() -> None:
    ids = [f"f{i}" for i in range(10)] + list(fo.IDENTIFIED)
    assert fo.spread_ids(ids, None) == ids
    six = fo.spread_ids(ids, 6)
    assert len(six) == 6 and set(fo.IDENTIFIED) <= set(six)
    assert six == [i for i in ids if i in six]  # original order kept
    assert fo.spread_ids(ids, 2) == ["obama1", "obama2"]
    with pytest.raises(ValueError, match="at least one"):
        fo.spread_ids(ids, 0)


def test_truth_and_accuracy_table() -> None:
    labels = pd.DataFrame({"gender": ["male", "female"], "age_group": ["old", "young"], "smiling": [1, 0]})
    assert fo.truth(labels, "Male").tolist() == [True, False]
    assert fo.truth(labels, "Young").tolist() == [False, True]
    with pytest.raises(ValueError, match="no hand-made label"):
        fo.truth(labels, "Eyeglasses")
    scores = pd.DataFrame({"face_id": ["a", "b"], "model": ["Male/x"] * 2, "attribute": ["Male"] * 2,
                           "score": [1.0, 0.5], "predicted": [True, True], "label": [True, False]})
    scores["correct"] = scores.predicted == scores.label
    acc = fo.accuracy_table(scores)
    assert acc.loc[0, ["n", "n present", "correct", "accuracy"]].tolist() == [2, 1, 1, 0.5]
    assert fo.errors(scores).face_id.tolist() == ["b"]


def test_reference_check_verdicts() -> None:
    ids = list(fo.IDENTIFIED)
    dist = pd.DataFrame([[0, .35, .33, .83], [.35, 0, .43, .81], [.33, .43, 0, .86], [.83, .81, .86, 0]],
                        index=ids, columns=ids)
    rows = []
    for model in fo.REF_GENDER_ERRORS:
        rows += [{"face_id": f, "model": model, "predicted": True, "correct": f != "biden"} for f in ids]
    rows += [{"face_id": f, "model": "Smiling/expression", "predicted": fo.REF_SMILING[f], "correct": True}
             for f in ids]
    scores = pd.DataFrame(rows)
    ref = C.table(fo.reference_check(scores, dist, 30, 7, all_faces=True)).set_index("id")
    # one gender error each, as the survey; "men" agrees by construction, so it is not a verdict
    assert ref.verdict.drop("S2").eq(C.HOLDS).all() and ref.loc["S2", "verdict"] == C.INCONCLUSIVE
    assert list(ref.columns) == [c for c in C.COLUMNS if c != "id"]
    far = dist.copy()
    far.loc["obama1", "biden"] = 0.70
    assert [c.verdict for c in fo.reference_check(scores, far, 31, 7, all_faces=False)] == [
        C.FAILS, C.INCONCLUSIVE, C.HOLDS, C.FAILS, C.INCONCLUSIVE, C.INCONCLUSIVE, C.INCONCLUSIVE, C.HOLDS]


def test_gender_errors_one_off_are_inconclusive_not_holds() -> None:
    ids = list(fo.IDENTIFIED)
    dist = pd.DataFrame(0.5, index=ids, columns=ids)
    for n_wrong, verdict in ((0, C.INCONCLUSIVE), (1, C.HOLDS), (3, C.FAILS)):
        rows = [{"face_id": f"f{i}", "model": m, "predicted": True, "correct": i >= n_wrong}
                for m in fo.REF_GENDER_ERRORS for i in range(10)]
        claims = {c.id: c for c in fo.reference_check(pd.DataFrame(rows), dist, 30, 7, all_faces=True)}
        assert claims["S5"].verdict == verdict, n_wrong
        assert "+-1" in claims["S5"].judgement.rule
