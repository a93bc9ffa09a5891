"""The "one batch by hand" figure helper (facerobust.experiments.figures_by_hand)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from facerobust.experiments.figures_by_hand import Row, by_hand_figure, ranking_titles


def test_grid_grey_and_rgb_rows_with_titles() -> None:
    x = torch.rand(3, 1, 8, 8)
    fig = by_hand_figure([Row("input", x, ["a", "b", "c"]), Row("perturbation", x - 0.5, amplify=4),
                          Row("rgb", torch.rand(3, 3, 5, 9))])
    axes = fig.axes
    assert len(axes) == 9
    assert axes[0].get_title() == "a"
    assert "x4" in axes[3].get_ylabel()
    plt.close(fig)


def test_perturbation_is_shown_around_grey() -> None:
    shown = Row("p", torch.zeros(1, 1, 2, 2), amplify=10).shown()
    assert torch.allclose(shown, torch.full_like(shown, 0.5))
    assert float(Row("p", torch.ones(1, 1, 2, 2), amplify=10).shown().max()) == 1.0


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([], "at least one row"),
        ([Row("a", torch.rand(2, 2, 4, 4))], "float tensor"),
        ([Row("a", torch.rand(2, 4, 4))], "float tensor"),
        ([Row("a", torch.full((1, 1, 2, 2), float("nan")))], "NaN"),
        ([Row("a", torch.rand(2, 1, 4, 4)), Row("b", torch.rand(3, 1, 4, 4))], "first row has 2"),
        ([Row("a", torch.rand(2, 1, 4, 4), ["x"])], "1 titles for 2"),
        ([Row("a", torch.rand(2, 1, 4, 4), amplify=0.0)], "amplify"),
        ([Row("a", torch.rand(0, 1, 4, 4))], "empty"),
    ],
)
def test_hostile_rows(rows: list[Row], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        by_hand_figure(rows)


def test_bad_size() -> None:
    with pytest.raises(ValueError, match="size"):
        by_hand_figure([Row("a", torch.rand(1, 1, 4, 4))], size=float("inf"))


def test_ranking_titles_bracket_the_true_label() -> None:
    scores = torch.tensor([[0.1, 0.9, 0.5], [3.0, 1.0, 2.0]])
    assert ranking_titles(scores, torch.tensor([2, 0]), top=3) == ["1 [2] 0", "[0] 2 1"]
    assert ranking_titles(scores, torch.tensor([0, 1]), top=2) == ["1 2", "0 2"]


@pytest.mark.parametrize(
    ("scores", "y", "top", "match"),
    [
        (torch.tensor([[float("nan"), 1.0]]), torch.tensor([0]), 1, "finite"),
        (torch.rand(2, 3), torch.tensor([0]), 1, "shape"),
        (torch.rand(2, 3), torch.tensor([0, 3]), 1, "lie in"),
        (torch.rand(2, 3), torch.tensor([0.0, 1.0]), 1, "int64"),
        (torch.rand(2, 3), torch.tensor([0, 1]), 0, "top"),
    ],
)
def test_ranking_titles_hostile(scores: torch.Tensor, y: torch.Tensor, top: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ranking_titles(scores, y, top)
