"""Data splits and every trained model of the Defense-GAN chapter, cached by configuration.

:func:`prepare` returns a :class:`Bundle` for one dataset: the training split, the attacker's
150-image holdout, the test images, the WGAN-GP generator, the classifiers (undefended,
adversarially trained, Defense-GAN-Rec), the substitutes and the MagNet reformer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ...attacks import blackbox
from ...data import digits
from ...defenses import adversarial_training as advtr
from ...defenses import defense_gan, magnet
from ...models import classifiers, gan
from . import gan_training


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


def _classifier(dataset: str, kind: str, arch: str, seed: int, fit: cache.Fit, n_train: int, epochs: int,
                extra: Mapping[str, Any]) -> nn.Module:
    """Classifier ``arch`` trained by ``fit`` (its data in it), cached (key: the settings, the code of
    ``fit``, the images and models it holds), frozen."""
    cfg = {"dataset": dataset, "kind": kind, "arch": arch, "n_train": n_train, "epochs": epochs, "seed": seed,
           **extra}
    model, _ = cache.cached_module("dgan-clf", cfg, cache.seeded(partial(classifiers.build, arch), seed), fit)
    return model.requires_grad_(False)


def plain_classifier(b: Bundle, arch: str, epochs: int, seed: int, adv_eps: float = 0.0) -> nn.Module:
    """Classifier ``arch`` on the bundle's training split: plain, or FGSM-adversarially trained
    (``adv_eps`` > 0)."""
    kind, extra = ("adv", {"adv_eps": adv_eps}) if adv_eps > 0 else ("orig", {})
    train = partial(advtr.train_classifier, x=b.x_train, y=b.y_train, epochs=epochs, seed=seed,
                    adv_eps=adv_eps, desc=f"{b.name} {kind} {arch}")
    return _classifier(b.name, kind, arch, seed, cache.recorded("loss", train), len(b.x_train), epochs, extra)


def _substitute(b: Bundle, arch: str, target: nn.Module, P: Mapping[str, Any]) -> nn.Module:
    cfg = {"dataset": b.name, "arch": arch, "rounds": P["sub_rounds"], "lmbda": P["sub_lambda"],
           "epochs": P["sub_epochs"], "seed": P["seed"], "n_hold": len(b.x_hold), "n_train": len(b.x_train)}
    rounds = advtr.per_round(P["sub_epochs"], P["seed"])
    fit = partial(blackbox.train_substitute, target, x_seed=b.x_hold, fit=rounds, rounds=P["sub_rounds"],
                  lmbda=P["sub_lambda"])
    make = cache.seeded(partial(classifiers.build, arch), P["seed"])
    model, _ = cache.cached_module("dgan-sub", cfg, make, fit)
    return model.requires_grad_(False)


def prepare(dataset: str, P: Mapping[str, Any]) -> Bundle:
    """Train (or load from cache) everything for ``dataset`` with the chapter's parameters ``P``."""
    import time

    key = "mnist" if dataset == "mnist5k" else "fashion"
    xtr, ytr, xh, xte, yte = load_split(dataset, P[f"n_train_{key}"], P[f"n_test_{key}"], 150, P["seed"],
                                        P["mnist_root"])
    t0 = time.perf_counter()
    gcfg = gan_config(dataset, P)
    G, meta = gan_training.train_generator(xtr, gcfg)
    b = Bundle(dataset, xtr, ytr, xh, xte, yte, G, meta)
    b.seconds["gan"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for arch in P["classifiers"]:
        b.classifiers[arch] = plain_classifier(b, arch, P["epochs"], P["seed"])
        for eps in P["adv_eps"]:
            b.classifiers[f"{arch}-adv{eps}"] = plain_classifier(b, arch, P["adv_epochs"], P["seed"], eps)
        b.classifiers[f"{arch}-rec"] = rec_classifier(b, P, arch, G, gcfg, gcfg.iters)
    b.seconds["classifiers"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    target = b.classifiers[P["classifiers"][0]]
    for arch in P["substitutes"]:
        b.substitutes[arch] = _substitute(b, arch, target, P)
    b.seconds["substitutes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rcfg = {"dataset": dataset, "width": P["gan_width"], "epochs": P["magnet_epochs"], "n_train": len(xtr),
            "seed": P["seed"]}

    fit_reformer = cache.recorded("loss", partial(magnet.train_reformer, x=xtr, epochs=P["magnet_epochs"],
                                                  seed=P["seed"]))
    b.reformer, _ = cache.cached_module(
        "dgan-magnet", rcfg, cache.seeded(partial(magnet.MagNetReformer, P["gan_width"]), P["seed"]),
        fit_reformer)
    b.reformer.requires_grad_(False)
    b.seconds["magnet"] = time.perf_counter() - t0
    return b


def gan_config(dataset: str, P: Mapping[str, Any]) -> gan_training.GANConfig:
    """The chapter's WGAN-GP run for ``dataset``; the MNIST run keeps the budget study's snapshots."""
    key = "mnist" if dataset == "mnist5k" else "fashion"
    iters = P[f"gan_iters_{key}"]
    snaps = tuple(s for s in P["budget_snapshots"] if s <= iters) if dataset == "mnist5k" else ()
    root = P["mnist_root"] if dataset == "mnist5k" else None
    train_set = f"n_train={P[f'n_train_{key}']}, source={root or 'bundled'}"
    return gan_training.GANConfig(dataset, width=P["gan_width"], iters=iters, seed=P["seed"],
                                  latent=P["gan_latent"], snapshots=snaps, train_set=train_set)


def rec_classifier(b: Bundle, P: Mapping[str, Any], arch: str, G: nn.Module, gcfg: gan_training.GANConfig,
                   iters: int) -> nn.Module:
    """The Defense-GAN-Rec classifier for generator ``G`` (run ``gcfg`` after ``iters`` iterations),
    trained on reconstructions of ``n_rec_train`` training images; cached."""
    idx = _rec_subset(b, P)
    train = partial(defense_gan.train_rec_classifier, generator=G, x=b.x_train[idx], y=b.y_train[idx],
                    L=P["rec_train_L"], R=P["rec_train_R"], projection_seed=P["seed"] + 1,
                    epochs=P["rec_epochs"], seed=P["seed"], desc=f"{b.name} rec {arch}")
    return _classifier(b.name, "rec", arch, P["seed"], cache.recorded("loss", train), len(idx),
                       P["rec_epochs"], {"gan": asdict(gcfg), "gan_at": iters, "rec_L": P["rec_train_L"],
                        "rec_R": P["rec_train_R"], "subset": "random"})


def _rec_subset(b: Bundle, P: Mapping[str, Any]) -> Tensor:
    """A seeded random subset of ``n_rec_train`` training indices (MNIST-5k's file is sorted by class)."""
    g = torch.Generator().manual_seed(P["seed"] + 2)
    perm = torch.randperm(len(b.x_train), generator=g, device=g.device)
    return perm[:min(P["n_rec_train"], len(b.x_train))]
