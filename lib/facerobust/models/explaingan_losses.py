"""The ExplainGAN losses, Eqs. (4.7)-(4.16) of Samangouei's dissertation, one function each.

Every loss returns a scalar averaged over the batch. Norms are taken per pixel (a squared L2 norm
divided by the pixel count n), so that the coefficients of :class:`LossWeights` do not depend on
the image size. Used by :mod:`facerobust.experiments.explaingan.training`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional


@dataclass(frozen=True)
class LossWeights:
    """Coefficients of (4.6): one set for every pair except ``kappa`` and ``smooth`` (as in the text)."""

    gan: float = 1.0
    classifier: float = 5.0
    recon: float = 10.0
    const: float = 10.0
    count: float = 2.0
    smooth: float = 0.5
    entropy: float = 0.5
    kappa: float = 0.1

    def __post_init__(self) -> None:
        for name, v in vars(self).items():
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"loss weight {name} must be finite and >= 0, got {v}")
        if self.kappa > 1:
            raise ValueError(f"kappa is a pixel fraction in [0, 1], got {self.kappa}")


def _mask(m: Tensor) -> None:
    if m.ndim != 4 or m.shape[1] != 1:
        raise ValueError(f"mask must be (N, 1, H, W), got {tuple(m.shape)}")


def gan_d_loss(real: Tensor, fakes: Sequence[Tensor]) -> Tensor:
    """Discriminator side of (4.8): real logits -> 1, every fake kind (reconstructions,
    transformations, composites) -> 0; binary cross-entropy on logits, fakes averaged."""
    if not fakes:
        raise ValueError("gan_d_loss needs at least one batch of fake logits")
    loss_real = functional.binary_cross_entropy_with_logits(real, torch.ones_like(real))
    bce = functional.binary_cross_entropy_with_logits
    loss_fake = torch.stack([bce(f, torch.zeros_like(f)) for f in fakes]).sum()
    return loss_real + loss_fake / len(fakes)


def gan_g_loss(fakes: Sequence[Tensor]) -> Tensor:
    """Generator side of (4.8), non-saturating (-log D(fake)), averaged over the fake kinds."""
    if not fakes:
        raise ValueError("gan_g_loss needs at least one batch of fake logits")
    bce = functional.binary_cross_entropy_with_logits
    return torch.stack([bce(f, torch.ones_like(f)) for f in fakes]).mean()


def classifier_loss(logits: Tensor, target: int) -> Tensor:
    """(4.9)-(4.10) for one class: -log C_target(composite), C the black box's softmax."""
    if target not in (0, 1) or logits.ndim != 2 or logits.shape[1] != 2:
        raise ValueError(f"need (N, 2) logits and target 0 or 1, got {tuple(logits.shape)}, {target!r}")
    labels = torch.full((len(logits),), target, dtype=torch.long, device=logits.device)
    return functional.cross_entropy(logits, labels)


def recon_loss(recon: Tensor, x: Tensor) -> Tensor:
    """(4.11): ||G_j(E_j(x)) - x||^2 / n."""
    if recon.shape != x.shape:
        raise ValueError(f"recon_loss: shapes differ, {tuple(recon.shape)} vs {tuple(x.shape)}")
    return (recon - x).pow(2).mean()


def const_loss(x: Tensor, t: Tensor, m: Tensor) -> Tensor:
    """(4.13): ||(1 - m) * x - (1 - m) * t||^2 / n: pixels outside the mask must not change."""
    _mask(m)
    if x.shape != t.shape:
        raise ValueError(f"const_loss: shapes differ, {tuple(x.shape)} vs {tuple(t.shape)}")
    return ((1 - m) * (x - t)).pow(2).mean()


def mask_area(m: Tensor) -> Tensor:
    """||m||_1 / n per image, (N,): the fraction of the image the mask covers."""
    _mask(m)
    return m.flatten(1).mean(1)


def count_loss(m: Tensor, kappa: float) -> Tensor:
    """(4.14): max(||m||_1 / n, kappa): only masks larger than kappa are penalised."""
    if not 0 <= kappa <= 1:
        raise ValueError(f"kappa must lie in [0, 1], got {kappa}")
    return torch.clamp(mask_area(m), min=kappa).mean()


def tv_loss(m: Tensor) -> Tensor:
    """(4.15): anisotropic total variation |dm/dx| + |dm/dy|, per pixel."""
    _mask(m)
    dx = (m[..., :, 1:] - m[..., :, :-1]).abs().flatten(1).sum(1)
    dy = (m[..., 1:, :] - m[..., :-1, :]).abs().flatten(1).sum(1)
    return ((dx + dy) / m[0].numel()).mean()


def entropy_loss(m: Tensor) -> Tensor:
    """(4.16): min(m, 1 - m), zero for a binary mask, largest (0.5) at m = 0.5."""
    _mask(m)
    return torch.minimum(m, 1 - m).mean()


def prior_loss(x: Tensor, t: Tensor, m: Tensor, w: LossWeights) -> Tensor:
    """(4.12): the weighted sum of the four mask priors for one class."""
    return (w.const * const_loss(x, t, m) + w.count * count_loss(m, w.kappa)
            + w.smooth * tv_loss(m) + w.entropy * entropy_loss(m))
