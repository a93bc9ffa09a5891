"""PASS (ECC homography alignment + SSIM) used by the Rozsa chapters."""

from __future__ import annotations

import pytest
import torch
from facerobust.metrics.pass_score import TAU, pass_score, ssim
from skimage import data, transform


def _camera(size: int = 64) -> torch.Tensor:
    img = transform.resize(data.camera(), (size, size), anti_aliasing=True)
    return torch.tensor(img, dtype=torch.float32)[None, None]


def test_identical_images_score_one():
    x = _camera()
    assert pass_score(x, x).item() == 1.0


def test_small_translation_is_forgiven_but_not_by_ssim():
    x = _camera(96)
    shifted = torch.roll(x, shifts=(1, 2), dims=(2, 3))
    crop = (slice(None), slice(None), slice(8, -8), slice(8, -8))  # away from the wrapped border
    a, b = shifted[crop].contiguous(), x[crop].contiguous()
    p = pass_score(a, b).item()
    s = ssim(a[0].numpy(), b[0].numpy())
    assert p > 0.9 and s < 0.75 and p > s + 0.2


def test_noise_lowers_pass_monotonically():
    x = _camera()
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(x.shape, generator=g)
    scores = [
        pass_score(((x * 255 + s * noise).round().clamp(0, 255) / 255), x).item() for s in (1, 3, 6, 12, 24)
    ]
    assert all(a > b for a, b in zip(scores, scores[1:], strict=False))
    assert scores[0] >= TAU > scores[-1]


def test_colour_batch_and_bad_input():
    x = torch.rand(3, 3, 32, 32)
    out = pass_score(x, x)
    assert out.shape == (3,) and torch.all(out == 1)
    with pytest.raises(ValueError):
        pass_score(x, x[:2])
    with pytest.raises(ValueError):
        pass_score(torch.rand(1, 1, 5, 5), torch.rand(1, 1, 5, 5))
