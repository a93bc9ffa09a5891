"""The rows of the report card: what is attacked, on which points, and how.

A :class:`Target` is one model of the book as deployed (a classifier ``x -> logits (N, K)``) with
its test points, split into :class:`Part` s when one model is really several binary ones: chapter
1's bank is one classifier per attribute, and a face verifier is one classifier per enrolled
identity (a pair). Every part carries what its white-box attacks differentiate (``attacked``: the
model itself, or for Defense-GAN the defended classifier with BPDA and EOT), the substitute a
transfer attack crafts on, and for Defense-GAN the unrolled copy of chapter 7's white-box attack.
:class:`AttackSettings` are the attack strengths of the row (steps, targets, queries), set per
data family by the chapter's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from ...validation import check_int

FAMILIES = ("digits", "garments", "faces", "verification")
"""Data families, one curve figure each: MNIST-5k digits (chapter 7), chapter 1's Fashion-MNIST
garments, the real face photos with chapter 0's attribute models, and dlib's face verifier."""


@dataclass(frozen=True)
class AttackSettings:
    """Attack strengths of a row. ``steps``: APGD iterations; ``n_target_classes``: APGD-T's
    targets (used with >= 4 classes; 0 = no APGD-T); ``dlr``: add untargeted APGD-DLR (AutoAttack's
    "rand" version for randomised defenses, >= 3 classes); ``square_queries``: Square's budget
    (0 = no Square); ``unrolled_steps``: APGD steps through the unrolled copy (Defense-GAN only);
    ``minimal``: the minimal-norm attacks run ("deepfool", "cw"); ``cw_binary``, ``cw_steps``: C&W's
    binary-search rounds and iterations per round."""

    steps: int
    n_target_classes: int
    square_queries: int
    dlr: bool = False
    unrolled_steps: int = 0
    minimal: tuple[str, ...] = ("deepfool", "cw")
    cw_binary: int = 3
    cw_steps: int = 50

    def __post_init__(self) -> None:
        check_int(self.steps, "steps", lo=1)
        for name in ("n_target_classes", "square_queries", "unrolled_steps", "cw_binary", "cw_steps"):
            check_int(getattr(self, name), name, lo=0)
        unknown = set(self.minimal) - {"deepfool", "cw"}
        if unknown:
            raise ValueError(f"minimal: unknown attacks {sorted(unknown)} (known: deepfool, cw)")


@dataclass(frozen=True)
class Part:
    """One classifier of a target and its points: ``model`` as deployed (it decides every success),
    ``x`` (N, C, H, W) in [0, 1], true labels ``y`` (N,); ``attacked``: the model white-box attacks
    differentiate (None: ``model``); ``substitute``: a transfer attack's surrogate (None: no transfer
    check); ``unrolled``: a differentiable copy of the defense (chapter 7's unrolled projection)."""

    model: nn.Module
    x: Tensor
    y: Tensor
    attacked: nn.Module | None = None
    substitute: nn.Module | None = None
    unrolled: nn.Module | None = None

    def __post_init__(self) -> None:
        if self.x.ndim != 4 or self.y.shape != (len(self.x),):
            raise ValueError(f"part: x (N, C, H, W) and y (N,), got {tuple(self.x.shape)}, "
                             f"{tuple(self.y.shape)}")

    def to(self, device: torch.device) -> Part:
        """The part with its models moved to ``device`` (once) and its points on it."""
        move = [m.to(device) if m is not None else None for m in (self.model, self.attacked, self.substitute,
                                                                   self.unrolled)]
        return Part(move[0], self.x.to(device), self.y.to(device), move[1], move[2], move[3])  # type: ignore[arg-type]


# CPU seconds per point of a target of each family at the default settings (the card of 2026-12-07,
# one thread per target): a cluster gets the targets longest first, so no core idles at the end.
# Defense-GAN's row projects every query: its own cost (200 s for 12 digits).
COST_PER_POINT = {"digits": 1.9, "garments": 0.07, "faces": 0.5, "verification": 3.3}
DEFENSE_GAN_COST_PER_POINT = 17.0


@dataclass(frozen=True)
class Target:
    """One model of the card: a short ``key`` (claim ids), ``name``, data ``family``
    (:data:`FAMILIES`), ``source`` (where the model was trained), ``n_classes``, its ``parts`` and
    attack ``settings``; ``note`` says what is special about it; ``cost_per_point`` (CPU seconds,
    default: the family's in :data:`COST_PER_POINT`) orders the targets on a cluster."""

    key: str
    name: str
    family: str
    source: str
    n_classes: int
    parts: tuple[Part, ...]
    settings: AttackSettings
    note: str = ""
    cost_per_point: float | None = None

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if not self.parts:
            raise ValueError(f"target {self.name!r} has no parts")
        check_int(self.n_classes, "n_classes", lo=2)

    @property
    def n(self) -> int:
        """Points over all parts."""
        return sum(len(p.x) for p in self.parts)

    @property
    def expected_cpu(self) -> float:
        """CPU seconds this target is expected to take: points x cost per point (a scheduling hint)."""
        per = COST_PER_POINT[self.family] if self.cost_per_point is None else self.cost_per_point
        return self.n * per

    def to(self, device: torch.device) -> Target:
        """The target with every part on ``device``."""
        return replace(self, parts=tuple(p.to(device) for p in self.parts))

    @property
    def adaptive(self) -> bool:
        """Attacked through a surrogate (BPDA / EOT) rather than directly."""
        return any(p.attacked is not None for p in self.parts)


__all__ = ["FAMILIES", "AttackSettings", "Part", "Target"]
