"""Chapter 8's glued sentences read right for every value they can take (issue 28)."""

from __future__ import annotations

import pytest
from facerobust.experiments.advhat import prose


def test_count_and_faces() -> None:
    assert prose.faces(1) == "1 face" and prose.faces(6) == "6 faces" and prose.faces(0) == "0 faces"
    assert prose.count(2, "run") == "2 runs" and prose.count(1, "run") == "1 run"
    with pytest.raises(ValueError):
        prose.count(-1, "face")


def test_drop_scale_both_sides() -> None:
    assert prose.drop_scale(0.93, 0.80) == ("a drop of 0.2 moves a face further than the gap between two "
                                            "photos of one person and two photos of different people (0.13)")
    assert "no further than" in prose.drop_scale(0.95, 0.60) and "(0.35)" in prose.drop_scale(0.95, 0.60)


@pytest.mark.parametrize(("n_capped", "n_runs", "expected"), [
    (0, 1, "The slope rule ended stage 1 in the one run, as in the official schedule"),
    (0, 6, "The slope rule ended stage 1 in every one of the 6 runs, as in the official schedule"),
    (1, 1, "In the one run the cap ended stage 1, not the slope rule, i.e. while the loss was still falling; "
           "the official schedule (`full`) would have run on, lowering its cosines"),
    (6, 6, "In all 6 runs the cap ended stage 1"),
    (2, 6, "In 2 of the 6 runs the cap ended stage 1"),
])
def test_capped_every_case(n_capped: int, n_runs: int, expected: str) -> None:
    sentence = prose.capped(n_capped, n_runs)
    assert sentence.startswith(expected) and sentence.endswith(".")
    assert ("cap ended" in sentence) == (n_capped > 0)


def test_capped_refuses_impossible_counts() -> None:
    for bad in ((3, 2), (-1, 2), (0, 0)):
        with pytest.raises(ValueError):
            prose.capped(*bad)
