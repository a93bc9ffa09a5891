"""Setting up the CRISPR chapter's runs from its parameters: data, oracle, configurations, models."""

from __future__ import annotations

from collections.abc import Mapping
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


def styled_setting(P: Mapping[str, Any]) -> Setting:
    """Styled MNIST-5k digits: fresh stylings of the 4000 training digits for training, one fixed
    styling of the first ``n_test`` test digits, ``n_probe`` fixed training stylings for probes."""
    canvas, digits = synthetic_styles.digits_32("train")
    test = synthetic_styles.styled_digits("test", seed=P["seed"] + 1, limit=P["n_test"])
    probe = synthetic_styles.styled_digits("train", seed=P["seed"] + 2, limit=P["n_probe"])
    oracle, meta = setup.trained_oracle(canvas, digits, P["oracle_iters"], P["seed"])
    return Setting(canvas, digits, test, probe, oracle, meta)


def config(P: Mapping[str, Any], adversaries: bool = True) -> training.CrisprConfig:
    """The model and schedule of the profile; ``adversaries=False`` is the ablation."""
    base = training.CrisprConfig(p=P["p"], q=P["q"], kappa=P["kappa"], beta=P["beta"], alpha=P["alpha"],
                                 w_recon=P["w_recon"], w_gan=P["w_gan"], w_inv=P["w_inv"],
                                 w_attr=P["w_attr"], w_center=P["w_center"], lr=P["lr"], lr_aux=P["lr_aux"],
                                 batch=P["batch"], iters=P["iters"], seed=P["seed"],
                                 width=P["width"])
    return replace(base, adversaries=adversaries)


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


def train_models(setting: Setting, P: Mapping[str, Any], dev: torch.device | None = None) -> Models:
    """CRISPR and, if ``P['ablation']``, its ablation, with the same budget (cached). With
    ``P['cluster']`` set they train side by side, one core each (:func:`training.trained_many`)."""
    jobs = [("crispr-styled", config(P))]
    if P["ablation"]:
        jobs.append(("crispr-styled-noadv", config(P, adversaries=False)))
    sample = setup.batch_sampler(setting.canvas, jobs[0][1].batch)
    got = training.trained_many(jobs, sample, _key(setting), dev, P["cluster"])
    return Models(got[0][0], got[0][1], got[1][0] if P["ablation"] else None)
