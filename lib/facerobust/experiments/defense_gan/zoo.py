"""Data splits and every trained model of the Defense-GAN chapter, cached by configuration.

:func:`prepare` returns a :class:`Bundle` for one dataset: the training split, the attacker's
150-image holdout, the test images, the WGAN-GP generator, the classifiers (undefended,
adversarially trained, Defense-GAN-Rec), the substitutes and the MagNet reformer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache, fanout
from ... import device as devices
from ...attacks import blackbox
from ...data import digits
from ...defenses import adversarial_training as advtr
from ...defenses import defense_gan, magnet
from ...models import classifiers, gan
from . import gan_training, placement


@dataclass(frozen=True)
class ZooConfig:
    """What :func:`prepare` reads: the data splits, the generator, the classifiers, substitutes and
    reformer it trains (every training setting is part of their cache keys), and where they train
    (``device``, ``cluster``: not part of the keys)."""

    seed: int
    n_train_mnist: int
    n_train_fashion: int
    n_test_mnist: int
    n_test_fashion: int
    mnist_root: str | None
    gan_width: int
    gan_latent: int
    gan_iters_mnist: int
    gan_iters_fashion: int
    budget_snapshots: tuple[int, ...]
    classifiers: tuple[str, ...]
    epochs: int
    adv_eps: tuple[float, ...]
    adv_epochs: int
    n_rec_train: int
    rec_train_L: int
    rec_train_R: int
    rec_epochs: int
    substitutes: tuple[str, ...]
    sub_rounds: int
    sub_lambda: float
    sub_epochs: int
    magnet_epochs: int
    device: str | None = "cpu"
    cluster: str | None = None
    threads: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ZooConfig:
        """The zoo of a chapter's parameters (the fields of the same names; lists become tuples)."""
        def value(name: str) -> Any:
            v = params[name]
            return tuple(v) if isinstance(v, list) else v
        return cls(**{f.name: value(f.name) for f in fields(cls) if f.name in params})

    def n_train(self, dataset: str) -> int:
        return self.n_train_mnist if dataset == "mnist5k" else self.n_train_fashion

    def n_test(self, dataset: str) -> int:
        return self.n_test_mnist if dataset == "mnist5k" else self.n_test_fashion


@dataclass
class Bundle:
    """Everything one dataset's experiments need (Defense-GAN chapter)."""

    name: str
    x_train: Tensor
    y_train: Tensor
    x_hold: Tensor
    x_test: Tensor
    y_test: Tensor
    G: gan.Generator
    gan_meta: dict[str, Any]
    classifiers: dict[str, nn.Module] = field(default_factory=dict)
    substitutes: dict[str, nn.Module] = field(default_factory=dict)
    reformer: nn.Module | None = None
    seconds: dict[str, float] = field(default_factory=dict)


# The chapter's datasets and their loaders; MNIST-5k is the one its text and figures follow.
_LOADERS: dict[str, Callable[[str], Any]] = {"mnist5k": digits.mnist5k, "fashion_mnist": digits.fashion_mnist}


def check_datasets(datasets: Sequence[str]) -> None:
    """The chapter's text and figures follow MNIST-5k; Fashion-MNIST is optional (``-p datasets
    [mnist5k]`` halves the run). Raises ValueError naming the problem."""
    if "mnist5k" not in datasets or any(d not in _LOADERS for d in datasets):
        raise ValueError(f"datasets must include 'mnist5k' and may add 'fashion_mnist'; got {list(datasets)}")


def load_split(dataset: str, n_train: int, n_test: int, n_holdout: int = 150, seed: int = 0,
               mnist_root: str | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """(x_train, y_train, x_holdout, x_test, y_test): seeded subsets; the holdout is disjoint
    from the test images. With ``mnist_root`` (the official IDX files) the chapter's MNIST slot
    ("mnist5k") holds the full MNIST instead (the ``full`` profile)."""
    loader = _LOADERS.get(dataset)
    if loader is None:
        raise ValueError(f"dataset must be 'mnist5k' or 'fashion_mnist', got {dataset!r}")
    if dataset == "mnist5k" and mnist_root is not None:
        root = str(Path(mnist_root).expanduser())

        def loader(split: str) -> Any:
            return digits.mnist(split, root)
    tr, te = loader("train"), loader("test")
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(tr), generator=g, device=g.device)
    # all: keep the file's order
    itr = torch.arange(len(tr), device=perm.device) if n_train >= len(tr) else perm[:n_train]
    ite = torch.randperm(len(te), generator=g, device=g.device)
    if n_holdout + n_test > len(te):
        raise ValueError(f"{dataset}: holdout {n_holdout} + test {n_test} > {len(te)} test images")
    hold, test = ite[:n_holdout], ite[n_holdout:n_holdout + n_test]
    return tr.x[itr], tr.y[itr], te.x[hold], te.x[test], te.y[test]


def _classifier_unit(dataset: str, kind: str, arch: str, seed: int, fit: cache.Fit, n_train: int, epochs: int,
                     extra: Mapping[str, Any], cfg: ZooConfig) -> fanout.Unit:
    """The cache entry of classifier ``arch`` trained by ``fit`` (its data in it; key: the settings,
    the code of ``fit``, the images and models it holds), trained on ``cfg.device``."""
    key = {"dataset": dataset, "kind": kind, "arch": arch, "n_train": n_train, "epochs": epochs, "seed": seed,
           **extra}
    return _unit("dgan-clf", key, cache.seeded(partial(classifiers.build, arch), seed), fit, cfg)


def _unit(name: str, key: Mapping[str, Any], make: cache.Make, fit: cache.Fit, cfg: ZooConfig) -> fanout.Unit:
    gpus = 1 if devices.resolve(cfg.device).type == "cuda" else 0
    fit_on = partial(placement.fit_on, cfg.device, fit)
    return fanout.Unit(name, dict(key), make, fit_on, cpus=cfg.threads, gpus=gpus)


def _frozen(trained: tuple[nn.Module, dict[str, Any]]) -> nn.Module:
    """A trained unit's model: on the CPU, eval mode, gradients off."""
    return trained[0].cpu().eval().requires_grad_(False)


def plain_unit(b: Bundle, cfg: ZooConfig, arch: str, epochs: int, adv_eps: float = 0.0) -> fanout.Unit:
    """Classifier ``arch`` on the bundle's training split for ``epochs`` epochs: plain, or
    FGSM-adversarially trained (``adv_eps`` > 0)."""
    seed = cfg.seed
    kind, extra = ("adv", {"adv_eps": adv_eps}) if adv_eps > 0 else ("orig", {})
    x, y = placement.tensor_on(b.x_train, cfg.device), placement.tensor_on(b.y_train, cfg.device)
    train = partial(advtr.train_classifier, x=x, y=y, epochs=epochs, seed=seed, adv_eps=adv_eps,
                    desc=f"{b.name} {kind} {arch}")
    return _classifier_unit(b.name, kind, arch, seed, cache.recorded("loss", train), len(b.x_train), epochs,
                            extra, cfg)


def plain_classifier(b: Bundle, cfg: ZooConfig, arch: str, epochs: int, adv_eps: float = 0.0) -> nn.Module:
    """Classifier ``arch`` of :func:`plain_unit`, from the cache or trained now, frozen."""
    [trained] = fanout.trained([plain_unit(b, cfg, arch, epochs, adv_eps)], cfg.cluster)
    return _frozen(trained)


def _substitute_unit(b: Bundle, arch: str, target: nn.Module, cfg: ZooConfig) -> fanout.Unit:
    key = {"dataset": b.name, "arch": arch, "rounds": cfg.sub_rounds, "lmbda": cfg.sub_lambda,
           "epochs": cfg.sub_epochs, "seed": cfg.seed, "n_hold": len(b.x_hold), "n_train": len(b.x_train)}
    rounds = advtr.per_round(cfg.sub_epochs, cfg.seed)
    fit = partial(blackbox.train_substitute, placement.module_on(target, cfg.device),
                  x_seed=placement.tensor_on(b.x_hold, cfg.device), fit=rounds, rounds=cfg.sub_rounds,
                  lmbda=cfg.sub_lambda)
    return _unit("dgan-sub", key, cache.seeded(partial(classifiers.build, arch), cfg.seed), fit, cfg)


def _reformer_unit(b: Bundle, cfg: ZooConfig) -> fanout.Unit:
    key = {"dataset": b.name, "width": cfg.gan_width, "epochs": cfg.magnet_epochs, "n_train": len(b.x_train),
           "seed": cfg.seed}
    fit = cache.recorded("loss", partial(magnet.train_reformer, x=placement.tensor_on(b.x_train, cfg.device),
                                         epochs=cfg.magnet_epochs, seed=cfg.seed))
    make = cache.seeded(partial(magnet.MagNetReformer, cfg.gan_width), cfg.seed)
    return _unit("dgan-magnet", key, make, fit, cfg)


def prepare(dataset: str, cfg: ZooConfig) -> Bundle:
    """Train (or load from cache) everything for ``dataset`` (:func:`prepare_all`)."""
    return prepare_all([dataset], cfg)[dataset]


def prepare_all(datasets: Sequence[str], cfg: ZooConfig) -> dict[str, Bundle]:
    """Train (or load from cache) everything for each of ``datasets``: first the generators, plain and
    adversarially trained classifiers and reformers, then the Rec classifiers (they need the
    generator) and the substitutes (they query the first classifier), each group one fan-out
    (:func:`facerobust.fanout.trained`: side by side as Ray tasks with ``cfg.cluster``)."""
    out: dict[str, Bundle] = {}
    for ds in datasets:
        split = load_split(ds, cfg.n_train(ds), cfg.n_test(ds), 150, cfg.seed, cfg.mnist_root)
        out[ds] = Bundle(ds, *split, None, {})  # type: ignore[arg-type]  # G: below
    t0 = time.perf_counter()
    gcfgs = {ds: gan_config(ds, cfg) for ds in datasets}
    gans = [gan_training.unit(b.x_train, gcfgs[ds], cfg.device, cfg.threads) for ds, b in out.items()]
    cached = [cache.lookup(u.name, u.config, u.make, u.fit) is not None for u in gans]
    plain = [(ds, name, plain_unit(b, cfg, arch, e, eps)) for ds, b in out.items()
             for arch in cfg.classifiers
             for name, e, eps in [(arch, cfg.epochs, 0.0),
                                  *((f"{arch}-adv{eps}", cfg.adv_epochs, eps) for eps in cfg.adv_eps)]]
    reformers = [_reformer_unit(b, cfg) for b in out.values()]
    got = fanout.trained([*gans, *(u for _, _, u in plain), *reformers], cfg.cluster)
    for b, hit, (G, meta) in zip(out.values(), cached, got[:len(gans)], strict=True):
        b.G, b.gan_meta = gan_training.generator(G, meta, hit)
    for (ds, name, _), trained in zip(plain, got[len(gans):len(gans) + len(plain)], strict=True):
        out[ds].classifiers[name] = _frozen(trained)
    for b, trained in zip(out.values(), got[len(gans) + len(plain):], strict=True):
        b.reformer = _frozen(trained)
    t1 = time.perf_counter()
    recs = [(ds, arch, rec_unit(b, cfg, arch, b.G, gcfgs[ds], gcfgs[ds].iters)) for ds, b in out.items()
            for arch in cfg.classifiers]
    subs = [(ds, arch, _substitute_unit(b, arch, b.classifiers[cfg.classifiers[0]], cfg))
            for ds, b in out.items() for arch in cfg.substitutes]
    got = fanout.trained([u for *_, u in recs + subs], cfg.cluster)
    for (ds, arch, _), trained in zip(recs, got[:len(recs)], strict=True):
        out[ds].classifiers[f"{arch}-rec"] = _frozen(trained)
    for (ds, arch, _), trained in zip(subs, got[len(recs):], strict=True):
        out[ds].substitutes[arch] = _frozen(trained)
    t2 = time.perf_counter()
    for b in out.values():  # the two fan-outs' wall time, shared among the datasets
        b.seconds = {"first models": (t1 - t0) / len(out), "rec and substitutes": (t2 - t1) / len(out)}
    return out


def gan_config(dataset: str, cfg: ZooConfig) -> gan_training.GANConfig:
    """The chapter's WGAN-GP run for ``dataset``; the MNIST run keeps the budget study's snapshots."""
    iters = cfg.gan_iters_mnist if dataset == "mnist5k" else cfg.gan_iters_fashion
    snaps = tuple(s for s in cfg.budget_snapshots if s <= iters) if dataset == "mnist5k" else ()
    root = cfg.mnist_root if dataset == "mnist5k" else None
    train_set = f"n_train={cfg.n_train(dataset)}, source={root or 'bundled'}"
    return gan_training.GANConfig(dataset, width=cfg.gan_width, iters=iters, seed=cfg.seed,
                                  latent=cfg.gan_latent, snapshots=snaps, train_set=train_set)


def rec_unit(b: Bundle, cfg: ZooConfig, arch: str, G: nn.Module, gcfg: gan_training.GANConfig,
             iters: int) -> fanout.Unit:
    """The Defense-GAN-Rec classifier for generator ``G`` (run ``gcfg`` after ``iters`` iterations),
    trained on reconstructions of ``n_rec_train`` training images."""
    idx = _rec_subset(b, cfg)
    x, y = placement.tensor_on(b.x_train[idx], cfg.device), placement.tensor_on(b.y_train[idx], cfg.device)
    train = partial(defense_gan.train_rec_classifier, generator=placement.module_on(G, cfg.device), x=x, y=y,
                    L=cfg.rec_train_L, R=cfg.rec_train_R, projection_seed=cfg.seed + 1,
                    epochs=cfg.rec_epochs, seed=cfg.seed, desc=f"{b.name} rec {arch}")
    return _classifier_unit(b.name, "rec", arch, cfg.seed, cache.recorded("loss", train), len(idx),
                            cfg.rec_epochs, {"gan": asdict(gcfg), "gan_at": iters, "rec_L": cfg.rec_train_L,
                                             "rec_R": cfg.rec_train_R, "subset": "random"}, cfg)


def rec_classifier(b: Bundle, cfg: ZooConfig, arch: str, G: nn.Module, gcfg: gan_training.GANConfig,
                   iters: int) -> nn.Module:
    """The Defense-GAN-Rec classifier of :func:`rec_unit`, from the cache or trained now, frozen."""
    [trained] = fanout.trained([rec_unit(b, cfg, arch, G, gcfg, iters)], cfg.cluster)
    return _frozen(trained)


def _rec_subset(b: Bundle, cfg: ZooConfig) -> Tensor:
    """A seeded random subset of ``n_rec_train`` training indices (MNIST-5k's file is sorted by class)."""
    g = torch.Generator().manual_seed(cfg.seed + 2)
    perm = torch.randperm(len(b.x_train), generator=g, device=g.device)
    return perm[:min(cfg.n_rec_train, len(b.x_train))]
