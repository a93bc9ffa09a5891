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
once, one per core, through :func:`trained_many` and :mod:`facerobust.fanout`. Trained models
are cached (:mod:`facerobust.cache`: key = configuration, the code that builds and trains them and
the digits they are drawn from) and checkpointed while they train (:mod:`facerobust.checkpoint`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import torch
from torch import Tensor

from ... import checkpoint as checkpoints
from ... import device as devices
from ... import fanout
from ...models import crispr
from ...models import crispr_losses as losses
from ...progress import progress

# The fields of :class:`CrisprConfig` a chapter's parameters set (the rest keep their defaults).
PARAMETERS = ("p", "q", "width", "kappa", "beta", "alpha", "w_recon", "w_gan", "w_inv", "w_attr", "w_center",
              "lr", "lr_aux", "batch", "iters", "seed")


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

    @classmethod
    def from_params(cls, params: Mapping[str, Any], adversaries: bool = True) -> CrisprConfig:
        """The model and schedule of a chapter's parameters (the fields named in :data:`PARAMETERS`,
        the others at their defaults); ``adversaries=False`` is the ablation."""
        return cls(**{k: params[k] for k in PARAMETERS}, adversaries=adversaries)

    def __post_init__(self) -> None:
        if self.iters < 1 or self.batch < 2 or self.lr <= 0 or self.lr_aux <= 0 or self.threads < 1:
            raise ValueError("need iters >= 1, batch >= 2, lr, lr_aux > 0 and threads >= 1")


@dataclass(frozen=True)
class Optimisers:
    aux: torch.optim.Optimizer
    enc: torch.optim.Optimizer
    gen: torch.optim.Optimizer


def optimisers(model: crispr.Crispr, lr: float, lr_aux: float | None = None) -> Optimisers:
    """Adam(beta1 = 0.5) for the three parameter groups of the schedule (``lr_aux``: D, C_inv,
    C_attr and H; default ``lr``)."""
    aux = [*model.D.parameters(), *model.C_inv.parameters(), *model.C_attr.parameters(),
           *model.H.parameters()]
    make: Callable[[Any], torch.optim.Optimizer] = lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.5, 0.999))
    adam_aux = torch.optim.Adam(aux, lr=lr if lr_aux is None else lr_aux, betas=(0.5, 0.999))
    return Optimisers(adam_aux, make(model.E.parameters()), make(model.G.parameters()))


def _attr_logits(model: crispr.Crispr, a: Tensor) -> Tensor:
    return model.C_attr(a)  # (N, L_i, L_j): the shared C_attr applied to every a_i


def mix_codes(codes: crispr.Codes, y: Tensor, generator: torch.Generator) -> tuple[crispr.Codes, Tensor]:
    """For each attribute, half of the images borrow a_i (and y_i) from a random other image."""
    a, ym = codes.a.clone(), y.clone()
    for i in range(a.shape[1]):
        perm = torch.randperm(len(a), generator=generator, device=generator.device).to(a.device)
        take = (torch.rand(len(a), generator=generator, device=generator.device) < 0.5).to(a.device)
        a[take, i], ym[take, i] = codes.a[perm[take], i], y[perm[take], i]
    return crispr.Codes(codes.z, a), ym


def step_aux(model: crispr.Crispr, opt: Optimisers, x: Tensor, y: Tensor, cfg: CrisprConfig,
             g: torch.Generator) -> float:
    """Schedule step 1: D, C_inv, C_attr and H on detached codes and generated images."""
    with torch.no_grad():
        codes = model.E(x)
        mixed, ym = mix_codes(codes, y, g) if cfg.mix else (codes, y)
        fake = model.G(mixed)
    loss = cfg.w_gan * losses.gan_d(model.D(x, y), model.D(fake, ym)) + \
        losses.spec(model.spec_logits(codes.a), y)
    if cfg.adversaries:
        loss = loss + cfg.w_inv * losses.inv_classifier(model.C_inv(codes.z), y) + \
            cfg.w_attr * losses.attr_classifier(_attr_logits(model, codes.a), y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    opt.aux.step()
    return float(loss.detach())


def step_encoder(model: crispr.Crispr, opt: Optimisers, x: Tensor, y: Tensor, cfg: CrisprConfig) -> float:
    """Schedule step 2: E only; then the centroid update."""
    codes = model.E(x)
    x_hat = model.G(codes)
    sig = model.sigmas(cfg.sigma_floor).detach()
    loss = cfg.w_recon * losses.recon(x_hat, x, cfg.kappa) + cfg.w_gan * losses.gan_g(model.D(x_hat, y)) + \
        cfg.w_center * losses.center(codes.a, y, model.mu, sig) + \
        cfg.w_prior * losses.prior(torch.cat([codes.z, codes.a.flatten(1)], 1), cfg.beta)
    if cfg.adversaries:
        loss = loss + cfg.w_inv * losses.inv_encoder(model.C_inv(codes.z)) + \
            cfg.w_attr * losses.attr_encoder(_attr_logits(model, codes.a), y)
    else:  # without the adversaries a_i still has to tell its own attribute (L_spec)
        loss = loss + losses.spec(model.spec_logits(codes.a), y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    opt.enc.step()
    model.mu.copy_(crispr.update_centroids(model.mu, codes.a.detach(), y, cfg.alpha))
    return float(loss.detach())


def step_generator(model: crispr.Crispr, opt: Optimisers, x: Tensor, y: Tensor, cfg: CrisprConfig,
                   g: torch.Generator) -> float:
    """Schedule step 3: G only. L_attr, L_center and L_prior act through E(G(codes))."""
    with torch.no_grad():
        codes = model.E(x)
    mixed, ym = mix_codes(codes, y, g) if cfg.mix else (codes, y)
    x_hat, x_mix = model.G(codes), model.G(mixed)
    again = model.E(x_mix)
    sig = model.sigmas(cfg.sigma_floor).detach()
    loss = cfg.w_recon * losses.recon(x_hat, x, cfg.kappa) + cfg.w_gan * losses.gan_g(model.D(x_mix, ym)) + \
        cfg.w_center * losses.center(again.a, ym, model.mu, sig) + \
        cfg.w_prior * losses.prior(torch.cat([again.z, again.a.flatten(1)], 1), cfg.beta)
    if cfg.adversaries:
        loss = loss + cfg.w_attr * losses.attr_encoder(_attr_logits(model, again.a), ym)
    else:
        loss = loss + losses.spec(model.spec_logits(again.a), ym)
    model.zero_grad(set_to_none=True)
    loss.backward()
    opt.gen.step()
    return float(loss.detach())


def fit(model: crispr.Crispr, sample: Callable[[torch.Generator], tuple[Tensor, Tensor]],
        cfg: CrisprConfig, desc: str = "CRISPR",
        checkpoint: checkpoints.Checkpoint | None = None) -> dict[str, Any]:
    """Run ``cfg.iters`` iterations of the schedule; ``sample(g)`` draws one batch (x, y).

    With a ``checkpoint`` path, the run's state (networks, centroids, optimisers, sampling
    generator, history) is saved every ``checkpoint.every`` iterations and an interrupted run
    resumes from it, ending with the weights an uninterrupted run ends with."""
    g = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    opt = optimisers(model, cfg.lr, cfg.lr_aux)
    model.train()
    parts = {"model": model, "aux": opt.aux, "enc": opt.enc, "gen": opt.gen}
    checkpoint = checkpoint or checkpoints.Checkpoint(None)
    start, hist = checkpoint.resume(parts, g, {"aux": [], "encoder": [], "generator": []})
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
            checkpoint.step(it + 1, cfg.iters, parts, g, hist)
    model.eval()
    checkpoint.finish()
    return {"history": hist, "seconds": time.perf_counter() - t0, "resumed_from": start}


def _fresh(cfg: CrisprConfig, dev: torch.device) -> crispr.Crispr:
    return make_model(cfg).to(dev)


def make_model(cfg: CrisprConfig) -> crispr.Crispr:
    torch.manual_seed(cfg.seed)
    return crispr.Crispr(cfg.channels, cfg.size, cfg.n_attr, cfg.p, cfg.q, cfg.width, cfg.hidden)


Sampler = Callable[[torch.Generator], tuple[Tensor, Tensor]]


def unit(name: str, cfg: CrisprConfig, sample: Sampler, data_key: dict[str, Any],
         device: torch.device | None = None) -> fanout.Unit:
    """The cache entry of one model (key: ``cfg``, ``data_key``, the code of this module and of
    ``sample``, the digits ``sample`` draws from), checkpointed while it trains."""
    dev = device or torch.device("cpu")
    make = partial(_fresh, cfg, dev)
    train = partial(fit, sample=sample, cfg=cfg, desc=name)
    config = asdict(cfg) | data_key
    ckpt = checkpoints.for_entry(name, config, make, train)
    return fanout.Unit(name, config, make, partial(train, checkpoint=ckpt), cpus=cfg.threads,
                       gpus=1 if dev.type == "cuda" else 0)


def trained(name: str, cfg: CrisprConfig, sample: Sampler, data_key: dict[str, Any],
            device: torch.device | None = None) -> tuple[crispr.Crispr, dict[str, Any]]:
    """A trained CRISPR (on ``device``) from the cache, or trained now and cached."""
    ((model, meta),) = fanout.trained([unit(name, cfg, sample, data_key, device)])
    assert isinstance(model, crispr.Crispr)
    return model, meta


def trained_many(jobs: Sequence[tuple[str, CrisprConfig]], sample: Sampler, data_key: dict[str, Any],
                 device: torch.device | None = None,
                 cluster: str | None = None) -> list[tuple[crispr.Crispr, dict[str, Any]]]:
    """:func:`trained` for every (name, config) of ``jobs`` on the same data. With ``cluster`` set
    (``'local'`` or a Ray address) the models missing from the cache train as parallel tasks of
    ``cfg.threads`` CPUs each (one GPU each on a CUDA device) and are cached as in-process
    (:func:`facerobust.fanout.trained`): the same entries, the same weights."""
    got = fanout.trained([unit(name, cfg, sample, data_key, device) for name, cfg in jobs], cluster)
    assert all(isinstance(m, crispr.Crispr) for m, _ in got)
    return got  # type: ignore[return-value]
