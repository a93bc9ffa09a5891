"""Complex-wavelet SSIM (Wang & Simoncelli 2005; Sampat et al. 2009), differentiable in PyTorch.

The images are decomposed with an undecimated complex steerable pyramid built in the Fourier
domain: ``scales`` log-radial raised-cosine band-passes (band ``s`` centred on radius
``pi / 2^(s+1)``) times ``orientations`` one-sided angular windows ``cos(theta - theta_o)^(O-1)``,
so every sub-band is complex (analytic). For coefficients ``c_x, c_y`` of one sub-band in a
``win x win`` window,

    S = (2 |sum c_x conj(c_y)| + k) / (sum |c_x|^2 + sum |c_y|^2 + k),

averaged over window positions (valid region), sub-bands and channels. ``S`` is 1 for identical
images, ignores a constant offset (no low-pass band) and gives ``2a / (1 + a^2)`` for
``y = a * x`` when ``k = 0``. Used by the K-anonymity attack (Eq. (6), ``notebooks/09_k_anonymity.py``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional

from ..models.human_models import LUMA
from ..validation import check_int, check_pair, check_scalar


def pyramid_filters(
    h: int, w: int, scales: int, orientations: int, dtype: torch.dtype = torch.float64
) -> Tensor:
    """Fourier-domain filters (scales * orientations, h, w), real and non-negative."""
    fy = torch.fft.fftfreq(h, dtype=dtype).mul(2 * math.pi).view(-1, 1).expand(h, w)
    fx = torch.fft.fftfreq(w, dtype=dtype).mul(2 * math.pi).view(1, -1).expand(h, w)
    rad = torch.sqrt(fx**2 + fy**2)
    theta = torch.atan2(fy, fx)
    logr = torch.log2(rad.clamp_min(1e-12) / math.pi)
    out = []
    for s in range(scales):
        d = logr + s + 1
        radial = torch.where(d.abs() < 1, torch.cos(math.pi / 2 * d) ** 2, torch.zeros_like(d))
        radial = torch.where(rad > 0, radial, torch.zeros_like(radial))
        for o in range(orientations):
            ang = torch.remainder(theta - math.pi * o / orientations + math.pi, 2 * math.pi) - math.pi
            a = torch.where(
                ang.abs() < math.pi / 2, torch.cos(ang) ** (orientations - 1), torch.zeros_like(ang)
            )
            out.append(radial * a)
    return torch.stack(out)


def subbands(x: Tensor, filters: Tensor) -> Tensor:
    """Complex sub-bands (N, C, B, H, W) of real images ``x`` (N, C, H, W)."""
    spec = torch.fft.fft2(x)
    return torch.fft.ifft2(spec.unsqueeze(2) * filters.to(x.dtype))


def cw_ssim(
    x: Tensor, y: Tensor, *, scales: int = 3, orientations: int = 4, win: int = 7, k: float = 1e-3
) -> Tensor:
    """CW-SSIM per sample (N,) of two NCHW batches (chapter 9, ``eq-cwssim``; the ``s`` of Eq. (6)).

    ``S = (2 |sum c_x conj(c_y)| + k) / (sum |c_x|^2 + sum |c_y|^2 + k)`` per sub-band and window,
    averaged over windows, ``scales * orientations`` sub-bands and channels.

    Args:
        x, y: (N, C, H, W) float32/float64 in [0, 1], finite, one shape; differentiable in both.
        scales, orientations >= 1; ``win`` >= 1 fits the image; ``k`` >= 0 finite.
    Returns: (N,) tensor (1 for identical images).

    Example::

        s = cw_ssim(x, x_adv)                 # (N,)
        loss = (1 - cw_ssim(x, x + p)).sum()   # differentiable in p
    """
    check_pair(x, y)
    check_int(scales, "scales", lo=1)
    check_int(orientations, "orientations", lo=1)
    check_int(win, "win", lo=1)
    check_scalar(k, "k", lo=0.0)
    h, w = x.shape[-2:]
    if min(h, w) < win or scales < 1 or orientations < 1:
        raise ValueError(f"window {win} does not fit {h}x{w}, or scales/orientations < 1")
    filt = pyramid_filters(h, w, scales, orientations, x.dtype)
    cx, cy = subbands(x, filt), subbands(y, filt)
    n, c, b = cx.shape[:3]

    def wsum(t: Tensor) -> Tensor:
        return functional.avg_pool2d(t.reshape(n * c * b, 1, h, w), win, stride=1) * win * win

    cross = cx * cy.conj()
    re, im = wsum(cross.real), wsum(cross.imag)
    energy = wsum(cx.real**2 + cx.imag**2) + wsum(cy.real**2 + cy.imag**2)
    s = (2 * torch.sqrt(re**2 + im**2 + 1e-20) + k) / (energy + k)
    return s.reshape(n, -1).mean(1)


def luma_cw_ssim(x: Tensor, y: Tensor) -> Tensor:
    """CW-SSIM (N,) of the luminance of two RGB batches: the face setting's s(x, x~) in Eq. (6).

    The paper's faces (Yale, LightCNN) are grey; on the luminance the term also costs a third of
    the RGB one, which matters at 150x150 (it is several times the descriptor's own cost per step).
    """
    w = x.new_tensor(LUMA).view(1, 3, 1, 1)
    return cw_ssim((x * w).sum(1, keepdim=True), (y * w).sum(1, keepdim=True))
