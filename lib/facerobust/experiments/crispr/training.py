"""Training CRISPR with the dissertation's 2-1-1 alternating schedule (Sec. 3.5).

One iteration of :func:`train` is

1. :func:`step_aux` twice: L_GAN (D's side), L_inv (C_inv's side), L_attr (C_attr's side) and
   L_spec, updating D, C_inv, C_attr and H only;
2. :func:`step_encoder` once: L_prior, L_GAN, L_inv and L_attr (E's sides), L_center and L_recon,
   updating E only; then the centroids move by Eqs. 3.7-3.8 (corrected sign);
3. :func:`step_generator` once: L_prior, L_GAN, L_recon, L_attr and L_center, updating G only
   (L_attr, L_center and L_prior reach G through the re-encoding E(G(.)) of its output).

Every optimiser is Adam with beta1 = 0.5. Training runs on ``cfg.threads`` CPU threads (1: these
small networks train about 35% faster on one thread than on two), so several models can train at
once, one per core, through :func:`trained_many` and :mod:`facerobust.cluster`. Trained models
are cached with :func:`facerobust.cache.cached_module` (key: configuration and this code).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ... import cluster as clusters
from ... import device as devices
from ...models import crispr as cr
from ...models import crispr_losses as L
from ...paths import cache_dir
from ...progress import progress


@dataclass(frozen=True)
class CrisprConfig:
    """Every knob of the model and its training (the values the text leaves out included)."""

    channels: int = 1
    size: int = 32
    n_attr: int = 2
    p: int = 32
    q: int = 8
    width: int = 16
    hidden: int = 64
    kappa: float = 1e-3
    beta: float = 3.0
    alpha: float = 0.05
    sigma_floor: float = 0.1
    w_recon: float = 30.0
    w_gan: float = 0.1
    w_inv: float = 0.3
    w_attr: float = 0.3
    w_center: float = 0.05
    w_prior: float = 1.0
    lr: float = 1e-3
    lr_aux: float = 1e-3
    batch: int = 32
    iters: int = 1500
    mix: bool = True
    adversaries: bool = True
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        if self.iters < 1 or self.batch < 2 or self.lr <= 0 or self.lr_aux <= 0 or self.threads < 1:
            raise ValueError("need iters >= 1, batch >= 2, lr, lr_aux > 0 and threads >= 1")


@dataclass(frozen=True)
class Optimisers:
    aux: torch.optim.Optimizer
    enc: torch.optim.Optimizer
    gen: torch.optim.Optimizer


def optimisers(model: cr.Crispr, lr: float, lr_aux: float | None = None) -> Optimisers:
    """Adam(beta1 = 0.5) for the three parameter groups of the schedule (``lr_aux``: D, C_inv,
    C_attr and H; default ``lr``)."""
    aux = [*model.D.parameters(), *model.C_inv.parameters(), *model.C_attr.parameters(),
           *model.H.parameters()]
    make: Callable[[Any], torch.optim.Optimizer] = lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.5, 0.999))
    adam_aux = torch.optim.Adam(aux, lr=lr if lr_aux is None else lr_aux, betas=(0.5, 0.999))
    return Optimisers(adam_aux, make(model.E.parameters()), make(model.G.parameters()))


def _attr_logits(model: cr.Crispr, a: Tensor) -> Tensor:
    return model.C_attr(a)  # (N, L_i, L_j): the shared C_attr applied to every a_i


def mix_codes(codes: cr.Codes, y: Tensor, generator: torch.Generator) -> tuple[cr.Codes, Tensor]:
    """For each attribute, half of the images borrow a_i (and y_i) from a random other image."""
    a, ym = codes.a.clone(), y.clone()
    for i in range(a.shape[1]):
        perm = torch.randperm(len(a), generator=generator, device=generator.device).to(a.device)
        take = (torch.rand(len(a), generator=generator, device=generator.device) < 0.5).to(a.device)
        a[take, i], ym[take, i] = codes.a[perm[take], i], y[perm[take], i]
    return cr.Codes(codes.z, a), ym


def step_aux(model: cr.Crispr, opt: Optimisers, x: Tensor, y: Tensor, cfg: CrisprConfig,
             g: torch.Generator) -> float:
    """Schedule step 1: D, C_inv, C_attr and H on detached codes and generated images."""
    with torch.no_grad():
        codes = model.E(x)
        mixed, ym = mix_codes(codes, y, g) if cfg.mix else (codes, y)
        fake = model.G(mixed)
    loss = cfg.w_gan * L.gan_d(model.D(x, y), model.D(fake, ym)) + L.spec(model.spec_logits(codes.a), y)
    if cfg.adversaries:
        loss = loss + cfg.w_inv * L.inv_classifier(model.C_inv(codes.z), y) + \
            cfg.w_attr * L.attr_classifier(_attr_logits(model, codes.a), y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    opt.aux.step()
    return float(loss.detach())


def step_encoder(model: cr.Crispr, opt: Optimisers, x: Tensor, y: Tensor, cfg: CrisprConfig) -> float:
    """Schedule step 2: E only; then the centroid update."""
    codes = model.E(x)
    x_hat = model.G(codes)
    sig = model.sigmas(cfg.sigma_floor).detach()
    loss = cfg.w_recon * L.recon(x_hat, x, cfg.kappa) + cfg.w_gan * L.gan_g(model.D(x_hat, y)) + \
        cfg.w_center * L.center(codes.a, y, model.mu, sig) + \
        cfg.w_prior * L.prior(torch.cat([codes.z, codes.a.flatten(1)], 1), cfg.beta)
    if cfg.adversaries:
        loss = loss + cfg.w_inv * L.inv_encoder(model.C_inv(codes.z)) + \
            cfg.w_attr * L.attr_encoder(_attr_logits(model, codes.a), y)
    else:  # without the adversaries a_i still has to tell its own attribute (L_spec)
        loss = loss + L.spec(model.spec_logits(codes.a), y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    opt.enc.step()
    model.mu.copy_(cr.update_centroids(model.mu, codes.a.detach(), y, cfg.alpha))
    return float(loss.detach())


def step_generator(model: cr.Crispr, opt: Optimisers, x: Tensor, y: Tensor, cfg: CrisprConfig,
                   g: torch.Generator) -> float:
    """Schedule step 3: G only. L_attr, L_center and L_prior act through E(G(codes))."""
    with torch.no_grad():
        codes = model.E(x)
    mixed, ym = mix_codes(codes, y, g) if cfg.mix else (codes, y)
    x_hat, x_mix = model.G(codes), model.G(mixed)
    again = model.E(x_mix)
    sig = model.sigmas(cfg.sigma_floor).detach()
    loss = cfg.w_recon * L.recon(x_hat, x, cfg.kappa) + cfg.w_gan * L.gan_g(model.D(x_mix, ym)) + \
        cfg.w_center * L.center(again.a, ym, model.mu, sig) + \
        cfg.w_prior * L.prior(torch.cat([again.z, again.a.flatten(1)], 1), cfg.beta)
    if cfg.adversaries:
        loss = loss + cfg.w_attr * L.attr_encoder(_attr_logits(model, again.a), ym)
    else:
        loss = loss + L.spec(model.spec_logits(again.a), ym)
    model.zero_grad(set_to_none=True)
    loss.backward()
    opt.gen.step()
    return float(loss.detach())


def _save_checkpoint(path: Path, model: cr.Crispr, opt: Optimisers, g: torch.Generator, it: int,
                     hist: dict[str, list[float]]) -> None:
    cache.save_state(path, {"model": model.state_dict(), "aux": opt.aux.state_dict(),
                            "enc": opt.enc.state_dict(), "gen": opt.gen.state_dict(), "rng": g.get_state(),
                            "iter": it, "hist": hist})


def _resume(path: Path, model: cr.Crispr, opt: Optimisers,
            g: torch.Generator) -> tuple[int, dict[str, list[float]]]:
    s = cache.load_state(path)
    model.load_state_dict(s["model"])
    opt.aux.load_state_dict(s["aux"]), opt.enc.load_state_dict(s["enc"]), opt.gen.load_state_dict(s["gen"])
    g.set_state(s["rng"])
    return int(s["iter"]), {k: list(v) for k, v in s["hist"].items()}


def fit(model: cr.Crispr, sample: Callable[[torch.Generator], tuple[Tensor, Tensor]],
        cfg: CrisprConfig, desc: str = "CRISPR", checkpoint: Path | None = None,
        every: int = 250) -> dict[str, Any]:
    """Run ``cfg.iters`` iterations of the schedule; ``sample(g)`` draws one batch (x, y).

    With ``checkpoint``, the run's state (networks, centroids, optimisers, sampling generator,
    history) is written there every ``every`` iterations and an interrupted run resumes from it,
    ending with the weights an uninterrupted run ends with; the file is removed at the end."""
    g = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    opt = optimisers(model, cfg.lr, cfg.lr_aux)
    model.train()
    hist: dict[str, list[float]] = {"aux": [], "encoder": [], "generator": []}
    start = 0
    if checkpoint is not None and checkpoint.exists():
        start, hist = _resume(checkpoint, model, opt, g)
    t0 = time.perf_counter()
    dev = model.mu.device

    def batch() -> tuple[Tensor, Tensor]:
        x, y = sample(g)
        return x.to(dev), y.to(dev)

    with devices.threads(cfg.threads):
        for it in progress(range(start, cfg.iters), desc=desc, initial=start, total=cfg.iters):
            aux = [step_aux(model, opt, *batch(), cfg, g) for _ in range(2)]
            hist["aux"].append(sum(aux) / 2)
            hist["encoder"].append(step_encoder(model, opt, *batch(), cfg))
            hist["generator"].append(step_generator(model, opt, *batch(), cfg, g))
            if checkpoint is not None and (it + 1) % every == 0 and it + 1 < cfg.iters:
                _save_checkpoint(checkpoint, model, opt, g, it + 1, hist)
    model.eval()
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    return {"history": hist, "seconds": time.perf_counter() - t0, "resumed_from": start}


def _fresh(cfg: CrisprConfig, dev: torch.device) -> cr.Crispr:
    return make_model(cfg).to(dev)


def make_model(cfg: CrisprConfig) -> cr.Crispr:
    torch.manual_seed(cfg.seed)
    return cr.Crispr(cfg.channels, cfg.size, cfg.n_attr, cfg.p, cfg.q, cfg.width, cfg.hidden)


Sampler = Callable[[torch.Generator], tuple[Tensor, Tensor]]


def checkpoint_path(name: str, cfg: CrisprConfig, data_key: dict[str, Any]) -> Path:
    """Where an interrupted training of this cache entry keeps its state."""
    return cache_dir() / "checkpoints" / f"{cache.key(name + '-ckpt', asdict(cfg) | data_key, _code())}.pt"


def _code() -> list[Any]:
    return [cr, L, sys.modules[__name__]]


def _cached(name: str, cfg: CrisprConfig, data_key: dict[str, Any], dev: torch.device,
            run: Callable[[nn.Module], dict[str, Any]]) -> tuple[cr.Crispr, dict[str, Any]]:
    """The one cache entry of a model: loaded, or ``run`` on a fresh model and stored."""
    model, meta = cache.cached_module(name, asdict(cfg) | data_key, partial(_fresh, cfg, dev), run,
                                      code=_code())
    assert isinstance(model, cr.Crispr)
    return model, meta


def trained(name: str, cfg: CrisprConfig, sample: Sampler, data_key: dict[str, Any],
            device: torch.device | None = None) -> tuple[cr.Crispr, dict[str, Any]]:
    """A trained CRISPR (on ``device``) from the cache, or trained now and cached."""
    def run(m: nn.Module) -> dict[str, Any]:
        assert isinstance(m, cr.Crispr)
        return fit(m, sample, cfg, desc=name, checkpoint=checkpoint_path(name, cfg, data_key))

    return _cached(name, cfg, data_key, device or torch.device("cpu"), run)


def train_unit(name: str, cfg: CrisprConfig, sample: Sampler, device: str,
               checkpoint: Path | None = None) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """One model trained as :func:`trained` trains it (same seeding, same thread count, resuming
    from ``checkpoint``): its CPU state dict and history. Runs in-process or as a Ray task."""
    torch.use_deterministic_algorithms(True, warn_only=True)
    model = make_model(cfg).to(device)
    meta = fit(model, sample, cfg, desc=name, checkpoint=checkpoint)
    return {k: v.cpu() for k, v in model.state_dict().items()}, meta


def trained_many(jobs: Sequence[tuple[str, CrisprConfig]], sample: Sampler, data_key: dict[str, Any],
                 device: torch.device | None = None,
                 cluster: str | None = None) -> list[tuple[cr.Crispr, dict[str, Any]]]:
    """:func:`trained` for every (name, config) of ``jobs`` on the same data. With ``cluster`` set
    (:mod:`facerobust.cluster`: ``'local'`` or a Ray address), the models missing from the cache
    train as parallel tasks of ``cfg.threads`` CPUs each (one GPU each on a CUDA device), and the
    driver writes the cache as the in-process run does: the same entries, the same weights."""
    dev = device or torch.device("cpu")
    if clusters.check(cluster) is None:
        return [trained(name, cfg, sample, data_key, dev) for name, cfg in jobs]
    done: dict[int, tuple[cr.Crispr, dict[str, Any]]] = {}
    for k, (name, cfg) in enumerate(jobs):
        hit = cache.lookup(name, asdict(cfg) | data_key, partial(_fresh, cfg, dev), _code())
        if hit is not None:
            assert isinstance(hit[0], cr.Crispr)
            done[k] = hit[0], hit[1]
    todo = [k for k in range(len(jobs)) if k not in done]
    gpus = 1 if dev.type == "cuda" else 0
    cpus = max([jobs[k][1].threads for k in todo], default=1)
    units = [(jobs[k][0], jobs[k][1], sample, str(dev), checkpoint_path(*jobs[k], data_key)) for k in todo]
    if todo:
        print(f"training {', '.join(jobs[k][0] for k in todo)} side by side ({cluster}, {cpus} CPU each); "
              "their progress bars go to Ray's worker logs, their checkpoints to the cache", file=sys.stderr)
    results = clusters.run(train_unit, units, cluster, num_cpus=cpus, num_gpus=gpus)
    for k, (state, meta) in zip(todo, results, strict=True):
        def load(m: nn.Module, state: dict[str, Tensor] = state, meta: dict[str, Any] = meta) -> dict:
            m.load_state_dict(state)
            return meta

        done[k] = _cached(jobs[k][0], jobs[k][1], data_key, dev, load)
    return [done[k] for k in range(len(jobs))]
