"""Checkpoint and resume of a long training loop (CRISPR, the Defense-GAN generator).

A :class:`Checkpoint` keeps, every ``every`` iterations, the state of the run's parts (networks and
optimisers: anything with ``state_dict`` / ``load_state_dict``), its random generator, the
iteration reached and the history, in one atomic file of the cache (``cache/checkpoints``, keyed
like the model it trains: :func:`for_entry`). An interrupted run resumes from it and ends with the
weights an uninterrupted run ends with; the file is removed when the run is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from . import cache
from .paths import cache_dir

History = dict[str, list[float]]


def for_entry(name: str, config: Any, *producers: object, every: int = 250) -> Checkpoint:
    """The checkpoint of the cache entry (``name``, ``config``, ``producers``): see :func:`cache.key`."""
    k = cache.key(name + "-ckpt", config, *producers)
    return Checkpoint(cache_dir() / "checkpoints" / f"{k}.pt", every)


@dataclass(frozen=True)
class Checkpoint:
    """Where (``path``; None: no checkpoints) and how often (``every`` iterations) a run is saved."""

    path: Path | None
    every: int = 250

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"every must be >= 1, got {self.every}")

    def resume(self, parts: Mapping[str, Any], rng: torch.Generator, fresh: History) -> tuple[int, History]:
        """Load the saved state into ``parts`` and ``rng``: (iteration to start from, history);
        ``(0, fresh)`` when there is nothing to resume."""
        if self.path is None or not self.path.exists():
            return 0, fresh
        s = cache.load_state(self.path)
        for name, part in parts.items():
            part.load_state_dict(s[name])
        rng.set_state(s["rng"])
        return int(s["iter"]), {k: list(v) for k, v in s["hist"].items()}

    def step(self, done: int, total: int, parts: Mapping[str, Any], rng: torch.Generator,
             hist: History) -> None:
        """After iteration ``done`` (1-based) of ``total``: save every ``every`` iterations, not at
        the end."""
        if self.path is not None and done % self.every == 0 and done < total:
            cache.save_state(self.path, {**{n: p.state_dict() for n, p in parts.items()},
                                         "rng": rng.get_state(), "iter": done, "hist": hist})

    def finish(self) -> None:
        """The run is complete: remove the file."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
