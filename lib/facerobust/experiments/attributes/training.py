"""Training the attribute networks (chapter 01): RMSProp with Caffe's "inv" learning-rate decay,
a snapshot after two epochs, and per-attribute early stopping on the validation error.

Each loss ('euclidean': one output, ``J = (f - y)^2``; 'softmax': two logits, cross-entropy)
gets one bank of independent networks. "Converged" is, for every attribute separately, the
epoch (>= 2) with the lowest validation error, after which ``patience`` epochs did not improve
it (or ``max_epochs`` was reached). Both snapshots are cached with
:func:`facerobust.cache.cached_module` (key = configuration + this code).
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ...attacks import attribute_directions as dirs
from ...data.types import AttributeSet
from ...progress import progress


def _load_nets():  # type: ignore[no-untyped-def]
    """``facerobust.models.attribute_nets`` by path (the models package __init__ is not ours)."""
    name = "facerobust.models.attribute_nets"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[2] / "models" / "attribute_nets.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


nets = _load_nets()
LOSSES = {"euclidean": 1, "softmax": 2}


class Snapshots(nn.Module):
    """The two snapshots of one bank: ``epoch2`` and ``converged``."""

    def __init__(self, make) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.epoch2, self.converged = make(), make()


def inv_lr(base: float, gamma: float, power: float):  # type: ignore[no-untyped-def]
    """Caffe's "inv" policy as a LambdaLR factor: ``(1 + gamma * iter) ^ -power``."""
    return lambda it: (1.0 + gamma * it) ** (-power)


@torch.no_grad()
def errors(bank: nn.Module, data: AttributeSet, batch: int = 1000) -> Tensor:
    """Per-attribute error E (Eqs. 2-3): share of images with ``y c(x) <= 0``, (A,)."""
    wrong = torch.zeros(data.a.shape[1])
    for i in range(0, len(data), batch):
        c = dirs.decision(bank(data.x[i : i + batch]))
        wrong += (c != data.a[i : i + batch]).sum(0)
    return wrong / len(data)


def fit_snapshots(
    snap: Snapshots, train: AttributeSet, valid: AttributeSet, cfg: Mapping[str, Any], desc: str = ""
) -> dict[str, Any]:
    """Train ``snap.converged`` in place; fill ``snap.epoch2``; return the history."""
    bank = snap.converged
    g = torch.Generator().manual_seed(int(cfg["seed"]))
    opt = torch.optim.RMSprop(bank.parameters(), lr=cfg["lr"], alpha=cfg["rms_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, inv_lr(cfg["lr"], cfg["lr_gamma"], cfg["lr_power"]))
    best = snap.epoch2
    a = train.a.shape[1]
    best_err, best_epoch, stale = torch.full((a,), 2.0), torch.zeros(a, dtype=torch.long), torch.zeros(a)
    hist: dict[str, Any] = {"val_error": [], "train_loss": [], "seconds": 0.0}
    t0 = time.perf_counter()
    for epoch in progress(range(1, cfg["max_epochs"] + 1), desc=desc):
        bank.train()
        order, tot = torch.randperm(len(train), generator=g), 0.0
        for i in range(0, len(train), cfg["batch"]):
            idx = order[i : i + cfg["batch"]]
            loss = dirs.pair_loss(bank(train.x[idx]), train.a[idx]).mean(0).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
        bank.eval()
        err = errors(bank, valid)
        hist["val_error"].append(err.tolist())
        hist["train_loss"].append(tot / len(train) / a)
        if epoch == 2:
            snap.epoch2.load_state_dict(copy.deepcopy(bank.state_dict()))
            best = copy.deepcopy(bank)
        if epoch >= 2:
            better = err < best_err
            best.take_attributes(bank, better)
            best_err = torch.where(better, err, best_err)
            best_epoch = torch.where(better, epoch, best_epoch)
            stale = torch.where(better, 0, stale + 1)
            if epoch > 2 and bool((stale >= cfg["patience"]).all()):
                break
    snap.converged.load_state_dict(best.state_dict())
    hist.update(seconds=time.perf_counter() - t0, epochs_run=epoch, converged_epoch=best_epoch.tolist())
    return hist


def trained_snapshots(
    loss: str, train: AttributeSet, valid: AttributeSet, cfg: Mapping[str, Any], data_key: Mapping[str, Any]
) -> tuple[Snapshots, dict[str, Any]]:
    """Both snapshots of the ``loss`` bank, from the cache or trained now.

    ``cfg``: arch, lr, rms_decay, lr_gamma, lr_power, batch, max_epochs, patience, seed;
    ``data_key``: what identifies the data (dataset, sizes, attribute names) for the cache key.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    c, size = train.x.shape[1], train.x.shape[-1]

    def make() -> Snapshots:
        return Snapshots(lambda: nets.make_bank(cfg["arch"], train.a.shape[1], LOSSES[loss], c, size))

    torch.manual_seed(int(cfg["seed"]))
    config = dict(cfg) | dict(data_key) | {"loss": loss}

    def fit(m: nn.Module) -> dict[str, Any]:
        assert isinstance(m, Snapshots)
        return fit_snapshots(m, train, valid, cfg, f"train {loss}")

    code = [nets, sys.modules[__name__], dirs]
    model, meta = cache.cached_module(f"rozsa-{loss}", config, make, fit, code=code)
    return model, meta  # type: ignore[return-value]
