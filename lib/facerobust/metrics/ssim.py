"""Differentiable SSIM and MS-SSIM in PyTorch (Wang et al. 2004; Wang, Simoncelli, Bovik 2003).

Gaussian window (11 taps, sigma 1.5 by default), statistics over the valid region only, the
usual constants ``K1 = 0.01, K2 = 0.03`` and data range 1 -- the same definition as
``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1)``. MS-SSIM takes a window size and a number of
scales so that it also works on 28x28 images (the standard 5 scales need more than 160 pixels).
Used by the K-anonymity chapter (``notebooks/09_k_anonymity.py``; Table 1).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional

from ..validation import check_int, check_pair, check_scalar

MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _window(size: int, sigma: float, like: Tensor) -> Tensor:
    """The normalised 1-D Gaussian window, in the dtype and on the device of ``like``."""
    coords = torch.arange(size, dtype=like.dtype, device=like.device) - size // 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def _filter(x: Tensor, win: Tensor) -> Tensor:
    c = x.shape[1]
    x = functional.conv2d(x, win.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return functional.conv2d(x, win.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def _check(x: Tensor, y: Tensor, win_size: int, sigma: float, data_range: float) -> None:
    check_pair(x, y)
    check_int(win_size, "win_size", lo=1)
    check_scalar(sigma, "sigma", lo=0.0, lo_open=True)
    check_scalar(data_range, "data_range", lo=0.0, lo_open=True)
    if win_size % 2 != 1 or min(x.shape[-2:]) < win_size:
        raise ValueError(f"window {win_size} must be odd and fit in the image {tuple(x.shape[-2:])}")


def _ssim_cs(x: Tensor, y: Tensor, win: Tensor, data_range: float) -> tuple[Tensor, Tensor]:
    """Per-sample, per-channel mean SSIM and contrast-structure term (N, C)."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = _filter(x, win), _filter(y, win)
    sxx = _filter(x * x, win) - mx**2
    syy = _filter(y * y, win) - my**2
    sxy = _filter(x * y, win) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    lum = (2 * mx * my + c1) / (mx**2 + my**2 + c1)
    return (lum * cs).flatten(2).mean(2), cs.flatten(2).mean(2)


def ssim(x: Tensor, y: Tensor, *, win_size: int = 11, sigma: float = 1.5, data_range: float = 1.0) -> Tensor:
    """SSIM per sample (N,), averaged over channels and valid window positions; 1 for identical images.

    ``SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))`` with
    Gaussian-weighted local statistics, ``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2``, ``L = data_range``
    (the K-anonymity chapter's Table 1 column).

    Args:
        x, y: (N, C, H, W) float32/float64 in [0, 1], finite, one shape; differentiable in both.
        win_size: odd window (<= H, W); ``sigma`` > 0; ``data_range`` > 0.
    Returns: (N,) tensor of the input dtype.

    Example::

        s = ssim(x, x_adv)            # (N,)
        ssim(x, x).allclose(torch.ones(len(x), dtype=x.dtype))
    """
    _check(x, y, win_size, sigma, data_range)
    s, _ = _ssim_cs(x, y, _window(win_size, sigma, x), data_range)
    return s.mean(1)


def ms_ssim(
    x: Tensor, y: Tensor, *, scales: int = 5, win_size: int = 11, sigma: float = 1.5, data_range: float = 1.0
) -> Tensor:
    """MS-SSIM per sample (N,): ``prod_{j<M} cs_j^{w_j} * ssim_M^{w_M}`` over ``scales`` = M dyadic
    scales (2x2 average pooling), Wang et al.'s weights renormalised (negative terms clipped to 0).

    Args: as :func:`ssim`, plus ``scales`` in 1..5 with ``win_size * 2^(scales-1) <= min(H, W)``.
    Returns: (N,) tensor.

    Example::

        s = ms_ssim(x, x_adv, scales=3, win_size=7)   # 28x28 images
    """
    _check(x, y, win_size, sigma, data_range)
    check_int(scales, "scales", lo=1)
    if not 1 <= scales <= len(MS_WEIGHTS) or min(x.shape[-2:]) < win_size * 2 ** (scales - 1):
        raise ValueError(f"{scales} scales with window {win_size} do not fit {tuple(x.shape[-2:])}")
    w = x.new_tensor(MS_WEIGHTS[:scales])
    w = w / w.sum()
    win = _window(win_size, sigma, x)
    parts = []
    for i in range(scales):
        s, cs = _ssim_cs(x, y, win, data_range)
        if i < scales - 1:
            parts.append(cs.clamp_min(0))
            pad = [d % 2 for d in x.shape[2:]]
            x, y = functional.avg_pool2d(x, 2, padding=pad), functional.avg_pool2d(y, 2, padding=pad)
    parts.append(s.clamp_min(0))
    return torch.stack(parts, 0).pow(w.view(-1, 1, 1)).prod(0).mean(1)
