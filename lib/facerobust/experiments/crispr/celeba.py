"""The CelebA setting of the CRISPR chapter (``full`` profile): bangs, eyeglasses and smiling at
64x64, the attributes of the dissertation's Figs. 3.3-3.5.

CelebA cannot be fetched here, so the setting runs only when the reader passes ``celeba_root``
(the official layout read by :func:`facerobust.data.celeba.celeba`; a train split too large for
memory is decoded per batch). As in Sec. 3.5, the judge is a classifier trained on a slice of the
official *validation* split (the dissertation: 2k validation images as the classifier-training
set) and never on a CRISPR output: chapter 1's small attribute CNN bank (softmax), trained through
chapter 1's cached training function on 64x64 colour images. CRISPR trains on the train split and
is measured on the test split. The images are resized to 64x64 whole (the 178x218 aligned crop is
squeezed, not cut).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from ...data.celeba import celeba
from ...data.streaming import AnyAttributeSet
from ...models import attribute_nets as nets
from ...models import crispr
from ...models.base import embed
from ..attributes import training as attr_training
from . import attr_swap, training
from .evaluate import decode, encode

ATTRIBUTES = ("Bangs", "Eyeglasses", "Smiling")
SIZE = 64


def _binary(a: Tensor) -> Tensor:
    return (a > 0).long()


@dataclass(frozen=True)
class CelebASetting:
    """CRISPR's training set (possibly streamed), the test images in memory with 0/1 labels, the
    oracle bank and its accuracy on the test images."""

    train: AnyAttributeSet
    test_x: Tensor
    test_y: Tensor
    names: tuple[str, ...]
    oracle: nets.AttributeBank
    oracle_accuracy: dict[str, float]

    def judge(self, x: Tensor, batch: int = 200) -> Tensor:
        dev = next(self.oracle.parameters()).device
        return (embed(lambda b: self.oracle.scores(b.to(dev)).cpu(), x, batch) > 0).long()


@dataclass(frozen=True)
class CelebAConfig:
    """What the CelebA setting reads (the chapter's ``celeba_*`` parameters, its seed and the
    Diverse Swap scale): the folder (None: the setting does not run), CRISPR's training images
    (None: all) and iterations, the test images, the oracle's training and validation images
    (a slice of the validation split) and epochs."""

    root: str | None
    n_train: int | None
    n_test: int
    n_oracle: int
    n_oracle_valid: int
    oracle_epochs: int
    iters: int
    seed: int
    div_scale: float


def oracle_config(c: CelebAConfig) -> attr_training.TrainConfig:
    """Chapter 1's training recipe for the small bank (RMSProp, Caffe "inv" decay, early stopping)."""
    return attr_training.TrainConfig(arch="small", lr=1e-3, rms_decay=0.99, lr_gamma=1e-4, lr_power=0.75,
                                     batch=64, max_epochs=int(c.oracle_epochs), patience=2, seed=int(c.seed))


def setting(c: CelebAConfig, dev: torch.device, names: Sequence[str] = ATTRIBUTES) -> CelebASetting:
    """Load CelebA from ``c.root`` and train (or load) the oracle."""
    root = c.root
    if not root:
        raise ValueError("the CelebA setting needs celeba_root (the full profile with -p celeba_root PATH)")
    names = tuple(names)
    n_or, n_val = int(c.n_oracle), int(c.n_oracle_valid)
    if n_or < 2 or n_val < 1:
        raise ValueError(f"need celeba_n_oracle >= 2 and celeba_n_oracle_valid >= 1, got {n_or}, {n_val}")
    train = celeba(root, "train", names, size=SIZE, limit=c.n_train)
    valid = celeba(root, "valid", names, size=SIZE, limit=n_or + n_val)
    if len(valid) <= n_or:
        raise ValueError(f"the validation split has {len(valid)} images: fewer than celeba_n_oracle + 1")
    test = celeba(root, "test", names, size=SIZE, limit=int(c.n_test))
    o_train, o_valid = valid.subset(slice(0, n_or)), valid.subset(slice(n_or, len(valid)))
    snap, _ = attr_training.trained_snapshots("softmax", o_train, o_valid, oracle_config(c), dev)
    bank = snap.converged.eval()
    assert isinstance(bank, nets.AttributeBank)
    test_x, test_y = test.x[:], _binary(test.a)
    s = CelebASetting(train, test_x, test_y, names, bank, {})
    got = s.judge(test_x)
    acc = {n: float((got[:, k] == test_y[:, k]).float().mean()) for k, n in enumerate(names)}
    return replace(s, oracle_accuracy=acc)


def train(s: CelebASetting, cfg: training.CrisprConfig, name: str,
          dev: torch.device) -> tuple[crispr.Crispr, dict[str, Any]]:
    """CRISPR on 64x64 colour faces, one code block per attribute (cached)."""
    cfg = replace(cfg, channels=3, size=SIZE, n_attr=len(s.names))
    key = {"data": "celeba", "names": list(s.names), "n_train": len(s.train)}
    return training.trained(name, cfg, attr_swap.sampler(s.train.x, _binary(s.train.a), cfg.batch), key, dev)


@dataclass(frozen=True)
class CelebARun:
    """Swaps per attribute, Diverse Swaps of bangs and eyeglasses (Figs. 3.3-3.4), Borrows of the
    smile (Fig. 3.5: reference, query, output), the oracle's accuracy, wall time."""

    swaps: list[attr_swap.AttrSwap]
    diverse: dict[str, tuple[Tensor, Tensor]]
    borrow: tuple[Tensor, Tensor, Tensor]
    oracle_accuracy: dict[str, float]
    seconds: float


def run(c: CelebAConfig, cfg: training.CrisprConfig, dev: torch.device, n_show: int = 6,
        n_samples: int = 6) -> CelebARun | None:
    """The whole CelebA setting (CRISPR of ``cfg`` for ``c.iters`` iterations), or None when
    ``c.root`` is not set."""
    if not c.root:
        return None
    t0 = time.perf_counter()
    s = setting(c, dev)
    model, _ = train(s, replace(cfg, iters=int(c.iters)), "crispr-celeba", dev)
    swaps = [attr_swap.swap_eval(model, s.judge, s.test_x, s.test_y, i, n) for i, n in enumerate(s.names)]
    g = torch.Generator().manual_seed(int(c.seed))
    div = {}
    for name in ("Bangs", "Eyeglasses"):
        i = s.names.index(name)
        x = s.test_x[s.test_y[:, i] == 0][:n_show]
        div[name] = (x, attr_swap.diverse(model, x, i, 1, n_samples, float(c.div_scale), g))
    i = s.names.index("Smiling")
    ref, query = s.test_x[s.test_y[:, i] == 1][:n_show], s.test_x[s.test_y[:, i] == 0][:n_show]
    k = min(len(ref), len(query))
    codes = crispr.borrow_codes(encode(model, query[:k]), encode(model, ref[:k]), i) if k else None
    out = decode(model, codes) if codes is not None else query[:0]
    return CelebARun(swaps, div, (ref[:k], query[:k], out), s.oracle_accuracy, time.perf_counter() - t0)
