"""Expectation over transformation for AdvHat: random sticker placements (chapter 8, AdvHat).

The ranges are those of the official ``Imgen.gen_random`` (spec table 2.7): every parameter is
drawn uniformly around its centre, independently per sample. :func:`sample` draws a whole batch at
once; :func:`sweep` varies one parameter over given values (robustness outside the ranges).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from .projection import Placement

# Half-widths of the uniform ranges (spec table 2.7); s2 is drawn in [1/1.04, 1.04] times its centre.
HALF_WIDTHS: Mapping[str, float] = {
    "alpha1": 1.0, "s1": 0.02, "x1": 600 / 112, "y1": 600 / 112, "alpha2": 1.0,
    "y2": 1 / 66, "phi": 2.0, "a": 0.0002,
}
ZOOM = 1.04


@dataclass(frozen=True)
class EOT:
    """Centre of the distribution (a :class:`Placement` of length 1) and a width multiplier.

    ``width = 1`` is the official distribution, ``0`` the fixed validation view. ``flat=True``
    forces ``a = 0`` and ``phi = 0`` (the planar-sticker ablation, claim A3).
    """

    centre: Placement
    width: float = 1.0
    flat: bool = False

    @classmethod
    def official(cls, flat: bool = False, **centre: float) -> EOT:
        return cls(Placement.default(1, **centre), 1.0, flat)


def sample(eot: EOT, n: int, generator: torch.Generator) -> Placement:
    """``n`` random placements (one batched draw per parameter, in a fixed order), drawn on the
    generator's device (a CPU generator gives the same draws whatever device renders them)."""
    if n < 1:
        raise ValueError("need at least one sample")
    out: dict[str, torch.Tensor] = {}
    for name in ("alpha1", "s1", "x1", "y1", "alpha2", "s2", "y2", "phi", "a"):
        centre = getattr(eot.centre, name)[0].double().to(generator.device)
        u = torch.rand(n, generator=generator, dtype=torch.float64, device=generator.device) * 2 - 1
        if name == "s2":
            out[name] = centre * ZOOM ** (eot.width * u)
        else:
            out[name] = centre + eot.width * HALF_WIDTHS[name] * u
    out["a"] = out["a"].clamp(min=0)
    if eot.flat:
        out["a"] = torch.zeros_like(out["a"])
        out["phi"] = torch.zeros_like(out["phi"])
    return Placement(**out)


def fixed(eot: EOT, n: int = 1) -> Placement:
    """The centre view repeated ``n`` times (flat if the EOT is flat)."""
    p = sample(EOT(eot.centre, 0.0, eot.flat), n, torch.Generator().manual_seed(0))
    return p


def sweep(name: str, values: Sequence[float], base: Placement | None = None) -> Placement:
    """One placement per value of parameter ``name``, all others at ``base`` (default: official)."""
    base = base or Placement.default(1)
    if not hasattr(base, name):
        raise ValueError(f"unknown placement parameter {name!r}")
    n = len(values)
    fields = {k: getattr(base, k)[:1].expand(n).clone() for k in base.__dataclass_fields__}
    fields[name] = torch.tensor([float(v) for v in values], dtype=torch.float64, device=base.a.device)
    return Placement(**fields)
