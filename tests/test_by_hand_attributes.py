"""Helpers of the by-hand sections of chapters 00-03 (facerobust.experiments.by_hand_attributes)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from facerobust.experiments.by_hand_attributes import flip_titles, magnification, score_figure


def test_magnification_fills_grey_range_without_clipping() -> None:
    delta = torch.tensor([0.0, 3 / 255, -2 / 255])
    k = magnification(delta)
    assert k == 32.0  # 32 * 3/255 = 0.376 <= 0.5 < 64 * 3/255
    assert float((0.5 + k * delta).abs().max()) <= 1.0
    assert magnification(torch.zeros(3)) == 1.0
    assert magnification(torch.tensor([0.9])) == 1.0  # never below 1
    assert magnification(torch.tensor([1e-9])) == 256.0  # capped


def test_magnification_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        magnification(torch.tensor([float("nan")]))


def test_flip_titles() -> None:
    t = flip_titles(torch.tensor([0.5, -1.0]), torch.tensor([-0.1, -1.0]), torch.tensor([True, False]),
                    torch.tensor([12.0, float("nan")]), torch.tensor([0.97, 1.0]))
    assert t == ("f +0.50 -> -0.10\nw 12, PASS 0.97", "f -1.00 -> -1.00\nno flip")
    with pytest.raises(ValueError, match="one length"):
        flip_titles(torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2), torch.zeros(2))


def test_score_figure_frames_wrong_decisions() -> None:
    x = torch.rand(2, 1, 8, 8)
    scores = torch.tensor([[0.5, -0.2, 1.0], [-0.3, 0.4, -2.0]])
    labels = torch.tensor([[1, 1, 1], [-1, 1, 1]])  # two wrong: (0, 1) and (1, 2)
    fig = score_figure(x, scores, labels, ["a", "b", "c"])
    heat = fig.axes[-1]
    assert len(heat.patches) == 2 and len(heat.texts) == 6
    plt.close(fig)
    with pytest.raises(ValueError, match="must be"):
        score_figure(x, scores[:, :2], labels, ["a", "b", "c"])
    with pytest.raises(ValueError, match="NaN"):
        score_figure(x, torch.full((2, 3), float("nan")), labels, ["a", "b", "c"])
