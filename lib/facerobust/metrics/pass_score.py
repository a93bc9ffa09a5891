"""PASS, the perceptual adversarial similarity score (Rozsa, Rudd & Boult 2016), used by
Rozsa et al. (2016) to decide whether a flipped image is an *imperceptible* adversarial.

``PASS(x_adv, x) = SSIM(psi(x_adv, x), x)``: first ``x_adv`` is aligned onto ``x`` with the
homography that maximises the enhanced correlation coefficient (OpenCV ``findTransformECC``,
``MOTION_HOMOGRAPHY``), so that a plausible small shift or rotation costs nothing; then the
structural similarity (scikit-image, Wang et al.'s Gaussian window, sigma 1.5) of the aligned
pair is taken. Colour images are compared on the mean of the per-channel SSIMs.

Fallback (documented in chapter 02): when ECC does not converge (OpenCV raises), or returns a
degenerate warp (non-finite, or moving an image corner by more than ``max_shift`` of the
image size), the identity is used, i.e. PASS falls back to plain SSIM -- never higher than
what the alignment could give, so the fallback can only make the test stricter.
An image is adversarial iff its decision flips and ``PASS >= TAU`` (0.95; the paper's "<"
is a typo, PASS is a similarity). Used by chapters 02-03.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from skimage.metrics import structural_similarity
from torch import Tensor

from ..validation import check_int, check_pair

TAU = 0.95
_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)


def _grey(img: np.ndarray) -> np.ndarray:
    return img.mean(0).astype(np.float32) if img.shape[0] > 1 else img[0].astype(np.float32)


def ecc_align(moving: np.ndarray, fixed: np.ndarray, max_shift: float = 0.25) -> tuple[np.ndarray, bool]:
    """Warp ``moving`` (C, H, W) onto ``fixed`` with the ECC homography.

    Returns the aligned image and whether ECC was used (False = identity fallback)."""
    h, w = fixed.shape[1:]
    warp = np.eye(3, dtype=np.float32)
    try:
        _, warp = cv2.findTransformECC(  # type: ignore[call-overload]
            _grey(fixed), _grey(moving), warp, cv2.MOTION_HOMOGRAPHY, _CRITERIA, None, 1
        )
    except cv2.error:
        return moving, False
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], np.float32).T
    moved = warp @ corners
    if not np.isfinite(warp).all() or np.any(np.abs(moved[2]) < 1e-6):
        return moving, False
    shift = np.abs(moved[:2] / moved[2] - corners[:2]).max()
    if shift > max_shift * max(h, w):
        return moving, False
    chans = [
        cv2.warpPerspective(
            c.astype(np.float32),
            warp,
            (w, h),
            flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        for c in moving
    ]
    return np.stack(chans), True


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two (C, H, W) images in [0, 1] (Gaussian window, sigma 1.5; mean over channels)."""
    win = min(11, *(s - (1 - s % 2) for s in a.shape[1:]))
    vals = [
        structural_similarity(
            x, y, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, win_size=win
        )
        for x, y in zip(a.astype(np.float64), b.astype(np.float64), strict=True)
    ]
    return float(np.mean(vals))


def _one(pair: tuple[np.ndarray, np.ndarray]) -> tuple[float, bool]:
    adv, ref = pair
    if np.array_equal(adv, ref):
        return 1.0, True
    aligned, used = ecc_align(adv, ref)
    return ssim(np.clip(aligned, 0, 1), ref), used


@dataclass(frozen=True)
class PassScores:
    """PASS of each pair ``score`` (N,) float64 and ``ecc`` (N,) bool: True where the ECC alignment
    was used (False: identity fallback, i.e. plain SSIM)."""

    score: Tensor
    ecc: Tensor


def pass_scores(x_adv: Tensor, x: Tensor, *, threads: int = 2) -> PassScores:
    """PASS (Rozsa, Rudd & Boult 2016; chapter 2, ``eq-rozsa-pass``) of each pair:
    ``SSIM(psi(x_adv, x), x)``, ``psi`` the ECC
    homography alignment of ``x_adv`` onto ``x`` (identity fallback, see the module docstring).

    Args:
        x_adv, x: (N, C, H, W) float32/float64 in [0, 1], finite, one shape, H, W >= 7.
        threads: worker threads (>= 1).
    Returns: :class:`PassScores` (score and ECC mask, both (N,)).

    Example::

        r = pass_scores(x_adv, x)
        adversarial = flipped & (r.score >= TAU)
    """
    check_pair(x_adv, x, names=("x_adv", "x"))
    check_int(threads, "threads", lo=1)
    if min(x.shape[2:]) < 7:
        raise ValueError("images must be at least 7x7 for SSIM; upsample tiny images first")
    a, b = x_adv.detach().cpu().numpy(), x.detach().cpu().numpy()
    with ThreadPoolExecutor(threads) as pool:
        out = list(pool.map(_one, zip(a, b, strict=True), chunksize=64))
    return PassScores(torch.tensor([o[0] for o in out], dtype=torch.float64, device=x.device),
                      torch.tensor([o[1] for o in out], dtype=torch.bool, device=x.device))


def pass_score(x_adv: Tensor, x: Tensor, *, threads: int = 2) -> Tensor:
    """PASS of each pair, (N,) float64 (the ``score`` of :func:`pass_scores`; same arguments).

    Example::

        p = pass_score(x_adv, x)      # (N,) in [-1, 1], 1 for identical images
    """
    return pass_scores(x_adv, x, threads=threads).score
