"""The Fashion-MNIST setting of the CRISPR chapter: chapter 1's garment attributes as the a_i,
judged by chapter 1's attribute networks.

* :func:`garments`: Fashion-MNIST images of a set of classes, padded to 32x32, with the binary
  labels of chosen attributes of :mod:`facerobust.data.fashion_attributes` (a function of the class).
* :func:`chapter1_bank`: the softmax bank of chapter 1 (``converged`` snapshot), loaded through
  chapter 1's own cached training function with chapter 1's parameters of a profile, so the book
  reuses the networks chapter 1 trained (the same cache entry); trained now if missing.
* :func:`class_classifier`: an independent 10-class LeNet-5, cached.
* :func:`swap_eval`: the generic Swap measurement (:func:`.attr_swap.swap_eval`) plus what the
  class classifier says of the output: still a garment of the setting's classes, and, where the
  swapped label vector names a class, one of those classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional

from ... import cache, params
from ...data.digits import FASHION_CLASSES, fashion_mnist
from ...data.fashion_attributes import ATTRIBUTES, class_to_attributes
from ...data.types import AttributeSet
from ...models import attribute_nets as nets
from ...models import crispr, small_nets
from ...models.base import embed
from ..attributes import setup as attr_setup
from ..attributes import training as attr_training
from . import attr_swap, training

UPPER_BODY = ("T-shirt/top", "Pullover", "Coat", "Shirt")


def pad32(x: Tensor) -> Tensor:
    """28x28 -> 32x32 with a 2-pixel black border (CRISPR's nets take 32 or 64)."""
    return functional.pad(x, (2, 2, 2, 2))


def crop28(x: Tensor) -> Tensor:
    """32x32 -> the central 28x28 (what chapter 1's networks and the classifier take)."""
    if x.shape[-1] != 32 or x.shape[-2] != 32:
        raise ValueError(f"expected 32x32 images, got {tuple(x.shape)}")
    return x[..., 2:30, 2:30]


@dataclass(frozen=True)
class Garments:
    """Images ``x`` (N, 1, 32, 32), labels ``y`` (N, L) in {0, 1} for ``names``, classes ``cls`` (N,)."""

    x: Tensor
    y: Tensor
    cls: Tensor
    names: tuple[str, ...]
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.x)


def _class_ids(classes: Sequence[str]) -> list[int]:
    unknown = [c for c in classes if c not in FASHION_CLASSES]
    if unknown or not classes:
        raise ValueError(f"unknown or no Fashion-MNIST class(es) {unknown}; "
                         f"known: {', '.join(FASHION_CLASSES)}")
    return [FASHION_CLASSES.index(c) for c in classes]


def garments(split: str, names: Sequence[str], classes: Sequence[str] = UPPER_BODY,
             limit: int | None = None) -> Garments:
    """The ``split`` images of ``classes`` (first ``limit``), with the attributes ``names``."""
    ids, names = _class_ids(classes), tuple(names)
    if not names or any(n not in ATTRIBUTES for n in names):
        raise ValueError(f"unknown or no attribute(s) in {names}; known: {', '.join(ATTRIBUTES)}")
    data = fashion_mnist(split)
    idx = torch.isin(data.y, torch.tensor(ids, device=data.y.device)).nonzero().flatten()[:limit]
    y = (class_to_attributes(names)[data.y[idx]] > 0).long()
    return Garments(pad32(data.x[idx]), y, data.y[idx], names, tuple(classes))


def chapter1_bank(profile: str,
                  device: torch.device) -> tuple[nets.AttributeBank, tuple[str, ...], dict[str, Any]]:
    """Chapter 1's softmax bank (converged snapshot) for its ``profile`` ('ci' or 'default'),
    through chapter 1's cached training (on chapter 1's thread count, part of the entry's key), with
    the attribute names of its networks."""
    if profile not in ("ci", "default"):
        raise ValueError(f"chapter 1's Fashion-MNIST networks come from profile 'ci' or 'default', "
                         f"got {profile!r}")
    chapter1 = params.load("01_attribute_networks", profile, {})
    data = attr_setup.attribute_data(attr_setup.DataConfig.from_params(chapter1), arch=chapter1.arch)
    assert all(isinstance(v, AttributeSet) for v in data.values()), "chapter 1's Fashion-MNIST sets in memory"
    cfg = attr_training.TrainConfig.from_params(chapter1)
    compute = attr_training.Compute(str(device), None, int(chapter1.threads))  # chapter 1's own threads
    banks = attr_training.trained_banks(("softmax",), data["train"], data["valid"], cfg, compute)
    snap, meta = banks["softmax"]
    bank = snap.converged.eval()
    assert isinstance(bank, nets.AttributeBank)
    return bank, tuple(data["train"].names), meta


def class_classifier(n_train: int, epochs: int, seed: int) -> tuple[nn.Module, dict[str, Any]]:
    """A LeNet-5 for the ten Fashion-MNIST classes on the first ``n_train`` training images (cached)."""
    if n_train < 10 or epochs < 1:
        raise ValueError(f"need n_train >= 10 and epochs >= 1, got {n_train}, {epochs}")

    data = fashion_mnist("train")
    fit = partial(small_nets.fit_classifier, x=data.x[:n_train], y=data.y[:n_train], epochs=epochs, seed=seed)
    cfg = {"n_train": n_train, "epochs": epochs, "seed": seed}
    make = cache.seeded(partial(small_nets.lenet5, 10, 1), seed)
    return cache.cached_module("crispr-fashion-lenet5", cfg, make, fit)


@dataclass(frozen=True)
class Oracles:
    """Chapter 1's attribute bank (names ``bank_names``) and the independent class classifier."""

    bank: nets.AttributeBank
    bank_names: tuple[str, ...]
    classifier: nn.Module

    @torch.no_grad()
    def attributes(self, x: Tensor, names: Sequence[str], batch: int = 500) -> Tensor:
        """Chapter 1's decisions (N, len(names)) in {0, 1} on 32x32 images."""
        missing = [n for n in names if n not in self.bank_names]
        if missing:
            raise ValueError(f"chapter 1's networks have no attribute(s) {missing}")
        dev = next(self.bank.parameters()).device
        cols = [self.bank_names.index(n) for n in names]
        out = embed(lambda b: self.bank.scores(crop28(b).to(dev)).cpu(), x, batch)
        return (out[:, cols] > 0).long()

    @torch.no_grad()
    def classes(self, x: Tensor, batch: int = 500) -> Tensor:
        self.classifier.eval()
        return embed(lambda b: self.classifier(crop28(b)).argmax(1), x, batch)

    def judge(self, names: Sequence[str]) -> attr_swap.Judge:
        return lambda x: self.attributes(x, names)


def named_classes(names: Sequence[str], classes: Sequence[str], target: Tensor) -> list[list[int]]:
    """For every label vector of ``target`` (N, L), the classes of ``classes`` that have it."""
    ids = _class_ids(classes)
    table = (class_to_attributes(tuple(names))[ids] > 0).long()  # (C, L)
    return [[ids[c] for c in range(len(ids)) if bool((table[c] == t).all())] for t in target]


@dataclass(frozen=True)
class FashionSwap:
    """:class:`.attr_swap.AttrSwap` plus the class classifier's reading of the output:
    ``in_set`` = still one of the setting's classes; over the ``n_named`` images whose swapped
    label vector names a class of the set, ``consistent`` = the output is read as one of them."""

    swap: attr_swap.AttrSwap
    in_set: int
    n_named: int
    consistent: int


def swap_eval(model: crispr.Crispr, oracles: Oracles, data: Garments, i: int) -> FashionSwap:
    """Swap attribute ``i`` of every image to the class it lacks, judged by chapter 1's networks."""
    s = attr_swap.swap_eval(model, oracles.judge(data.names), data.x, data.y, i, data.names[i])
    want_y = data.y.clone()
    want_y[:, i] = s.target
    allowed = named_classes(data.names, data.classes, want_y)
    got = oracles.classes(s.images).tolist()
    ids = set(_class_ids(data.classes))
    named = [k for k, a in enumerate(allowed) if a]
    return FashionSwap(s, sum(c in ids for c in got), len(named), sum(got[k] in allowed[k] for k in named))


def oracle_accuracy(oracles: Oracles, data: Garments) -> dict[str, float]:
    """The judges on real test garments: chapter 1's networks per attribute, the class classifier."""
    got = oracles.attributes(data.x, data.names)
    res = {f"{n} (chapter 1 network)": float((got[:, k] == data.y[:, k]).float().mean())
           for k, n in enumerate(data.names)}
    res["class (LeNet-5)"] = float((oracles.classes(data.x) == data.cls).float().mean())
    return res


def train(data: Garments, cfg: training.CrisprConfig, name: str,
          dev: torch.device) -> tuple[crispr.Crispr, dict[str, Any]]:
    """CRISPR on the garments (one code block per attribute; ``cfg``'s image shape and attribute
    count are set from the data), cached."""
    cfg = replace(cfg, channels=1, size=32, n_attr=len(data.names))
    key = {"data": "fashion-mnist", "names": list(data.names), "classes": list(data.classes),
           "n_train": len(data)}
    return training.trained(name, cfg, attr_swap.sampler(data.x, data.y, cfg.batch), key, dev)

