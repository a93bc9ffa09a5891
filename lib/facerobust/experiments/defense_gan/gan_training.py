"""WGAN-GP training of the Defense-GAN generator, checkpointed, resumable and cached.

Settings follow the official Defense-GAN code: gradient penalty 10, 5 critic steps per
generator step, Adam(1e-4, betas 0.5/0.9), batch 50, z ~ N(0, I). The number of generator
iterations and the network width are the chapter's parameters (the official code runs 200k
iterations at width 64 on a GPU). A run interrupted mid-way resumes from its last checkpoint
(:mod:`facerobust.checkpoint`); a finished run is loaded from :mod:`facerobust.cache` (key: the
config, the code of this module and the training images).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ... import cache, fanout
from ... import checkpoint as checkpoints
from ... import device as devices
from ...device import of as device_of
from ...models import gan as gan_mod
from ...paths import cache_dir
from ...progress import progress
from . import placement


@dataclass(frozen=True)
class GANConfig:
    """Hyperparameters of one WGAN-GP run (Defense-GAN chapter)."""

    dataset: str
    width: int = 16
    iters: int = 2000
    batch: int = 50
    critic_iters: int = 5
    gp_lambda: float = 10.0
    lr: float = 1e-4
    seed: int = 0
    checkpoint_every: int = 250
    latent: int = gan_mod.LATENT
    snapshots: tuple[int, ...] = ()  # generator iterations at which G is kept (the budget study)
    train_set: str = ""  # what G trains on (size, source): in the cache key, so another set retrains

    def __post_init__(self) -> None:
        if self.width < 1 or self.iters < 1 or self.latent < 1 or self.critic_iters < 1:
            raise ValueError(f"need width, iters, latent, critic_iters >= 1; got {self}")
        if any(not 1 <= s <= self.iters for s in self.snapshots):
            raise ValueError(f"snapshots must lie in [1, iters={self.iters}], got {self.snapshots}")


def _snapshot_path(x: Tensor, cfg: GANConfig, it: int) -> Path:
    """Where the generator of this run (images ``x``, ``cfg``) is kept after ``it`` iterations."""
    return cache_dir() / "snapshots" / f"{cache.key('wgan-snap', cfg, partial(_train, x=x))}-{it}.pt"


def _train(G: torch.nn.Module, x: Tensor, cfg: GANConfig) -> dict[str, Any]:
    assert isinstance(G, gan_mod.Generator)
    dev = device_of(G)  # the critic and the batches follow the generator's device
    D = gan_mod.Critic(cfg.width).to(dev)
    opt_g = torch.optim.Adam(G.parameters(), cfg.lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), cfg.lr, betas=(0.5, 0.9))
    rng = torch.Generator().manual_seed(cfg.seed)
    ckpt = checkpoints.for_entry("wgan", cfg, partial(_train, x=x), every=cfg.checkpoint_every)
    parts = {"G": G, "D": D, "opt_g": opt_g, "opt_d": opt_d}
    start, hist = ckpt.resume(parts, rng, {"iter": [], "wdist": [], "gp": []})  # an interrupted run goes on
    t0 = time.perf_counter()
    bar = progress(range(start, cfg.iters), desc=f"WGAN-GP {cfg.dataset}", initial=start, total=cfg.iters)
    for it in bar:
        for _ in range(cfg.critic_iters):
            real = x[torch.randint(len(x), (cfg.batch,), generator=rng, device=rng.device)].to(dev)
            with torch.no_grad():
                fake = G(torch.randn(cfg.batch, G.latent, generator=rng, device=rng.device).to(dev))
            wdist = D(real).mean() - D(fake).mean()
            gp = gan_mod.gradient_penalty(D, real, fake, rng)
            opt_d.zero_grad()
            (-wdist + cfg.gp_lambda * gp).backward()
            opt_d.step()
        loss_g = -D(G(torch.randn(cfg.batch, G.latent, generator=rng, device=rng.device).to(dev))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if it % 50 == 0:
            hist["iter"].append(it)
            hist["wdist"].append(float(wdist.detach()))
            hist["gp"].append(float(gp.detach()))
        if it + 1 in cfg.snapshots:
            cache.save_state(_snapshot_path(x, cfg, it + 1), G.state_dict())
        ckpt.step(it + 1, cfg.iters, parts, rng, hist)
    ckpt.finish()
    return {"history": hist, "seconds": time.perf_counter() - t0, "resumed_from": start}


def unit(x: Tensor, cfg: GANConfig, device: str | None = "cpu", threads: int = 1) -> fanout.Unit:
    """The cache entry of the run ``cfg`` on images ``x`` (N, 1, 28, 28) in [0, 1] (key: ``cfg``, the
    code of this module, the images), trained with the generator and critic on ``device``."""
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"expected (N, 1, 28, 28) images, got {tuple(x.shape)}")
    make = cache.seeded(partial(gan_mod.Generator, cfg.width, cfg.latent), cfg.seed)  # the initial weights
    gpus = 1 if devices.resolve(device).type == "cuda" else 0
    fit = partial(placement.fit_on, device, partial(_train, x=x, cfg=cfg))
    return fanout.Unit("wgan-gp", cfg, make, fit, cpus=threads, gpus=gpus)


def generator(G: torch.nn.Module, meta: dict[str, Any],
              from_cache: bool) -> tuple[gan_mod.Generator, dict[str, Any]]:
    """A trained unit's generator (eval mode, on the CPU, gradients off) and its metadata with
    ``from_cache`` (whether it was loaded rather than trained now)."""
    assert isinstance(G, gan_mod.Generator)
    G.cpu().eval().requires_grad_(False)
    return G, {**meta, "from_cache": from_cache}


def train_generator(x: Tensor, cfg: GANConfig,
                    device: str | None = "cpu") -> tuple[gan_mod.Generator, dict[str, Any]]:
    """The trained generator for images ``x`` (N, 1, 28, 28) in [0, 1], from cache when possible.

    Returns the generator (eval mode, on the CPU, gradients off) and metadata: the critic's
    Wasserstein estimate and penalty every 50 iterations, training seconds (0 when loaded from cache).
    """
    u = unit(x, cfg, device)
    cached = cache.lookup(u.name, u.config, u.make, u.fit) is not None
    [(G, meta)] = fanout.trained([u])
    return generator(G, meta, cached)


def snapshots(x: Tensor, cfg: GANConfig, device: str | None = "cpu") -> dict[int, gan_mod.Generator]:
    """The generators of one run at the iterations ``cfg.snapshots`` (the budget study), training
    the run first (on ``device``) if it is not cached; the last iteration is the trained generator
    itself. All on the CPU."""
    G, _ = train_generator(x, cfg, device)
    out: dict[int, gan_mod.Generator] = {}
    for it in cfg.snapshots:
        path = _snapshot_path(x, cfg, it)
        if it == cfg.iters and not path.exists():
            out[it] = G
            continue
        if not path.exists():
            raise FileNotFoundError(f"snapshot {it} of this run is missing: delete the cached model")
        g = gan_mod.Generator(cfg.width, cfg.latent)
        g.load_state_dict(cache.load_state(path))
        out[it] = g.eval().requires_grad_(False)
    return out
