"""AOSPC, the area over the segment-perturbation curve (dissertation Eq. (4.17), after Samek et al.).

For each image: normalise its map to [0, 1] (positive part divided by its maximum: the evidence for
the scored class), threshold at t, cut the binary map into connected components (8-neighbour), rank
them by their mean map value, and replace the pixels of the k best segments with uniform noise over
the pixel range (one noise image per input, so a perturbed pixel keeps its value). Then

    AOSPC = 1/(K+1) < sum_{k=0..K} f(x^(0)) - f(x^(k)) >

with f the score of the class the clean image is assigned (a logit or a probability: the caller's
choice). When an image has fewer than k segments, x^(k) is the image with all of them perturbed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

EIGHT = np.ones((3, 3), dtype=int)


def normalise(m: np.ndarray) -> np.ndarray:
    """Positive part of a map divided by its maximum (all zeros stays all zeros)."""
    pos = np.clip(m, 0, None)
    top = pos.max()
    return pos / top if top > 0 else pos


def segments(m: np.ndarray, t: float) -> list[np.ndarray]:
    """Boolean masks of the connected components of ``normalise(m) >= t``, best mean value first."""
    if m.ndim != 2 or not np.isfinite(m).all():
        raise ValueError(f"segments: need a finite 2-D map, got shape {m.shape}")
    if not 0 < t <= 1:
        raise ValueError(f"threshold t must lie in (0, 1], got {t}")
    n = normalise(m)
    labels, count = ndimage.label(n >= t, structure=EIGHT)
    if count == 0:
        return []
    means = ndimage.mean(n, labels, index=np.arange(1, count + 1))
    order = np.argsort(-np.asarray(means), kind="stable")
    return [labels == (i + 1) for i in order]


def perturbed(x: Tensor, m: np.ndarray, t: float, k_max: int, noise: Tensor) -> Tensor:
    """x^(0) ... x^(K) for one image (K+1, C, H, W): the k best segments replaced by ``noise``."""
    out = x.unsqueeze(0).repeat(k_max + 1, 1, 1, 1)
    covered = torch.zeros(x.shape[1:], dtype=torch.bool, device=x.device)
    for k, seg in enumerate(segments(m, t)[:k_max], start=1):
        covered |= torch.from_numpy(seg).to(x.device)
        out[k:, :, covered] = noise[:, covered]
    return out


@dataclass(frozen=True)
class AOSPC:
    """Per-image curves f(x^(0)) - f(x^(k)), (N, K+1); ``value`` is Eq. (4.17)."""

    drops: np.ndarray
    n_segments: np.ndarray

    @property
    def per_image(self) -> np.ndarray:
        return self.drops.mean(1)

    @property
    def value(self) -> float:
        return float(self.per_image.mean())


def aospc(score: Callable[[Tensor], Tensor], x: Tensor, maps: Tensor, target: Tensor, t: float,
          k_max: int = 10, lo: float = 0.0, hi: float = 1.0, seed: int = 0) -> AOSPC:
    """Eq. (4.17) over the images ``x`` (N, C, H, W) with their maps (N, 1, H, W); ``score(x)``
    returns (N, classes) and f is column ``target[i]`` of image i."""
    if maps.shape != (len(x), 1, *x.shape[2:]):
        raise ValueError(f"maps must be (N, 1, H, W) = {(len(x), 1, *x.shape[2:])}, got {tuple(maps.shape)}")
    if k_max < 1 or hi <= lo or target.shape != (len(x),):
        raise ValueError(f"bad K={k_max}, range [{lo}, {hi}] or target shape {tuple(target.shape)}")
    if not torch.isfinite(maps).all():
        raise ValueError("maps contain NaN or infinite values")
    g = torch.Generator().manual_seed(seed)
    noise = (lo + (hi - lo) * torch.rand(x.shape, generator=g, device=g.device)).to(x.device)
    mm = maps[:, 0].detach().cpu().numpy().astype(np.float64)
    batch = torch.cat([perturbed(x[i], mm[i], t, k_max, noise[i]) for i in range(len(x))])
    with torch.no_grad():
        s = score(batch).reshape(len(x), k_max + 1, -1)
    f = s[torch.arange(len(x), device=s.device), :, target].cpu().numpy()
    n_seg = np.array([min(len(segments(mm[i], t)), k_max) for i in range(len(x))])
    return AOSPC(f[:, :1] - f, n_seg)
