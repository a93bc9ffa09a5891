"""Running the card's attacks on one target: the worst case at each budget and the sanity checks.

At every budget the attacks of :func:`stages` run in turn through
:func:`facerobust.attacks.worst_case.robust_accuracy` (each only on the points still correct), on
every part of the target, and the parts' per-point results are joined (:func:`merge`). At the
target's standard budget the sanity checks' attacks run after them as further stages
(:func:`check_stages`): APGD-CE with twice the steps, FGSM, and a transfer attack from the
substitute, so a point any of them turns counts as broken and the stage that turned it is named.
A target attacked through a surrogate (Defense-GAN with BPDA and EOT) runs its white-box attacks
on the surrogate via :func:`facerobust.attacks.transfer.transfer`; success is always decided by the
deployed model.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import nn

from ...attacks.apgd import apgd, apgd_t
from ...attacks.base import AttackResult
from ...attacks.fgsm import fgsm
from ...attacks.square import square
from ...attacks.transfer import transfer
from ...attacks.worst_case import AttackSpec, WorstCase, robust_accuracy
from .targets import Part, Target

DOUBLED = "APGD-CE 2x steps"
SINGLE_STEP = "FGSM"
TRANSFER = "transfer"
GRADIENT_FREE = "Square"
UNROLLED = "APGD-CE unrolled"


@dataclass(frozen=True)
class Budget:
    """A threat model: ``norm`` ("Linf" or "L2") and radius ``eps`` on images in [0, 1]."""

    norm: str
    eps: float

    @property
    def label(self) -> str:
        """E.g. "L-inf 0.3", "L-inf 4/255", "L2 2"."""
        name = "L-inf" if self.norm == "Linf" else "L2"
        k = self.eps * 255
        if self.norm == "Linf" and abs(k - round(k)) < 1e-6 and self.eps < 0.1:
            return f"{name} {round(k)}/255"
        return f"{name} {self.eps:g}"


def seed_of(seed: int, *names: str) -> torch.Generator:
    """A generator seeded from ``seed`` and names (a target and a budget), independent of run order."""
    return torch.Generator().manual_seed(seed + zlib.crc32("|".join(names).encode()) % 100_000)


def fgsm_counted(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *, targeted: bool = False,
                 eps: float, generator: torch.Generator | None = None) -> AttackResult:
    """FGSM with its cost in ``info``: 2 forward passes (the step's and the re-classification) and
    1 gradient per sample, so the card's queries per point include it."""
    res = fgsm(model, x, y, targeted=targeted, eps=eps, generator=generator)
    n = len(res.success)
    cost = {"queries": torch.full((n,), 2, dtype=torch.int64, device=res.success.device),
            "gradients": torch.ones(n, dtype=torch.int64, device=res.success.device)}
    return AttackResult(res.x_adv, res.success, {**res.info, **cost})


def _spec(part: Part, name: str, attack: Callable[..., AttackResult], params: dict[str, Any],
          source: nn.Module | None = None) -> AttackSpec:
    """An attack on the part's model, or crafted on ``source`` (default: the part's surrogate)."""
    src = part.attacked if source is None else source
    if src is None:
        return AttackSpec(name, attack, params)
    return AttackSpec(name, partial(transfer, source=src, attack=attack), params)


def stages(target: Target, part: Part, budget: Budget) -> list[AttackSpec]:
    """The white-box and gradient-free attacks of a row: APGD-CE, APGD-T (>= 4 classes) or APGD-DLR
    (the "rand" version), APGD-CE through the unrolled defense, Square."""
    s, common = target.settings, {"eps": budget.eps, "norm": budget.norm}
    out = [_spec(part, "APGD-CE", apgd, {**common, "steps": s.steps, "loss": "ce"})]
    if s.dlr and target.n_classes >= 3:
        out.append(_spec(part, "APGD-DLR", apgd, {**common, "steps": s.steps, "loss": "dlr"}))
    elif s.n_target_classes and target.n_classes >= 4:
        out.append(_spec(part, "APGD-T", apgd_t, {**common, "steps": s.steps,
                                                  "n_target_classes": s.n_target_classes}))
    if part.unrolled is not None and s.unrolled_steps:
        out.append(_spec(part, UNROLLED, apgd, {**common, "steps": s.unrolled_steps, "loss": "ce"},
                         source=part.unrolled))
    if s.square_queries:
        out.append(AttackSpec(GRADIENT_FREE, square, {**common, "queries": s.square_queries}))
    return out


def check_stages(target: Target, part: Part, budget: Budget) -> list[AttackSpec]:
    """The sanity checks' attacks, run after :func:`stages` at the standard budget: APGD-CE with
    twice the steps, FGSM (L-inf only) and APGD-CE transferred from the substitute (if any)."""
    s, common = target.settings, {"eps": budget.eps, "norm": budget.norm}
    out = [_spec(part, DOUBLED, apgd, {**common, "steps": 2 * s.steps, "loss": "ce"})]
    if budget.norm == "Linf":
        out.append(_spec(part, SINGLE_STEP, fgsm_counted, {"eps": budget.eps}))
    if part.substitute is not None:
        out.append(_spec(part, TRANSFER, apgd, {**common, "steps": s.steps, "loss": "ce"},
                         source=part.substitute))
    return out


def merge(results: Sequence[WorstCase]) -> WorstCase:
    """The parts' per-point results as one (points concatenated, costs summed); the parts must
    have run the same stages."""
    if not results:
        raise ValueError("merge: no results")
    first = results[0]
    if any(r.stages != first.stages for r in results):
        raise ValueError("merge: the parts ran different attacks")
    if len(results) == 1:
        return first

    def cat(name: str) -> torch.Tensor:
        return torch.cat([getattr(r, name) for r in results])

    def total(name: str) -> tuple[Any, ...]:
        return tuple(sum(v) for v in zip(*(getattr(r, name) for r in results), strict=True))

    return WorstCase(first.stages, first.budgets, cat("robust"), cat("broken_by"), cat("x_adv"), cat("linf"),
                     cat("l2"), cat("queries"), cat("gradients"), total("attacked"), total("seconds"),
                     total("cpu_seconds"), total("forwards"), total("backwards"))


def worst_case(target: Target, budget: Budget, *, checks: bool, seed: int) -> WorstCase:
    """The target's per-point worst case at ``budget`` over :func:`stages` (and, with ``checks``,
    :func:`check_stages`), all parts joined."""
    out = []
    for i, part in enumerate(target.parts):
        specs = stages(target, part, budget) + (check_stages(target, part, budget) if checks else [])
        out.append(robust_accuracy(part.model, part.x, part.y, specs,
                                   generator=seed_of(seed, target.name, budget.label, str(i))))
    return merge(out)


def large_budget(target: Target, budget: Budget, *, seed: int) -> WorstCase:
    """APGD-CE alone (the white-box attack, through the surrogate where there is one) at a budget
    large enough that any model should be broken (Carlini et al.'s unbounded-attack check)."""
    out = []
    for i, part in enumerate(target.parts):
        spec = _spec(part, "APGD-CE", apgd, {"eps": budget.eps, "norm": budget.norm,
                                             "steps": target.settings.steps, "loss": "ce"})
        out.append(robust_accuracy(part.model, part.x, part.y, [spec],
                                   generator=seed_of(seed, target.name, "large", str(i))))
    return merge(out)


__all__ = ["DOUBLED", "GRADIENT_FREE", "SINGLE_STEP", "TRANSFER", "UNROLLED", "Budget", "check_stages",
           "fgsm_counted", "large_budget", "merge", "seed_of", "stages", "worst_case"]
