"""Cached models trained side by side: look up, list what is missing, train it, store it.

A :class:`Unit` is one cache entry (name, configuration) with the callables that build and train
it. :func:`trained` returns every unit's model: with ``cluster=None`` one after the other through
:func:`facerobust.cache.cached_module`; with a cluster (:mod:`facerobust.cluster`: ``'local'`` or
a Ray address) the driver loads the entries the cache holds, trains the missing ones as parallel
Ray tasks (each with its own CPU threads, one GPU each where it asks for one) and stores them
under the same keys, so both runs leave the same cache entries with the same weights. A unit
must seed itself (its ``make``, e.g. :func:`facerobust.cache.seeded`, and its ``fit``); a task
trains in the driver's numerics mode (:mod:`facerobust.numerics`). Used by the attribute banks
(chapters 1-3), CNNAA (4), CRISPR (5), ExplainGAN (6), Defense-GAN's zoo (7) and the K-anonymity
classifiers (9).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from . import cache, numerics
from . import cluster as clusters
from . import device as devices


@dataclass(frozen=True)
class Unit:
    """One cached model: the entry (``name``, ``config``), how to build (``make``) and train
    (``fit``, returns the metadata to store) it, and what one training task needs."""

    name: str
    config: Any
    make: cache.Make
    fit: cache.Fit
    cpus: int = 1
    gpus: float = 0


def train_one(make: cache.Make, fit: cache.Fit, threads: int,
              mode: str | None = None) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """One unit trained from scratch on ``threads`` CPU threads, deterministically: its CPU state
    dict and metadata. Runs in-process or as a Ray task. ``mode``: the numerics mode of the process
    that keys the entry (:func:`facerobust.numerics.mode`, which the cache key holds; default: this
    process's); a task whose process runs another mode refuses to train, and the mode's backend
    switches are applied first (a Ray worker has not run ``session.start``)."""
    numerics.adopt(numerics.mode() if mode is None else mode)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    model = make()
    meta = dict(fit(model) or {})
    return {k: v.cpu() for k, v in model.state_dict().items()}, meta


def _in_process(u: Unit) -> tuple[nn.Module, dict[str, Any]]:
    """``u`` from the cache or trained here, on the unit's thread count (as a Ray task would be), so
    the entry's key (which holds the thread count) is the same in-process and on a cluster."""
    with devices.threads(u.cpus):
        return cache.cached_module(u.name, u.config, u.make, u.fit)


def trained(units: Sequence[Unit], cluster: str | None = None) -> list[tuple[nn.Module, dict[str, Any]]]:
    """Every unit's (model in eval mode, metadata), from the cache or trained now; in-process
    (``cluster=None``) or the missing ones as parallel tasks on a Ray cluster."""
    if clusters.check(cluster) is None:
        return [_in_process(u) for u in units]
    done: dict[int, tuple[nn.Module, dict[str, Any]]] = {}
    for k, u in enumerate(units):
        with devices.threads(u.cpus):  # the key holds the thread count the task trains on
            hit = cache.lookup(u.name, u.config, u.make, u.fit)
        if hit is not None:
            done[k] = hit
    todo = [k for k in range(len(units)) if k not in done]
    if todo:
        cpus = max(units[k].cpus for k in todo)
        print(f"training {', '.join(units[k].name for k in todo)} side by side ({cluster}, {cpus} CPU "
              "each); their progress bars go to Ray's worker logs", file=sys.stderr)
        jobs = [(units[k].make, units[k].fit, units[k].cpus, numerics.mode()) for k in todo]
        results = clusters.run(train_one, jobs, cluster, num_cpus=cpus,
                              num_gpus=max(units[k].gpus for k in todo))
        for k, (state, meta) in zip(todo, results, strict=True):
            u = units[k]
            with devices.threads(u.cpus):
                done[k] = cache.store(u.name, u.config, u.make, u.fit, state, meta)
    return [done[k] for k in range(len(units))]

