"""Fan-out of independent units of work: in-process, or as tasks on a Ray cluster.

The ``cluster`` parameter of a chapter: ``None`` runs every unit in this process, one after
another; ``"local"`` starts a local Ray instance (stopped again afterwards); anything else is
the address of a running Ray cluster (``"auto"``, ``"10.0.0.5:6379"``, ``"ray://head:10001"``).
Units are submitted at once with their resource needs (``num_cpus``, ``num_gpus``) and their
results come back to the driver in submission order, so whatever the driver does with them
(e.g. writing the model cache) is the same as in-process. A unit must seed and set its thread
count itself; then in-process and Ray runs give identical results. Used by the attribute
chapters' training (:mod:`facerobust.experiments.attributes.training`).

A Ray task's CPU time is measured in its worker and, when ``FACEROBUST_CPU_LEDGER`` names a file
(the runner sets it for each chapter's kernel), added to it: Ray's workers are not in the
kernel's process tree (they run under Ray's raylet and are not reaped by it), so the runner's
CPU column would otherwise miss them (measured: chapter 10's 986 CPU-s of tasks reported as 2 min).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
LOCAL = "local"
CPU_LEDGER_VAR = "FACEROBUST_CPU_LEDGER"


def _timed(fn: Callable[..., T], *job: Any) -> tuple[T, float]:
    """``fn(*job)`` and the CPU seconds it took in this process (all its threads): a Ray task."""
    start = time.process_time()
    out = fn(*job)
    return out, time.process_time() - start


def record_cpu(seconds: float) -> None:
    """Add ``seconds`` of CPU spent outside this process tree to the ledger that
    ``FACEROBUST_CPU_LEDGER`` names (one number per line; nothing when it is unset)."""
    path = os.environ.get(CPU_LEDGER_VAR)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{seconds:.3f}\n")


def ledger_seconds(path: str | os.PathLike[str]) -> float:
    """The CPU seconds recorded in the ledger at ``path`` (0 if it does not exist)."""
    try:
        with open(path, encoding="utf-8") as f:
            return sum(float(line) for line in f if line.strip())
    except FileNotFoundError:
        return 0.0


def check(cluster: str | None) -> str | None:
    """Validate a ``cluster`` parameter: None, 'local' or a non-empty address string."""
    if cluster is None:
        return None
    if not isinstance(cluster, str) or not cluster.strip() or any(c.isspace() for c in cluster):
        raise ValueError(
            f"cluster must be null, 'local' or a Ray address such as 'head:6379', got {cluster!r}")
    return cluster


def _init(ray: Any, cluster: str, num_cpus: int | None, attempts: int = 3) -> None:
    """``ray.init``; a local start that times out (Ray waits 30 s for its raylet, too little on a
    loaded machine) is cleaned up and retried."""
    kw: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    if cluster == LOCAL:
        kw["num_cpus"] = num_cpus or os.cpu_count() or 1
    else:
        kw["address"] = cluster
    for attempt in range(1, attempts + 1):
        try:
            ray.init(**kw)
            return
        except Exception as e:
            ray.shutdown()
            if cluster != LOCAL or "timed out during startup" not in str(e) or attempt == attempts:
                raise


@contextmanager
def _quiet_ray() -> Iterator[Any]:
    """Ray, imported and started without its start-up notes on a chapter's page: tqdm's warning that
    a notebook lacks ipywidgets (it names the site-packages path), Ray's INFO line about the same,
    and its note that token authentication is on (Ray's default, kept). Ray's loggers are set
    after its import, which sets their levels; errors still show."""
    import logging
    import warnings

    widgets = logging.getLogger("ray.widgets.util")  # logs at import: set before it
    widgets_level = widgets.level
    widgets.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            import ray
        main = logging.getLogger("ray")
        main_level = main.level
        main.setLevel(logging.ERROR)
        try:
            yield ray
        finally:
            main.setLevel(main_level)
    finally:
        widgets.setLevel(widgets_level)


@contextmanager
def ray_session(cluster: str, num_cpus: int | None = None) -> Iterator[Any]:
    """Connect to (or start, for 'local') Ray; shut it down afterwards if this call started it."""
    with _quiet_ray() as ray:
        started = not ray.is_initialized()
        if started:
            _init(ray, cluster, num_cpus)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def run(fn: Callable[..., T], jobs: Sequence[tuple[Any, ...]], cluster: str | None = None, *,
        num_cpus: int = 1, num_gpus: float = 0) -> list[T]:
    """``[fn(*job) for job in jobs]``, in-process (``cluster=None``) or as Ray tasks.

    ``num_cpus``/``num_gpus``: what one unit needs (Ray schedules by them; a local instance
    is given max(num_cpus, all cores)). Results are in the order of ``jobs``; the tasks' CPU
    time goes to the ledger (:func:`record_cpu`).
    """
    cluster = check(cluster)
    if isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1:
        raise ValueError(f"num_cpus must be a positive integer, got {num_cpus!r}")
    if not num_gpus >= 0:
        raise ValueError(f"num_gpus must be >= 0, got {num_gpus!r}")
    if cluster is None or not jobs:
        return [fn(*job) for job in jobs]
    with ray_session(cluster, max(num_cpus, os.cpu_count() or 1)) as ray:
        remote = ray.remote(_timed).options(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0)
        done = ray.get([remote.remote(fn, *job) for job in jobs])
    record_cpu(sum(cpu for _, cpu in done))
    return [out for out, _ in done]
