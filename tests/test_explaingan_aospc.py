"""AOSPC (dissertation Eq. 4.17) on a hand-made map and model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from facerobust.metrics import aospc as A


def test_segments_ranked_by_mean_value() -> None:
    m = np.zeros((6, 6))
    m[0:2, 0:2] = 0.6          # weaker blob
    m[4:6, 4:6] = 1.0          # strongest blob
    m[0, 5] = 0.8              # single pixel
    segs = A.segments(m, 0.5)
    assert [int(s.sum()) for s in segs] == [4, 1, 4]
    assert segs[0][5, 5] and segs[1][0, 5] and segs[2][0, 0]
    assert A.segments(m, 0.9)[0].sum() == 4
    assert A.segments(np.zeros((4, 4)), 0.5) == []
    neg = -m                   # only the positive part counts
    assert A.segments(neg, 0.5) == []


def test_aospc_hand_computed() -> None:
    # model: score = [0, sum of the 2x2 top-left pixels]; f = class 1's score
    def score(x: torch.Tensor) -> torch.Tensor:
        s = x[:, 0, :2, :2].sum((1, 2))
        return torch.stack([torch.zeros_like(s), s], 1)

    x = torch.ones(1, 1, 4, 4)
    mp = torch.zeros(1, 1, 4, 4)
    mp[0, 0, :2, :2] = 1.0      # one segment, exactly the pixels the model reads
    r = A.aospc(score, x, mp, torch.tensor([1]), t=0.5, k_max=2, seed=0)
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    drop = 4.0 - float(noise[0, 0, :2, :2].sum())
    assert r.drops.shape == (1, 3)
    assert np.allclose(r.drops[0], [0.0, drop, drop])      # k=2 has no second segment
    assert r.value == pytest.approx(2 * drop / 3)
    assert r.n_segments.tolist() == [1]
    # a map pointing elsewhere scores zero
    other = torch.zeros(1, 1, 4, 4)
    other[0, 0, 3, 3] = 1.0
    assert A.aospc(score, x, other, torch.tensor([1]), t=0.5, k_max=2).value == 0.0


def test_aospc_validates() -> None:
    x = torch.ones(2, 1, 4, 4)
    with pytest.raises(ValueError, match="maps"):
        A.aospc(lambda z: z.flatten(1), x, torch.ones(2, 4, 4), torch.tensor([0, 0]), 0.5)
    with pytest.raises(ValueError, match="NaN"):
        A.aospc(lambda z: z.flatten(1), x, torch.full((2, 1, 4, 4), float("nan")), torch.tensor([0, 0]), 0.5)
    with pytest.raises(ValueError, match="threshold"):
        A.segments(np.ones((4, 4)), 0.0)
