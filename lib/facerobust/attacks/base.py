"""The attack contract shared by every attack in the book.

An attack is one function (CleverHans' style) that takes a model and a whole batch and
returns an :class:`AttackResult`: the adversarial batch plus a per-sample success mask
(Foolbox's contract). Failure is never swallowed: a sample the attack could not turn has
``success == False`` and its returned image is the attack's best attempt (or the original).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor


@dataclass(frozen=True)
class AttackResult:
    """``x_adv`` (N, C, H, W) in the model's input range and ``success`` (N,) bool.

    ``info`` carries attack-specific per-sample tensors (e.g. the final step weight of a
    line search, the number of iterations, the constant ``c`` found by a binary search).
    """

    x_adv: Tensor
    success: Tensor
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.success.dtype != torch.bool or self.success.shape != (len(self.x_adv),):
            raise ValueError("success must be a bool tensor with one entry per sample")

    @property
    def rate(self) -> float:
        """Fraction of samples turned (0.0 for an empty batch)."""
        return float(self.success.float().mean()) if len(self.success) else 0.0

    def perturbation_norms(self, x: Tensor, p: float = 2.0) -> Tensor:
        """Per-sample ``||x_adv - x||_p``."""
        return (self.x_adv - x).flatten(1).norm(p=p, dim=1)


def check_batch(x: Tensor, channels: int | None = None, lo: float = 0.0, hi: float = 1.0) -> None:
    """Raise a clear ``ValueError`` for a batch an attack or model cannot take."""
    if not isinstance(x, Tensor):
        raise ValueError(f"expected a torch.Tensor batch, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"expected an NCHW batch, got shape {tuple(x.shape)}")
    if len(x) == 0:
        raise ValueError("empty batch")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"expected {channels} channels, got {x.shape[1]} (shape {tuple(x.shape)})")
    if not torch.isfinite(x).all():
        raise ValueError("batch contains NaN or infinite values")
    if x.min() < lo - 1e-6 or x.max() > hi + 1e-6:
        raise ValueError(
            f"pixel values must lie in [{lo}, {hi}], got [{float(x.min()):.3g}, {float(x.max()):.3g}]"
            + (" (pass images scaled to [0, 1], not 0-255)" if float(x.max()) > 1.5 and hi == 1.0 else "")
        )
