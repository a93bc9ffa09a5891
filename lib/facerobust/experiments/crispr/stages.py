"""Setting up the CRISPR chapter's runs from its parameters: data, oracle, configurations, models."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from ...data import synthetic_styles
from ...models import crispr
from . import setup, training


@dataclass(frozen=True)
class Setting:
    """Training canvases and digits, the test and probe-training stylings, and the oracle."""

    canvas: Tensor
    digits: Tensor
    test: synthetic_styles.StyledDigits
    probe_train: synthetic_styles.StyledDigits
    oracle: setup.Oracle
    oracle_meta: dict[str, Any]


@dataclass(frozen=True)
class SettingConfig:
    """What :func:`styled_setting` reads: the seed (test stylings ``seed + 1``, probe stylings
    ``seed + 2``, the oracle ``seed``), the test and probe set sizes, the oracle's iterations."""

    seed: int
    n_test: int
    n_probe: int
    oracle_iters: int


def styled_setting(c: SettingConfig) -> Setting:
    """Styled MNIST-5k digits: fresh stylings of the 4000 training digits for training, one fixed
    styling of the first ``n_test`` test digits, ``n_probe`` fixed training stylings for probes."""
    canvas, digits = synthetic_styles.digits_32("train")
    test = synthetic_styles.styled_digits("test", seed=c.seed + 1, limit=c.n_test)
    probe = synthetic_styles.styled_digits("train", seed=c.seed + 2, limit=c.n_probe)
    oracle, meta = setup.trained_oracle(canvas, digits, c.oracle_iters, c.seed)
    return Setting(canvas, digits, test, probe, oracle, meta)


def _key(setting: Setting) -> dict[str, Any]:
    return {"data": "styled-mnist5k", "n_train": len(setting.canvas)}


def train(setting: Setting, cfg: training.CrisprConfig, name: str,
          dev: torch.device | None = None) -> tuple[crispr.Crispr, dict[str, Any]]:
    """A trained CRISPR (cached) on fresh stylings of the setting's training digits."""
    return training.trained(name, cfg, setup.batch_sampler(setting.canvas, cfg.batch), _key(setting), dev)


@dataclass(frozen=True)
class Models:
    """The chapter's CRISPR, its training record, and the ablation without L_inv / L_attr (or None)."""

    model: crispr.Crispr
    meta: dict[str, Any]
    ablation: crispr.Crispr | None


def train_models(setting: Setting, cfg: training.CrisprConfig, ablation: bool,
                 dev: torch.device | None = None, cluster: str | None = None) -> Models:
    """CRISPR of ``cfg`` and, if ``ablation``, the same without its adversaries, with the same budget
    (cached). With ``cluster`` set they train side by side, one core each
    (:func:`training.trained_many`)."""
    jobs = [("crispr-styled", replace(cfg, adversaries=True))]
    if ablation:
        jobs.append(("crispr-styled-noadv", replace(cfg, adversaries=False)))
    sample = setup.batch_sampler(setting.canvas, cfg.batch)
    got = training.trained_many(jobs, sample, _key(setting), dev, cluster)
    return Models(got[0][0], got[0][1], got[1][0] if ablation else None)
