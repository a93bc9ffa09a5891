"""Data splits and every trained model of the Defense-GAN chapter, cached by configuration.

:func:`prepare` returns a :class:`Bundle` for one dataset: the training split, the attacker's
150-image holdout, the test images, the WGAN-GP generator, the classifiers (undefended,
adversarially trained, Defense-GAN-Rec), the substitutes and the MagNet reformer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ... import cache
from ...attacks import blackbox, fgsm
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


def _seeded(build: Callable[[], nn.Module], seed: int) -> Callable[[], nn.Module]:
    """``build`` with the global torch seed fixed first, so initial weights do not depend on call order."""
    def make() -> nn.Module:
        torch.manual_seed(seed)
        return build()
    return make


# The code each cached model depends on (its source is hashed into the model's cache key).
_CLF_CODE = [classifiers, advtr, fgsm]
_REC_CODE = [*_CLF_CODE, defense_gan, gan, gan_training]
_SUB_CODE = [*_CLF_CODE, blackbox]
_MAGNET_CODE = [magnet, gan]


def _classifier(b: Bundle, kind: str, arch: str, P: Mapping[str, Any],
                data: Callable[[], tuple[Tensor, Tensor]], n: int, epochs: int,
                extra: Mapping[str, Any]) -> nn.Module:
    cfg = {"dataset": b.name, "kind": kind, "arch": arch, "n_train": n, "epochs": epochs,
           "seed": P["seed"], **extra}

    def fit(m: nn.Module) -> dict[str, Any]:
        x, y = data()
        eps = float(extra.get("adv_eps", 0.0))
        return {"loss": advtr.train_classifier(m, x, y, epochs=epochs, seed=P["seed"], adv_eps=eps,
                                               desc=f"{b.name} {kind} {arch}")}

    code = _REC_CODE if kind == "rec" else _CLF_CODE
    model, _ = cache.cached_module("dgan-clf", cfg, _seeded(lambda: classifiers.build(arch), P["seed"]), fit,
                                   code=code)
    return model.requires_grad_(False)


def _substitute(b: Bundle, arch: str, target: nn.Module, P: Mapping[str, Any]) -> nn.Module:
    cfg = {"dataset": b.name, "arch": arch, "rounds": P["sub_rounds"], "lmbda": P["sub_lambda"],
           "epochs": P["sub_epochs"], "seed": P["seed"], "n_hold": len(b.x_hold), "n_train": len(b.x_train),
           "target_epochs": P["epochs"]}

    def fit(m: nn.Module) -> dict[str, Any]:
        def fit_round(sub: nn.Module, x: Tensor, y: Tensor, rho: int) -> object:
            return advtr.train_classifier(sub, x, y, epochs=P["sub_epochs"], seed=P["seed"] + rho)
        return blackbox.train_substitute(target, m, b.x_hold, fit_round, P["sub_rounds"], P["sub_lambda"])

    model, _ = cache.cached_module("dgan-sub", cfg, _seeded(lambda: classifiers.build(arch), P["seed"]), fit,
                                   code=_SUB_CODE)
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
        n = len(xtr)
        b.classifiers[arch] = _classifier(b, "orig", arch, P, lambda: (xtr, ytr), n, P["epochs"], {})
        for eps in P["adv_eps"]:
            b.classifiers[f"{arch}-adv{eps}"] = _classifier(b, "adv", arch, P, lambda: (xtr, ytr), n,
                                                             P["adv_epochs"], {"adv_eps": eps})
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

    def fit_reformer(m: nn.Module) -> dict[str, Any]:
        assert isinstance(m, magnet.MagNetReformer)
        return {"loss": magnet.train_reformer(m, xtr, epochs=P["magnet_epochs"], seed=P["seed"])}

    b.reformer, _ = cache.cached_module(
        "dgan-magnet", rcfg, _seeded(lambda: magnet.MagNetReformer(P["gan_width"]), P["seed"]), fit_reformer,
        code=_MAGNET_CODE)
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

    def rec_data() -> tuple[Tensor, Tensor]:
        d = defense_gan.DefenseGAN(G, L=P["rec_train_L"], R=P["rec_train_R"], seed=P["seed"] + 1)
        return d.project(b.x_train[idx]).x_rec, b.y_train[idx]

    return _classifier(b, "rec", arch, P, rec_data, len(idx), P["rec_epochs"],
                       {"gan": asdict(gcfg), "gan_at": iters, "rec_L": P["rec_train_L"],
                        "rec_R": P["rec_train_R"], "subset": "random"})


def _rec_subset(b: Bundle, P: Mapping[str, Any]) -> Tensor:
    """A seeded random subset of ``n_rec_train`` training indices (MNIST-5k's file is sorted by class)."""
    g = torch.Generator().manual_seed(P["seed"] + 2)
    perm = torch.randperm(len(b.x_train), generator=g, device=g.device)
    return perm[:min(P["n_rec_train"], len(b.x_train))]
