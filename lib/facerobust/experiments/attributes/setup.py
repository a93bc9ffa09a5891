"""Data, trained networks and cached attacks of the Rozsa chapters (1-3): the stages, with the typed
configurations they take (:class:`~.training.TrainConfig`, :class:`~.adversarial.AttackConfig`,
:class:`~.training.Compute`), which the chapters build from their parameters.

``dataset: fashion`` uses :func:`facerobust.data.fashion_attributes.fashion_attributes`
(training images from the start of the official training split, validation images from its
end, test images from the official test split); with ``celeba_root`` set, CelebA's official
partition is used instead (``full`` profile).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from ... import cache
from ... import cluster as clusters
from ... import device as devices
from ...data.fashion_attributes import fashion_attributes
from ...data.streaming import AnyAttributeSet
from ...paths import cache_dir
from .adversarial import AttackConfig, attack_training_sample
from .results import AttributeResults
from .training import LOSSES, Compute, Snapshots, TrainConfig, describe, trained_banks, trained_seed_banks

__all__ = ["AttackConfig", "Compute", "DataConfig", "TrainConfig", "attacked_seeds", "attribute_data",
           "attribute_models", "cached_attacks", "load_results", "seed_models", "training_seeds"]


@dataclass(frozen=True)
class DataConfig:
    """Which images the chapters use: the Fashion-MNIST attribute sets (``n_train`` images from the
    start of the training split, ``n_valid`` from its end, ``n_test`` from the test split) or, with
    ``celeba_root`` set, CelebA's official partition (``None`` sizes: the whole split; ``image_size``:
    resize, ``None`` = as stored); ``attributes``: a subset by name (``None`` = all)."""

    attributes: tuple[str, ...] | None
    n_train: int | None
    n_valid: int | None
    n_test: int | None
    celeba_root: str | None = None
    image_size: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> DataConfig:
        """The data of a chapter's parameters (the fields of the same names)."""
        names = params["attributes"]
        return cls(tuple(names) if names else None, params["n_train"], params["n_valid"], params["n_test"],
                   params["celeba_root"], params["image_size"])


def attribute_data(cfg: DataConfig, arch: str = "small") -> dict[str, AnyAttributeSet]:
    """{'train', 'valid', 'test'} AttributeSets of ``cfg`` (CelebA splits too large for memory stream
    from disk). ``arch``: the networks they are for; the VGG-16 needs CelebA."""
    if arch == "vgg16" and not cfg.celeba_root:
        raise ValueError("the VGG-16 (full) profile needs CelebA: pass -p celeba_root /path/to/celeba")
    if cfg.celeba_root:
        from ...data.celeba import celeba

        sizes = {"train": cfg.n_train, "valid": cfg.n_valid, "test": cfg.n_test}
        return {s: celeba(cfg.celeba_root, s, cfg.attributes, size=cfg.image_size, limit=n)
                for s, n in sizes.items()}
    if cfg.n_train is None or cfg.n_valid is None or cfg.n_test is None:
        raise ValueError("the Fashion-MNIST attribute sets need n_train, n_valid and n_test")
    return {
        "train": fashion_attributes("train", cfg.attributes, cfg.n_train, 0),
        "valid": fashion_attributes("train", cfg.attributes, cfg.n_valid, 60000 - cfg.n_valid),
        "test": fashion_attributes("test", cfg.attributes, cfg.n_test, 0),
    }


def training_seeds(seed: int, n_seeds: int) -> list[int]:
    """The training seeds a chapter runs: ``seed, seed + 1, ..., seed + n_seeds - 1``."""
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    return [seed + i for i in range(n_seeds)]


def attribute_models(
    cfg: TrainConfig, data: Mapping[str, AnyAttributeSet], compute: Compute | None = None,
    seed: int | None = None,
) -> dict[str, tuple[Snapshots, dict]]:
    """{loss: (snapshots, training history)} for both losses, cached; ``seed`` overrides the
    recipe's training seed (the other seeds of :func:`training_seeds`)."""
    cfg = cfg if seed is None else replace(cfg, seed=int(seed))
    return trained_banks(tuple(LOSSES), data["train"], data["valid"], cfg, compute)


def seed_models(
    cfg: TrainConfig, data: Mapping[str, AnyAttributeSet], seeds: Sequence[int],
    compute: Compute | None = None,
) -> dict[int, dict[str, tuple[Snapshots, dict]]]:
    """{seed: {loss: (snapshots, history)}} for every training seed, both losses: one fan-out, so with
    ``compute.cluster`` set the missing banks of all seeds train side by side."""
    return trained_seed_banks(tuple(LOSSES), data["train"], data["valid"], cfg, seeds, compute)


def load_results(path: Path) -> AttributeResults | None:
    """Cached attack results, or None when there are none; a corrupt entry (unreadable, or not
    the state of :class:`~.results.AttributeResults`) is reported on stderr with its path and
    removed, so the caller recomputes it (as :func:`facerobust.cache.cached_module` does)."""
    if not path.exists():
        return None
    try:
        return AttributeResults.from_state(cache.load_state(path))
    except cache.CorruptCacheEntry as exc:  # unreadable: the message names the path
        why = str(exc)
    except ValueError as exc:  # readable, but not the results' state
        why = f"corrupt cache entry {path} ({exc})"
    print(f"warning: {why}; removing it and recomputing", file=sys.stderr, flush=True)
    path.unlink(missing_ok=True)
    return None


def _attacks_path(train: TrainConfig, attack: AttackConfig, models: Mapping[str, Any],
                  data: Mapping[str, AnyAttributeSet]) -> tuple[Path, Callable[[], AttributeResults]]:
    """Where the attacks of the banks ``models`` (trained with ``train``) are cached (key: both
    configurations, the code of the attacks, the banks' weights and the training images), and the
    call that computes them."""
    produce = partial(attack_training_sample, models, data["train"], attack)
    config = {"train": asdict(train), "attack": asdict(attack), "data": describe(data["train"])}
    return cache_dir() / "artefacts" / f"{cache.key('rozsa-attacks', config, produce)}.pt", produce


def cached_attacks(train: TrainConfig, attack: AttackConfig, models: Mapping[str, Any],
                   data: Mapping[str, AnyAttributeSet]) -> AttributeResults:
    """:func:`.adversarial.attack_training_sample` of the banks ``models`` (trained with ``train``),
    from the cache (its :meth:`~.results.AttributeResults.to_state` form, loaded with
    ``weights_only=True``) or computed now on the networks' device."""
    path, produce = _attacks_path(train, attack, models, data)
    if (cached := load_results(path)) is not None:
        return cached
    res = produce()
    cache.save_state(path, res.to_state())
    return res


def _run_attacks(produce: Callable[[], AttributeResults], threads: int) -> AttributeResults:
    """One seed's attacks as a unit of work (in-process or a Ray task) on its own thread count
    (restored afterwards, so an in-process run leaves the chapter's count as it was)."""
    with devices.threads(threads):
        return produce()


def attacked_seeds(train: TrainConfig, attack: AttackConfig, data: Mapping[str, AnyAttributeSet],
                   compute: Compute | None = None, n_seeds: int = 1) -> dict[int, AttributeResults]:
    """{seed: attack results} for the first ``n_seeds`` training seeds from ``train.seed`` (cached
    networks of chapter 01, cached attacks of chapter 02). Missing networks train in one fan-out
    (:func:`seed_models`); with ``compute.cluster`` set, the seeds whose attacks are not cached are
    attacked side by side as Ray tasks (``compute.threads`` CPUs each) and cached by this process."""
    compute = compute or Compute()
    seeds = training_seeds(train.seed, n_seeds)
    models = seed_models(train, data, seeds, compute)
    where = {s: _attacks_path(replace(train, seed=s), attack, models[s], data) for s in seeds}
    out = {s: r for s in seeds if (r := load_results(where[s][0])) is not None}
    todo = [s for s in seeds if s not in out]
    gpus = 1 if devices.resolve(compute.device).type == "cuda" else 0
    jobs = [(where[s][1], compute.threads) for s in todo]
    for s, res in zip(todo, clusters.run(_run_attacks, jobs, compute.cluster, num_cpus=compute.threads,
                                         num_gpus=gpus), strict=True):
        cache.save_state(where[s][0], res.to_state())
        out[s] = res
    return {s: out[s] for s in seeds}
