"""The book's models as classifiers the attacks take: ``x -> logits (N, K)``.

The iterative attacks (:mod:`facerobust.attacks.apgd`, :mod:`~facerobust.attacks.square`) attack
a classifier with K >= 2 logits. The book's binary models give one real score instead, positive =
attribute present (chapter 0's registry, chapter 1's networks), and the face verifier gives a
distance; each becomes a two-logit classifier whose decision is the model's own,

    z(x) = (0, s(x)),    class 1  <=>  s(x) > 0,

so cross-entropy on ``z`` is ``softplus(-s)`` for class 1 and ``softplus(s)`` for class 0, and the
C&W margin is ``|s|`` with the right sign. For the verifier with enrolled descriptor ``a`` and
threshold ``tau`` the score is ``s(x) = scale * (tau - ||e(x) - a||_2)``: class 1 = "match".

Defense-GAN's restarts: :class:`RandomProjection` is the projection with fresh random starts on
every call (the defender's randomness as an attacker must model it, by EOT), drawn from its own
seeded generator so a run is repeatable.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ...defenses.defense_gan import DefenseGAN
from ...models.attribute_nets import SmallAttributeCNN


class BinaryHead(nn.Module):
    """``(0, score(x))`` logits from a real-valued score; ``model`` is the module that owns the
    weights (so that moving or freezing the head moves or freezes them)."""

    def __init__(self, model: nn.Module, score: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.model = model
        self.score = score

    def forward(self, x: Tensor) -> Tensor:
        s = self.score(x)
        if s.ndim != 1 or len(s) != len(x):
            raise ValueError(f"score must return (N,) = ({len(x)},), got {tuple(s.shape)}")
        return torch.stack([torch.zeros_like(s), s], dim=1)


def single_attribute(bank: nn.Module, index: int) -> tuple[nn.Module, int]:
    """Network ``index`` of a bank on its own: a :class:`SmallAttributeCNN` bank stores its networks
    as the groups of grouped convolutions, so group ``index`` copied into a one-attribute bank is
    the same network at a tenth of the cost; any other bank is kept whole. Returns the module and
    the index of the attribute in its output."""
    if not isinstance(bank, SmallAttributeCNN):
        return bank, int(index)
    a = bank.n_attributes
    widths = (bank.c1.out_channels // a, bank.c2.out_channels // a, bank.c3.out_channels // a)
    one = SmallAttributeCNN(1, bank.n_out, bank.in_channels, bank.size, widths, bank.fc1.out_channels // a)
    with torch.no_grad():
        for p, q in zip(one.parameters(), bank.parameters(), strict=True):
            p.copy_(q.view(a, -1)[index].view(p.shape))
    return one.to(bank.c1.weight.device).eval().requires_grad_(False), 0


class AttributeHead(nn.Module):
    """Attribute ``index`` of a chapter-1 bank (output (N, A, 1) Euclidean or (N, A, 2) softmax)
    as a binary classifier: ``(0, f)`` with ``f`` the output or ``z+ - z-`` (computed by that
    attribute's network alone where the bank allows, :func:`single_attribute`)."""

    def __init__(self, bank: nn.Module, index: int) -> None:
        super().__init__()
        self.bank, self.index = single_attribute(bank, index)

    def forward(self, x: Tensor) -> Tensor:
        out = self.bank(x)[:, self.index]
        s = out[:, 0] if out.shape[-1] == 1 else out[:, 1] - out[:, 0]
        return torch.stack([torch.zeros_like(s), s], dim=1)


class PairVerifier(nn.Module):
    """Verification of a probe ``x`` against one enrolled descriptor ``anchor`` (D,):
    logits ``(0, scale * (threshold - ||descriptor(x) - anchor||_2))``, class 1 = match."""

    anchor: Tensor

    def __init__(self, descriptor: nn.Module, anchor: Tensor, threshold: float, scale: float = 10.0) -> None:
        super().__init__()
        if anchor.ndim != 1:
            raise ValueError(f"anchor must be one descriptor (D,), got {tuple(anchor.shape)}")
        self.descriptor = descriptor
        self.register_buffer("anchor", anchor.detach().clone())
        self.threshold, self.scale = float(threshold), float(scale)

    def forward(self, x: Tensor) -> Tensor:
        d = (self.descriptor(x) - self.anchor).norm(dim=1)
        s = self.scale * (self.threshold - d)
        return torch.stack([torch.zeros_like(s), s], dim=1)


class RandomProjection(nn.Module):
    """Defense-GAN's projection with fresh random restarts on every call (no graph: wrap it in
    BPDA to attack through it). The starts come from a generator seeded once with ``seed``."""

    def __init__(self, defense: DefenseGAN, seed: int) -> None:
        super().__init__()
        self.defense = defense
        self.draws = torch.Generator().manual_seed(seed)

    def forward(self, x: Tensor) -> Tensor:
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=self.draws, device=self.draws.device))
        with torch.no_grad():
            return self.defense.project(x.detach(), seed=seed).x_rec


__all__ = ["AttributeHead", "BinaryHead", "PairVerifier", "RandomProjection"]
