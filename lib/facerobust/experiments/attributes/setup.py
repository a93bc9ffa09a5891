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
from collections.abc import Mapping
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any

from ... import cache
from ...data.fashion_attributes import fashion_attributes
from ...data.streaming import AnyAttributeSet
from ...paths import cache_dir
from .adversarial import AttackConfig, attack_training_sample
from .results import AttributeResults
from .training import LOSSES, Compute, Snapshots, TrainConfig, describe, trained_banks

__all__ = ["AttackConfig", "Compute", "TrainConfig", "attacked_seeds", "attribute_data", "attribute_models",
           "cached_attacks", "load_results", "training_seeds"]


def attribute_data(P: Mapping[str, Any]) -> dict[str, AnyAttributeSet]:
    """{'train', 'valid', 'test'} AttributeSets for the chapter's parameters (CelebA splits too
    large for memory stream from disk)."""
    names = tuple(P["attributes"]) if P.get("attributes") else None
    if P.get("arch") == "vgg16" and not P.get("celeba_root"):
        raise ValueError("the VGG-16 (full) profile needs CelebA: pass -p celeba_root /path/to/celeba")
    if P.get("celeba_root"):
        from ...data.celeba import celeba

        size = P.get("image_size")
        return {
            s: celeba(P["celeba_root"], split, names, size=size, limit=P[f"n_{s}"])
            for s, split in (("train", "train"), ("valid", "valid"), ("test", "test"))
        }
    return {
        "train": fashion_attributes("train", names, P["n_train"], 0),
        "valid": fashion_attributes("train", names, P["n_valid"], 60000 - P["n_valid"]),
        "test": fashion_attributes("test", names, P["n_test"], 0),
    }


def training_seeds(P: Mapping[str, Any]) -> list[int]:
    """The training seeds a chapter runs: ``seed, seed + 1, ..., seed + n_seeds - 1``."""
    n = int(P["n_seeds"])
    if n < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n}")
    return [int(P["seed"]) + i for i in range(n)]


def attribute_models(
    cfg: TrainConfig, data: Mapping[str, AnyAttributeSet], compute: Compute | None = None,
    seed: int | None = None,
) -> dict[str, tuple[Snapshots, dict]]:
    """{loss: (snapshots, training history)} for both losses, cached; ``seed`` overrides the
    recipe's training seed (the other seeds of :func:`training_seeds`)."""
    cfg = cfg if seed is None else replace(cfg, seed=int(seed))
    return trained_banks(tuple(LOSSES), data["train"], data["valid"], cfg, compute)


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


def cached_attacks(train: TrainConfig, attack: AttackConfig, models: Mapping[str, Any],
                   data: Mapping[str, AnyAttributeSet]) -> AttributeResults:
    """:func:`.adversarial.attack_training_sample` of the banks ``models`` (trained with ``train``),
    from the cache (its :meth:`~.results.AttributeResults.to_state` form, loaded with
    ``weights_only=True``; key: both configurations, the code of the attacks, the banks' weights and
    the training images) or computed now on the networks' device."""
    produce = partial(attack_training_sample, models, data["train"], attack)
    config = {"train": asdict(train), "attack": asdict(attack), "data": describe(data["train"])}
    path = cache_dir() / "artefacts" / f"{cache.key('rozsa-attacks', config, produce)}.pt"
    if (cached := load_results(path)) is not None:
        return cached
    res = produce()
    cache.save_state(path, res.to_state())
    return res


def attacked_seeds(train: TrainConfig, attack: AttackConfig, data: Mapping[str, AnyAttributeSet],
                   compute: Compute | None = None, n_seeds: int = 1) -> dict[int, AttributeResults]:
    """{seed: attack results} for the first ``n_seeds`` training seeds from ``train.seed`` (cached
    networks of chapter 01, cached attacks of chapter 02; computed now if missing)."""
    if n_seeds < 1:
        raise ValueError(f"n_attack_seeds must be >= 1, got {n_seeds}")
    seeds = [train.seed + i for i in range(n_seeds)]
    return {s: cached_attacks(replace(train, seed=s), attack, attribute_models(train, data, compute, seed=s),
                              data) for s in seeds}
