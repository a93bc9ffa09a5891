"""Training the attribute networks (chapter 01): RMSProp with Caffe's "inv" learning-rate decay,
a snapshot after two epochs, and per-attribute early stopping on the validation error.

Each loss ('euclidean': one output, ``J = (f - y)^2``; 'softmax': two logits, cross-entropy)
gets one bank of independent networks. "Converged" is, for every attribute separately, the
epoch (>= 2) with the lowest validation error, after which ``patience`` epochs did not improve
it (or ``max_epochs`` was reached). Both snapshots of a bank are one cache entry (key: the
:class:`TrainConfig`, the code of this module and the training and validation images); the banks
train one after the other or side by side on a Ray cluster (:mod:`facerobust.fanout`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache, fanout
from ... import device as devices
from ...data.streaming import AnyAttributeSet, batches, eval_batch
from ...models import attribute_nets
from ...progress import progress

LOSSES = {"euclidean": 1, "softmax": 2}


class Snapshots(nn.Module):
    """The two snapshots of one bank: ``epoch2`` and ``converged``."""

    def __init__(self, make) -> None:
        super().__init__()
        self.epoch2, self.converged = make(), make()


@dataclass(frozen=True)
class TrainConfig:
    """The training recipe of a bank (chapters 1-3; every field is part of the cache key)."""

    arch: str
    lr: float
    rms_decay: float
    lr_gamma: float
    lr_power: float
    batch: int
    max_epochs: int
    patience: int
    seed: int

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TrainConfig:
        """The recipe of a chapter's parameters (the fields of the same names)."""
        return cls(**{f.name: params[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class Compute:
    """Where banks train (not part of their key): ``device``, ``cluster`` (None: in-process; else
    :mod:`facerobust.cluster`'s 'local' or a Ray address) and CPU ``threads`` per bank on a cluster."""

    device: str | None = "cpu"
    cluster: str | None = None
    threads: int = 1


def inv_lr(base: float, gamma: float, power: float):
    """Caffe's "inv" policy as a LambdaLR factor: ``(1 + gamma * iter) ^ -power``."""
    return lambda it: (1.0 + gamma * it) ** (-power)


@torch.no_grad()
def errors(bank: nn.Module, data: AnyAttributeSet, batch: int | None = None) -> Tensor:
    """Per-attribute error E (Eqs. 2-3): share of images with ``y c(x) <= 0``, (A,), on the CPU.
    ``batch``: images per forward pass (default :func:`~facerobust.data.streaming.eval_batch`)."""
    dev = devices.of(bank)
    wrong = torch.zeros(data.a.shape[1], device=dev)
    for x, a in batches(data, batch or eval_batch(data)):
        c = attribute_nets.decision(bank(x.to(dev)))
        wrong += (c != a.to(dev)).sum(0)
    return (wrong / len(data)).cpu()


def fit_snapshots(snap: Snapshots, train: AnyAttributeSet, valid: AnyAttributeSet, cfg: TrainConfig,
                  desc: str = "") -> dict[str, Any]:
    """Train ``snap.converged`` in place (on its device); fill ``snap.epoch2``; return the history."""
    bank = snap.converged
    dev = devices.of(bank)
    g = torch.Generator().manual_seed(int(cfg.seed))
    opt = torch.optim.RMSprop(bank.parameters(), lr=cfg.lr, alpha=cfg.rms_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, inv_lr(cfg.lr, cfg.lr_gamma, cfg.lr_power))
    best = snap.epoch2
    a = train.a.shape[1]
    cpu = torch.device("cpu")  # per-attribute bookkeeping and the data order live on the CPU
    best_err = torch.full((a,), 2.0, device=cpu)
    best_epoch, stale = torch.zeros(a, dtype=torch.long, device=cpu), torch.zeros(a, device=cpu)
    hist: dict[str, Any] = {"val_error": [], "train_loss": [], "seconds": 0.0}
    t0 = time.perf_counter()
    for epoch in progress(range(1, cfg.max_epochs + 1), desc=desc):
        bank.train()
        order, tot = torch.randperm(len(train), generator=g, device=cpu), 0.0
        for x, y in batches(train, cfg.batch, order):
            loss = attribute_nets.pair_loss(bank(x.to(dev)), y.to(dev)).mean(0).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(x)
        bank.eval()
        err = errors(bank, valid)
        hist["val_error"].append(err.tolist())
        hist["train_loss"].append(tot / len(train) / a)
        if epoch == 2:
            snap.epoch2.load_state_dict(copy.deepcopy(bank.state_dict()))
            best = copy.deepcopy(bank)
        if epoch >= 2:
            better = err < best_err
            best.take_attributes(bank, better.to(dev))
            best_err = torch.where(better, err, best_err)
            best_epoch = torch.where(better, epoch, best_epoch)
            stale = torch.where(better, 0, stale + 1)
            if epoch > 2 and bool((stale >= cfg.patience).all()):
                break
    snap.converged.load_state_dict(best.state_dict())
    hist.update(seconds=time.perf_counter() - t0, epochs_run=epoch, converged_epoch=best_epoch.tolist())
    return hist


def _fresh(loss: str, shape: tuple[int, int, int], cfg: TrainConfig) -> Snapshots:
    """Both snapshots of a new ``loss`` bank for ``shape`` = (attributes, channels, size)."""
    a, c, size = shape
    return Snapshots(lambda: attribute_nets.make_bank(cfg.arch, a, LOSSES[loss], c, size))


def _fit(snap: nn.Module, train: AnyAttributeSet, valid: AnyAttributeSet, cfg: TrainConfig,
         device: str | None, desc: str) -> dict[str, Any]:
    assert isinstance(snap, Snapshots)
    return fit_snapshots(snap.to(devices.resolve(device)), train, valid, cfg, desc)


def describe(data: AnyAttributeSet) -> dict[str, Any]:
    """What names a data set in a cache key beside its contents (which the key hashes where they
    are in memory): name, attribute names, size and image shape."""
    return {"name": data.name, "names": list(data.names), "n": len(data), "shape": list(data.x.shape[1:])}


def unit(loss: str, train: AnyAttributeSet, valid: AnyAttributeSet, cfg: TrainConfig,
         device: str | None = "cpu", threads: int = 1) -> fanout.Unit:
    """The cache entry of the ``loss`` bank (key: ``cfg``, this module's code, the images and labels
    of ``train`` and ``valid``), trained on ``device``; the device is not part of the key (the
    cache holds CPU weights)."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    shape = (train.a.shape[1], train.x.shape[1], train.x.shape[-1])
    gpus = 1 if devices.resolve(device).type == "cuda" else 0
    config = {"train": asdict(cfg), "data": [describe(train), describe(valid)]}
    return fanout.Unit(f"rozsa-{loss}", config, cache.seeded(partial(_fresh, loss, shape, cfg), cfg.seed),
                       partial(_fit, train=train, valid=valid, cfg=cfg, device=device, desc=f"train {loss}"),
                       cpus=threads, gpus=gpus)


def trained_banks(
    losses: Sequence[str], train: AnyAttributeSet, valid: AnyAttributeSet, cfg: TrainConfig,
    compute: Compute | None = None,
) -> dict[str, tuple[Snapshots, dict[str, Any]]]:
    """Both snapshots and the history of the bank of every loss, from the cache or trained now, on
    ``compute.device`` (:func:`trained_seed_banks` for the one seed of ``cfg``)."""
    return trained_seed_banks(losses, train, valid, cfg, [cfg.seed], compute)[cfg.seed]


def trained_seed_banks(
    losses: Sequence[str], train: AnyAttributeSet, valid: AnyAttributeSet, cfg: TrainConfig,
    seeds: Sequence[int], compute: Compute | None = None,
) -> dict[int, dict[str, tuple[Snapshots, dict[str, Any]]]]:
    """``{seed: {loss: (snapshots, history)}}``: the bank of every loss for every training seed (the
    recipe ``cfg`` with its seed replaced), from the cache or trained now, on ``compute.device``. All
    of them are one fan-out (:func:`facerobust.fanout.trained`): with ``compute.cluster`` set, the
    banks missing from the cache train as parallel Ray tasks (one GPU each on a CUDA device) and are
    cached as in-process."""
    compute = compute or Compute()
    keys = [(int(s), loss) for s in seeds for loss in losses]
    units = [unit(loss, train, valid, replace(cfg, seed=s), compute.device, compute.threads)
             for s, loss in keys]
    got = fanout.trained(units, compute.cluster)
    dev = devices.resolve(compute.device)
    out: dict[int, dict[str, tuple[Snapshots, dict[str, Any]]]] = {int(s): {} for s in seeds}
    for (s, loss), (model, meta) in zip(keys, got, strict=True):
        assert isinstance(model, Snapshots)
        out[s][loss] = (model.to(dev), meta)
    return out


def trained_snapshots(loss: str, train: AnyAttributeSet, valid: AnyAttributeSet, cfg: TrainConfig,
                      device: str | torch.device | None = "cpu") -> tuple[Snapshots, dict[str, Any]]:
    """Both snapshots of the ``loss`` bank (:func:`trained_banks` for one loss, in-process)."""
    return trained_banks((loss,), train, valid, cfg, Compute(None if device is None else str(device)))[loss]
