"""Timing shared by the benchmark scripts (run as ``python benchmarks/bench_x.py``, so this folder
is on ``sys.path``)."""

from __future__ import annotations

import time
from collections.abc import Callable


def runs(fn: Callable[[], object], repeats: int) -> tuple[list[float], list[float]]:
    """Wall times and process CPU times (all threads) of ``repeats`` runs, after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def best(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best wall time and best process CPU time of ``repeats`` runs, after one warm-up."""
    wall, cpu = runs(fn, repeats)
    return min(wall), min(cpu)
