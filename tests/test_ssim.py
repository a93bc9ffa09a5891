"""SSIM / MS-SSIM against scikit-image and pytorch-msssim; CW-SSIM against a NumPy reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from facerobust.metrics.cw_ssim import cw_ssim
from facerobust.metrics.ssim import ms_ssim, ssim
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.metrics import structural_similarity


def _pair(seed: int, shape=(4, 1, 28, 28)) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g, dtype=torch.float64)
    y = (x + 0.2 * torch.randn(shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x, y


def test_ssim_identical_is_one():
    x, _ = _pair(0)
    assert torch.allclose(ssim(x, x), torch.ones(4, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(ms_ssim(x, x, scales=3, win_size=7), torch.ones(4, dtype=torch.float64))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([1, 3]))
def test_ssim_matches_skimage(seed, channels):
    x, y = _pair(seed, (2, channels, 32, 30))
    ours = ssim(x, y)
    for i in range(2):
        ref = structural_similarity(
            x[i].permute(1, 2, 0).numpy(),
            y[i].permute(1, 2, 0).numpy(),
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1.0,
            channel_axis=2,
        )
        assert abs(float(ours[i]) - ref) < 1e-4


def test_ms_ssim_matches_pytorch_msssim():
    pm = pytest.importorskip("pytorch_msssim")
    x, y = _pair(1, (3, 3, 64, 64))
    w = [v / 0.6305 for v in (0.0448, 0.2856, 0.3001)]  # our weights are renormalised to sum 1
    ref = pm.ms_ssim(x, y, data_range=1.0, size_average=False, win_size=3, weights=w)
    assert torch.allclose(ms_ssim(x, y, scales=3, win_size=3), ref, atol=1e-5)
    assert torch.allclose(ssim(x, y), pm.ssim(x, y, data_range=1.0, size_average=False), atol=1e-5)


def test_ssim_is_differentiable_and_rejects_bad_shapes():
    x, y = _pair(2)
    y.requires_grad_(True)
    ssim(x, y).sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all()
    with pytest.raises(ValueError):
        ssim(x, y[:, :, :5, :5])
    with pytest.raises(ValueError):
        ms_ssim(x, x, scales=5)


def _cw_ssim_numpy(x: np.ndarray, y: np.ndarray, scales=3, orientations=4, win=7, k=1e-3) -> float:
    """Straightforward NumPy CW-SSIM of two 2-D images with the same pyramid (explicit windows)."""
    h, w = x.shape
    fy, fx = np.meshgrid(np.fft.fftfreq(h) * 2 * np.pi, np.fft.fftfreq(w) * 2 * np.pi, indexing="ij")
    rad, theta = np.hypot(fx, fy), np.arctan2(fy, fx)
    vals = []
    for s in range(scales):
        with np.errstate(divide="ignore"):
            d = np.log2(np.where(rad > 0, rad, 1e-12) / np.pi) + s + 1
        radial = np.where((np.abs(d) < 1) & (rad > 0), np.cos(np.pi / 2 * d) ** 2, 0.0)
        for o in range(orientations):
            ang = (theta - np.pi * o / orientations + np.pi) % (2 * np.pi) - np.pi
            filt = radial * np.where(np.abs(ang) < np.pi / 2, np.cos(ang) ** (orientations - 1), 0.0)
            cx, cy = np.fft.ifft2(np.fft.fft2(x) * filt), np.fft.ifft2(np.fft.fft2(y) * filt)
            for i in range(h - win + 1):
                for j in range(w - win + 1):
                    a, b = cx[i : i + win, j : j + win], cy[i : i + win, j : j + win]
                    num = 2 * abs(np.sum(a * np.conj(b))) + k
                    vals.append(num / (np.sum(abs(a) ** 2) + np.sum(abs(b) ** 2) + k))
    return float(np.mean(vals))


def test_cw_ssim_matches_numpy_reference():
    x, y = _pair(3, (2, 1, 16, 16))
    ours = cw_ssim(x, y)
    for i in range(2):
        assert abs(float(ours[i]) - _cw_ssim_numpy(x[i, 0].numpy(), y[i, 0].numpy())) < 1e-8


def test_cw_ssim_known_cases():
    x, _ = _pair(4)
    x = 0.45 * x  # room inside [0, 1] for the offset and the scalings below (inputs are range-checked)
    one = torch.ones(4, dtype=torch.float64)
    assert torch.allclose(cw_ssim(x, x), one)
    assert torch.allclose(cw_ssim(x, x + 0.3), one)  # no low-pass band: offsets are ignored
    for a in (0.5, 2.0):
        assert torch.allclose(cw_ssim(x, a * x, k=0.0), one * 2 * a / (1 + a * a))
    shifted = torch.roll(x, 1, dims=3)  # small translations hurt CW-SSIM less than SSIM
    assert cw_ssim(x, shifted).mean() > ssim(x, shifted).mean()
    assert not math.isnan(float(cw_ssim(torch.zeros_like(x), torch.zeros_like(x)).mean()))


def test_cw_ssim_is_differentiable():
    x, y = _pair(5, (2, 1, 28, 28))
    y.requires_grad_(True)
    cw_ssim(x, y).sum().backward()
    assert torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0


def test_luma_cw_ssim_of_grey_images_is_cw_ssim_of_their_channel() -> None:
    """On grey RGB images (three equal channels) the luminance is the channel itself."""
    from facerobust.metrics.cw_ssim import cw_ssim, luma_cw_ssim

    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 1, 32, 32, generator=g), torch.rand(2, 1, 32, 32, generator=g)
    got = luma_cw_ssim(a.expand(-1, 3, -1, -1), b.expand(-1, 3, -1, -1))
    torch.testing.assert_close(got, cw_ssim(a, b), atol=1e-5, rtol=1e-5)
