"""One target evaluated: every measure of its rows on the card, with the CPU time each took.

:func:`evaluate_target` runs, in order, the worst case at each budget (the sanity checks' attacks
added at the standard budget), APGD-CE at the large budget, the accuracy-perturbation curve, the
minimal-norm attacks and AutoAttack's pre-attack checks, and returns a :class:`TargetResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import numpy as np
import torch

from ... import cluster as clusters
from ... import device as devices
from ... import numerics
from ...attacks.worst_case import WorstCase
from ...progress import progress
from ...validation import check_int
from . import curves, prechecks
from .evaluate import Budget, large_budget, worst_case
from .targets import Target

T = TypeVar("T")


@dataclass(frozen=True)
class Plan:
    """What to measure on a target: its family's ``budgets``, the index of the ``standard`` one, the
    ``large`` budget of the unbounded-attack check, the curve's L-inf ``grid``, how many points of
    each part the pre-attack checks use (``check_n``) and the run's ``seed``."""

    budgets: tuple[Budget, ...]
    standard: int
    large: Budget
    grid: tuple[float, ...]
    check_n: int
    seed: int

    def __post_init__(self) -> None:
        if not self.budgets or not 0 <= self.standard < len(self.budgets):
            raise ValueError(f"standard must index budgets (0..{len(self.budgets) - 1}), got {self.standard}")
        if self.check_n < 1:
            raise ValueError(f"check_n must be >= 1, got {self.check_n}")

    @classmethod
    def of(cls, budgets: Sequence[Sequence[object]], standard: int, large_eps: float, grid: Sequence[float],
           check_n: int, seed: int, unit: float = 1.0) -> Plan:
        """A plan from plain values: ``budgets`` as ``[norm, eps]`` pairs, radii (``eps``, ``grid``)
        in multiples of ``unit`` (e.g. 1/255), ``large_eps`` in [0, 1]."""
        bs = tuple(Budget(str(norm), float(eps) * unit) for norm, eps in budgets)  # type: ignore[arg-type]
        radii = tuple(float(e) * unit for e in grid)
        return cls(bs, standard, Budget("Linf", large_eps), radii, check_n, seed)


@dataclass(frozen=True)
class TargetResult:
    """Every measure of one target. ``by_budget`` maps budget labels to the per-point worst case
    (the standard one includes the sanity checks' stages); ``large``: APGD-CE at the large budget;
    ``minimal_l2``: per clean-correct point (inf: not turned); ``cpu``: CPU seconds per measure."""

    target: Target
    plan: Plan
    by_budget: dict[str, WorstCase]
    large: WorstCase
    curve: curves.Curve
    minimal_l2: np.ndarray
    checks: prechecks.PreChecks
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def standard(self) -> WorstCase:
        return self.by_budget[self.plan.budgets[self.plan.standard].label]

    @property
    def standard_budget(self) -> Budget:
        return self.plan.budgets[self.plan.standard]

    def standard_stages(self) -> tuple[str, ...]:
        """The stages of the standard list (every budget runs them; the checks' stages follow)."""
        other = [wc for label, wc in self.by_budget.items() if label != self.standard_budget.label]
        return other[0].stages if other else self.standard.stages

    def robust_after_standard(self) -> int:
        """Points robust after the standard list at the standard budget (before the checks' attacks)."""
        wc, last = self.standard, len(self.standard_stages()) - 1
        return int(((wc.broken_by < 0) | (wc.broken_by > last)).sum())

    @property
    def clean_k(self) -> int:
        return int((self.standard.broken_by != 0).sum())

    @property
    def cpu_total(self) -> float:
        return sum(self.cpu.values())

    def median_l2(self) -> float:
        return curves.median_l2(self.minimal_l2)


def evaluate_target(target: Target, plan: Plan) -> TargetResult:
    """Run every measure of the card on ``target`` (see the module docstring)."""
    cpu: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], T]) -> T:
        c = time.process_time()
        out = fn()
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - c
        return out

    by_budget = {}
    for i, b in enumerate(plan.budgets):
        checks = i == plan.standard
        by_budget[b.label] = timed("attacks", partial(worst_case, target, b, checks=checks, seed=plan.seed))
    large = timed("large budget", lambda: large_budget(target, plan.large, seed=plan.seed))
    crv = timed("curve", lambda: curves.curve(target, plan.grid, seed=plan.seed))
    minimal = timed("minimal", lambda: curves.minimal_l2(target, seed=plan.seed))
    pre = timed("pre-checks", lambda: prechecks.PreChecks.merge(
        [prechecks.run(p.model, p.attacked, p.x[:plan.check_n], p.y[:plan.check_n]) for p in target.parts]))
    return TargetResult(target, plan, by_budget, large, crv, minimal, pre, cpu)


def _evaluate_task(target: Target, plan: Plan, threads: int, mode: str) -> TargetResult:
    """:func:`evaluate_target` as a Ray task: on ``threads`` CPU threads, in the driver's numerics
    ``mode`` (a worker in another mode refuses), so it computes what the driver would."""
    numerics.adopt(mode)
    torch.set_num_threads(threads)
    return evaluate_target(target, plan)


def evaluate_all(targets: Sequence[Target], plans: dict[str, Plan], *, cluster: str | None = None,
                 threads: int | None = None) -> list[TargetResult]:
    """:func:`evaluate_target` for each target with its family's plan (``plans[target.family]``).

    ``cluster=None``: one target after another in this process, on its torch threads. With a
    cluster (:mod:`facerobust.cluster`: ``"local"`` or a Ray address) each target is a task on
    ``threads`` CPU threads (default: this process's), side by side, the longest
    (:attr:`Target.expected_cpu`) first; results come in the order of ``targets``. Every attack
    seeds itself from the target's and budget's names (:func:`.evaluate.seed_of`), so the results
    are those of the in-process run on the same thread count."""
    missing = sorted({t.family for t in targets} - set(plans))
    if missing:
        raise ValueError(f"no plan for the families {missing}")
    threads = torch.get_num_threads() if threads is None else check_int(threads, "threads", lo=1)
    if clusters.check(cluster) is None:
        with devices.threads(threads):
            return [evaluate_target(t, plans[t.family]) for t in progress(targets, desc="report card")]
    order = sorted(range(len(targets)), key=lambda i: -targets[i].expected_cpu)  # longest first
    jobs = [(targets[i], plans[targets[i].family], threads, numerics.mode()) for i in order]
    print(f"report card: {len(jobs)} targets as tasks of {threads} thread(s) on {cluster}", flush=True)
    done = clusters.run(_evaluate_task, jobs, cluster, num_cpus=threads)
    return [r for _, r in sorted(zip(order, done, strict=True), key=lambda pair: pair[0])]


__all__ = ["Plan", "TargetResult", "evaluate_all", "evaluate_target"]
