"""Per-example worst case over a list of attacks (as AutoAttack evaluates robustness).

The attacks run in turn, each only on the points still classified correctly; a point is robust
when no attack turns it. Robust accuracy is the mean over points of the per-point minimum,

    acc = (1/N) sum_i min( 1[f(x_i) = y_i], min_a 1[f(A_a(x_i)) = y_i] ),

never the minimum over attacks of their separate accuracies (which overstates robustness
whenever different attacks turn different points). A clean misclassified point counts as broken
by "clean". Every claimed success is re-classified and checked against the attack's budget.
Costs are counted by :class:`.counting.Counted` (rows evaluated and back-propagated per attack),
per point as the attacks report them (``info["queries"]`` / ``info["gradients"]``).

The 95% Wilson interval comes from :func:`facerobust.metrics.intervals.wilson`: metrics is a
sibling layer, not an upper one, and ``intervals`` is a leaf (math and numpy only), so the import
cannot form a cycle. :func:`standard` is AutoAttack's "standard" list without FAB.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from ..metrics.intervals import Z95, wilson
from ..validation import check_batch, check_int, check_labels
from . import lp
from .apgd import apgd, apgd_t
from .base import AttackResult, check_output, classify, untouched
from .counting import Counted
from .square import square

CLEAN = "clean"


@dataclass(frozen=True)
class AttackSpec:
    """One attack of an evaluation: a display ``name``, the ``attack`` function (the contract of
    :mod:`.base`) and its keyword ``params`` (the budget), e.g. ``AttackSpec("APGD-CE", apgd,
    {"eps": 0.3, "loss": "ce"})``."""

    name: str
    attack: Callable[..., AttackResult]
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def budget(self) -> str:
        """The parameters as text, e.g. ``"eps=0.3, norm=Linf, steps=100"``."""
        return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.params.items())

    def run(self, model: nn.Module, x: Tensor, y: Tensor, generator: torch.Generator | None) -> AttackResult:
        return self.attack(model, x, y, **self.params, generator=generator)


def standard(eps: float, norm: str = "Linf", n_classes: int = 10, *, steps: int = 100,
             n_target_classes: int = 9, queries: int = 5000) -> list[AttackSpec]:
    """AutoAttack "standard" minus FAB-T: APGD-CE, APGD-T (only with >= 4 classes), Square.

    Example::

        res = robust_accuracy(model, x, y, standard(0.3, n_classes=10))
        print(res.accuracy, res.interval())
    """
    norm, eps = lp.check_budget(norm, eps)
    check_int(n_classes, "n_classes", lo=2)
    for name, v in (("steps", steps), ("n_target_classes", n_target_classes), ("queries", queries)):
        check_int(v, name, lo=1)
    common = {"eps": eps, "norm": norm, "steps": steps}
    specs = [AttackSpec("APGD-CE", apgd, {**common, "loss": "ce"})]
    if n_classes >= 4:
        specs.append(AttackSpec("APGD-T", apgd_t, {**common, "n_target_classes": n_target_classes}))
    specs.append(AttackSpec("Square", square, {"eps": eps, "norm": norm, "queries": queries}))
    return specs


@dataclass(frozen=True)
class WorstCase:
    """Per-point results of :func:`robust_accuracy` (all tensors (N,) unless said).

    ``stages`` = ("clean", attack names...); ``broken_by[i]`` indexes ``stages`` (-1: robust);
    ``x_adv`` (N, C, H, W) the breaking image (``x`` where robust or clean-misclassified);
    ``linf`` / ``l2`` its perturbation norms (0 for "clean", NaN where robust); ``queries`` /
    ``gradients`` summed over the attacks' own reports (-1 if an attack reports none); per stage:
    ``attacked`` points, wall ``seconds``, ``cpu_seconds`` (process), ``forwards`` /
    ``backwards`` rows counted on the model (an EOT model's draws included).
    """

    stages: tuple[str, ...]
    budgets: tuple[str, ...]
    robust: Tensor
    broken_by: Tensor
    x_adv: Tensor
    linf: Tensor
    l2: Tensor
    queries: Tensor
    gradients: Tensor
    attacked: tuple[int, ...]
    seconds: tuple[float, ...]
    cpu_seconds: tuple[float, ...]
    forwards: tuple[int, ...]
    backwards: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.robust)

    @property
    def k(self) -> int:
        """Points still robust."""
        return int(self.robust.sum())

    @property
    def accuracy(self) -> float:
        """Robust accuracy: the mean of the per-point minimum over clean and every attack."""
        return self.k / self.n

    @property
    def clean_accuracy(self) -> float:
        return int((self.broken_by != 0).sum()) / self.n

    def interval(self, z: float = Z95) -> tuple[float, float]:
        """Wilson interval of :attr:`accuracy` (95% by default)."""
        return wilson(self.k, self.n, z)

    def broken_names(self) -> list[str]:
        """Per point the stage that broke it, or "robust"."""
        return [self.stages[int(b)] if b >= 0 else "robust" for b in self.broken_by]

    def per_stage(self) -> list[dict[str, Any]]:
        """One row per stage: name, budget, points attacked, broken, robust accuracy after it, cost."""
        rows, alive = [], self.n
        for i, name in enumerate(self.stages):
            broken = int((self.broken_by == i).sum())
            alive -= broken
            rows.append({"stage": name, "budget": self.budgets[i], "attacked": self.attacked[i],
                         "broken": broken, "robust_after": alive / self.n, "seconds": self.seconds[i],
                         "cpu_seconds": self.cpu_seconds[i], "forwards": self.forwards[i],
                         "backwards": self.backwards[i]})
        return rows


@untouched
def robust_accuracy(model: nn.Module, x: Tensor, y: Tensor, attacks: Sequence[AttackSpec], *,
                    batch_size: int | None = None, generator: torch.Generator | None = None) -> WorstCase:
    """Worst case per point over ``attacks``: ``acc = mean_i min(clean_i, min_a robust_{a,i})``.

    Args:
        model: classifier (N, C, H, W) -> logits (N, K), left as found.
        x: (N, C, H, W) float32 in [0, 1]; ``y``: (N,) int64 true labels.
        attacks: :class:`AttackSpec` s, run in order, each on the points still correct (untargeted).
        batch_size: points per attack call (default: all at once). ``generator``: passed to each attack.
    Returns:
        :class:`WorstCase` (``accuracy``, ``interval()``, per-point and per-stage results).

    Example::

        res = robust_accuracy(model, x, y, standard(eps=0.3))
        print(f"{res.accuracy:.1%}", res.interval(), res.per_stage())
    """
    x = check_batch(x).detach()
    y = check_labels(y, len(x), name="y").to(x.device)
    specs = _check_specs(attacks)
    bs = len(x) if batch_size is None else check_int(batch_size, "batch_size", lo=1)
    counted, draws = Counted(model), int(getattr(model, "draws", 1))
    n, dev = len(x), x.device
    broken_by = torch.full((n,), -1, dtype=torch.int64, device=dev)
    x_adv, queries, gradients = x.clone(), torch.zeros_like(broken_by), torch.zeros_like(broken_by)
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        z = torch.cat([classify(counted, x[i:i + bs]) for i in range(0, n, bs)])
    check_output(z, y)
    pred = z.argmax(1)
    broken_by[pred != y] = 0
    queries += draws
    cost = [(n, time.perf_counter() - t0, time.process_time() - c0, *counted.take())]
    for s, spec in enumerate(specs, start=1):
        idx = (broken_by < 0).nonzero().squeeze(1)
        t0, c0 = time.perf_counter(), time.process_time()
        for part in idx.split(bs) if len(idx) else ():
            res = spec.run(counted, x[part], y[part], generator)
            hit = _verified(counted, spec, res, x[part], y[part])
            broken_by[part[hit]] = s
            x_adv[part[hit]] = res.x_adv[hit]
            for total, key in ((queries, "queries"), (gradients, "gradients")):
                total[part] = _add(total[part], res.info.get(key), draws)
        cost.append((len(idx), time.perf_counter() - t0, time.process_time() - c0, *counted.take()))
    robust = broken_by < 0
    linf, l2 = lp.norms(x_adv - x, "Linf"), lp.norms(x_adv - x, "L2")
    nan = torch.full_like(linf, torch.nan)
    attacked, seconds, cpu, fwd, bwd = zip(*cost, strict=True)
    return WorstCase((CLEAN, *(s.name for s in specs)), ("", *(s.budget for s in specs)), robust, broken_by,
                     x_adv, torch.where(robust, nan, linf), torch.where(robust, nan, l2), queries, gradients,
                     attacked, seconds, cpu, tuple(draws * f for f in fwd), tuple(draws * b for b in bwd))


def _add(total: Tensor, got: Tensor | None, draws: int) -> Tensor:
    """Running per-point count plus an attack's report (scaled by EOT draws); -1 once unknown."""
    if got is None:
        return torch.full_like(total, -1)
    return torch.where(total < 0, total, total + draws * got.to(total))


def _check_specs(attacks: object) -> list[AttackSpec]:
    if isinstance(attacks, (str, AttackSpec)) or not isinstance(attacks, Sequence) or not attacks:
        raise ValueError("attacks must be a non-empty list of AttackSpec")
    if not all(isinstance(a, AttackSpec) for a in attacks):
        raise ValueError("attacks must be AttackSpec(name, attack, params) entries")
    names = [a.name for a in attacks]
    if len(set(names)) != len(names) or CLEAN in names:
        raise ValueError(f"attack names must be unique and not {CLEAN!r}, got {names}")
    return list(attacks)


def _verified(model: nn.Module, spec: AttackSpec, res: AttackResult, x: Tensor, y: Tensor) -> Tensor:
    """The points ``res`` turned, re-classified; a claimed success outside the budget is an error."""
    if not isinstance(res, AttackResult) or tuple(res.success.shape) != (len(x),):
        raise ValueError(f"{spec.name}: the attack must return an AttackResult with one entry per point")
    hit = res.success.to(x.device).clone()
    if bool(hit.any()):
        with torch.no_grad():
            hit[hit.clone()] = classify(model, res.x_adv[hit]).argmax(1) != y[hit]
        eps, norm = spec.params.get("eps"), str(spec.params.get("norm", "Linf"))
        if eps is not None and bool((lp.norms(res.x_adv[hit] - x[hit], norm) > float(eps) + 1e-5).any()):
            raise ValueError(f"{spec.name}: a success lies outside the {norm} ball of radius {eps}")
    return hit


__all__ = ["CLEAN", "AttackSpec", "WorstCase", "robust_accuracy", "standard"]
