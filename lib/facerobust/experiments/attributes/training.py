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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ... import cluster as clusters
from ... import device as devices
from ...attacks import attribute_directions as dirs
from ...data.streaming import AnyAttributeSet, batches, eval_batch
from ...progress import progress


def _load_nets():
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

    def __init__(self, make) -> None:
        super().__init__()
        self.epoch2, self.converged = make(), make()


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
        c = dirs.decision(bank(x.to(dev)))
        wrong += (c != a.to(dev)).sum(0)
    return (wrong / len(data)).cpu()


def fit_snapshots(
    snap: Snapshots, train: AnyAttributeSet, valid: AnyAttributeSet, cfg: Mapping[str, Any], desc: str = ""
) -> dict[str, Any]:
    """Train ``snap.converged`` in place (on its device); fill ``snap.epoch2``; return the history."""
    bank = snap.converged
    dev = devices.of(bank)
    g = torch.Generator().manual_seed(int(cfg["seed"]))
    opt = torch.optim.RMSprop(bank.parameters(), lr=cfg["lr"], alpha=cfg["rms_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, inv_lr(cfg["lr"], cfg["lr_gamma"], cfg["lr_power"]))
    best = snap.epoch2
    a = train.a.shape[1]
    cpu = torch.device("cpu")  # per-attribute bookkeeping and the data order live on the CPU
    best_err = torch.full((a,), 2.0, device=cpu)
    best_epoch, stale = torch.zeros(a, dtype=torch.long, device=cpu), torch.zeros(a, device=cpu)
    hist: dict[str, Any] = {"val_error": [], "train_loss": [], "seconds": 0.0}
    t0 = time.perf_counter()
    for epoch in progress(range(1, cfg["max_epochs"] + 1), desc=desc):
        bank.train()
        order, tot = torch.randperm(len(train), generator=g, device=cpu), 0.0
        for x, y in batches(train, cfg["batch"], order):
            loss = dirs.pair_loss(bank(x.to(dev)), y.to(dev)).mean(0).sum()
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
            if epoch > 2 and bool((stale >= cfg["patience"]).all()):
                break
    snap.converged.load_state_dict(best.state_dict())
    hist.update(seconds=time.perf_counter() - t0, epochs_run=epoch, converged_epoch=best_epoch.tolist())
    return hist


def _maker(loss: str, train: AnyAttributeSet, cfg: Mapping[str, Any]):
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    c, size = train.x.shape[1], train.x.shape[-1]
    return lambda: Snapshots(lambda: nets.make_bank(cfg["arch"], train.a.shape[1], LOSSES[loss], c, size))


def _code() -> list[Any]:
    return [nets, sys.modules[__name__], dirs]


def _cached(loss: str, train: AnyAttributeSet, cfg: Mapping[str, Any], data_key: Mapping[str, Any],
            fit) -> tuple[Snapshots, dict[str, Any]]:
    """The one cache entry of a bank: loaded, or ``fit`` (seeded first, as every unit is)."""
    torch.manual_seed(int(cfg["seed"]))
    config = dict(cfg) | dict(data_key) | {"loss": loss}
    model, meta = cache.cached_module(f"rozsa-{loss}", config, _maker(loss, train, cfg), fit, code=_code())
    return model, meta  # type: ignore[return-value]


def trained_snapshots(
    loss: str, train: AnyAttributeSet, valid: AnyAttributeSet, cfg: Mapping[str, Any],
    data_key: Mapping[str, Any], device: str | torch.device | None = "cpu",
) -> tuple[Snapshots, dict[str, Any]]:
    """Both snapshots of the ``loss`` bank, from the cache or trained now, on ``device``.

    ``cfg``: arch, lr, rms_decay, lr_gamma, lr_power, batch, max_epochs, patience, seed;
    ``data_key``: what identifies the data (dataset, sizes, attribute names) for the cache key.
    The device is not part of the key: the cache holds CPU weights.
    """
    dev = devices.resolve(device)

    def fit(m: nn.Module) -> dict[str, Any]:
        assert isinstance(m, Snapshots)
        return fit_snapshots(m.to(dev), train, valid, cfg, f"train {loss}")

    model, meta = _cached(loss, train, cfg, data_key, fit)
    return model.to(dev), meta


def train_unit(loss: str, train: AnyAttributeSet, valid: AnyAttributeSet, cfg: Mapping[str, Any],
               device: str | None, threads: int) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """One bank trained from scratch, as :func:`trained_snapshots` trains it (same seeding and
    thread count): its CPU state dict and history. Runs in-process or as a Ray task."""
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(int(cfg["seed"]))
    snap = _maker(loss, train, cfg)()
    hist = fit_snapshots(snap.to(devices.resolve(device)), train, valid, cfg, f"train {loss}")
    return {k: v.cpu() for k, v in snap.state_dict().items()}, hist


def trained_banks(
    losses: Sequence[str], train: AnyAttributeSet, valid: AnyAttributeSet, cfg: Mapping[str, Any],
    data_key: Mapping[str, Any], *, device: str | None = "cpu", cluster: str | None = None, threads: int = 1,
) -> dict[str, tuple[Snapshots, dict[str, Any]]]:
    """:func:`trained_snapshots` for every loss; with ``cluster`` set, the banks missing from the
    cache are trained as parallel Ray tasks (:func:`train_unit`, one GPU each on a CUDA device)
    and the driver writes the cache as the in-process run does."""
    if clusters.check(cluster) is None:
        return {loss: trained_snapshots(loss, train, valid, cfg, data_key, device) for loss in losses}
    done: dict[str, tuple[Snapshots, dict[str, Any]]] = {}
    for loss in losses:
        hit = cache.lookup(f"rozsa-{loss}", dict(cfg) | dict(data_key) | {"loss": loss},
                           _maker(loss, train, cfg), _code())
        if hit is not None:
            done[loss] = hit  # type: ignore[assignment]
    todo = [loss for loss in losses if loss not in done]
    gpus = 1 if devices.resolve(device).type == "cuda" or str(device).startswith("cuda") else 0
    jobs = [(loss, train, valid, cfg, device, threads) for loss in todo]
    for loss, (state, hist) in zip(todo, clusters.run(train_unit, jobs, cluster, num_cpus=threads,
                                                      num_gpus=gpus), strict=True):
        def fit(m: nn.Module, state: dict[str, Tensor] = state, hist: dict[str, Any] = hist) -> dict:
            m.load_state_dict(state)
            return hist

        done[loss] = _cached(loss, train, cfg, data_key, fit)
    dev = devices.resolve(device)
    return {loss: (done[loss][0].to(dev), done[loss][1]) for loss in losses}
