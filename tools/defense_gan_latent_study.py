"""Defense-GAN range study, part 2 (issue 20): a smaller latent and more training images.

Measured with the book's library, one generator per run (run them as separate processes)::

    nice -n 10 .venv/bin/python tools/defense_gan_latent_study.py run mnist-k16
    .venv/bin/python tools/defense_gan_latent_study.py merge   # -> benchmarks/results/<this>.json

Runs (``RUNS``): WGAN-GP at the chapter's default width and iterations with latent 128 (the faithful
size), 32, 16 and 8 on MNIST-5k (all 4,000 training digits: the chapter's default already uses the
whole training split; the other 1,000 are the holdout and test images), and the Fashion-MNIST
generator trained on the chapter's 4,000-image subset and on all 60,000 training images, same budget.

For each generator, on the first ``n`` test digits (held out from every training set): Defense-GAN
(faithful projection, L, R) accuracy of classifier A ("orig") and of a Rec classifier trained on this
generator's reconstructions ("rec", as the chapter trains it) on clean digits and under FGSM on A at
each eps, and the closer-adversarial-point rate (``closer_point``) with Wilson 95% intervals. Each run
writes a part file under the cache (``artefacts/latent_study``); ``merge`` collects them into one JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facerobust import cache, params, session
from facerobust.attacks.fgsm import fgsm
from facerobust.defenses.defense_gan import DefenseGAN, closer_point
from facerobust.experiments.defense_gan import gan_training, range_study, zoo
from facerobust.metrics.intervals import wilson
from facerobust.models import gan
from facerobust.models.base import accuracy
from facerobust.paths import cache_dir, repo_root
from torch import Tensor, nn

OUT = Path("benchmarks/results/defense_gan_latent_study.json")
# every run keeps these (as the chapter's budget study does): runs compare at equal iterations
SNAPSHOTS = (250, 500, 1000, 2000)


@dataclass(frozen=True)
class Run:
    """One generator of the study: dataset, latent size, and how many training images the GAN sees
    (None = the chapter's training subset)."""

    dataset: str
    latent: int = 128
    gan_images: int | None = None


RUNS = {
    "mnist-k128": Run("mnist5k", 128),
    "mnist-k32": Run("mnist5k", 32),
    "mnist-k16": Run("mnist5k", 16),
    "mnist-k8": Run("mnist5k", 8),
    "fashion-4k": Run("fashion_mnist", 128),
    "fashion-60k": Run("fashion_mnist", 128, 60000),
}


def _bundle(run: Run, P: Mapping[str, Any]) -> tuple[zoo.Bundle, gan_training.GANConfig, Tensor]:
    """The chapter's split, the GAN config of ``run`` and the images its GAN trains on."""
    key = "mnist" if run.dataset == "mnist5k" else "fashion"
    xtr, ytr, xh, xte, yte = zoo.load_split(run.dataset, P[f"n_train_{key}"], P[f"n_test_{key}"], 150,
                                            P["seed"], P["mnist_root"])
    cfg = zoo.gan_config(run.dataset, zoo.ZooConfig.from_params(P))
    snaps = tuple(i for i in SNAPSHOTS if i <= cfg.iters)
    cfg = dataclasses.replace(cfg, latent=run.latent, snapshots=snaps)
    x_gan = xtr
    if run.gan_images is not None:  # the GAN sees more images: a distinct label keeps its cache key apart
        x_gan = zoo.load_split(run.dataset, run.gan_images, P[f"n_test_{key}"], 150, P["seed"])[0]
        cfg = dataclasses.replace(cfg, dataset=f"{run.dataset}@{len(x_gan)}")
    b = zoo.Bundle(run.dataset, xtr, ytr, xh, xte, yte, G=None, gan_meta={})  # type: ignore[arg-type]
    return b, cfg, x_gan


def _rate(k: int, n: int) -> dict[str, float]:
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n, "lo": lo, "hi": hi}


def _generator(
    x: Tensor, cfg: gan_training.GANConfig, weights: Path | None
) -> tuple[gan.Generator, dict[str, Any]]:
    """The trained generator of ``cfg``; or, with ``weights``, that state dict (a cached generator of the
    same configuration trained earlier, e.g. the chapter's own final snapshot: see ``--weights``)."""
    if weights is None:
        return gan_training.train_generator(x, cfg)
    G = gan.Generator(cfg.width, cfg.latent)
    G.load_state_dict(cache.load_state(weights))
    return G.eval().requires_grad_(False), {"seconds": 0.0, "from_cache": True, "weights": weights.name}


def _speed(iters: int, seconds: float) -> float | None:
    return iters / seconds if seconds else None


def _acc(model: nn.Module, x: Tensor, y: Tensor) -> dict[str, float]:
    return _rate(round(accuracy(model, x, y) * len(y)), len(y))


def measure(name: str, P: Mapping[str, Any], L: int, R: int, n: int, eps_grid: list[float],
            weights: Path | None = None, at: int | None = None) -> dict[str, Any]:
    """Train (or load) the generator of run ``name`` and measure it (see the module docstring); with
    ``at``, its snapshot after ``at`` iterations (which must exist: ``train`` keeps ``SNAPSHOTS``)."""
    run = RUNS[name]
    b, cfg, x_gan = _bundle(run, P)
    load0 = os.getloadavg()
    if at is not None and weights is None:
        weights = gan_training._snapshot_path(x_gan, cfg, at)
        if not weights.exists():
            raise FileNotFoundError(f"{name}: no snapshot at {at} iterations yet ({weights.name})")
    G, meta = _generator(x_gan, cfg, weights)
    b.G = G
    Z = zoo.ZooConfig.from_params(P)
    A = zoo.plain_classifier(b, Z, "A", Z.epochs)
    A_rec = zoo.rec_classifier(b, Z, "A", G, cfg, cfg.iters)
    x, y = b.x_test[:n], b.y_test[:n]
    d = DefenseGAN(G, L=L, R=R, seed=P["seed"])
    clean = d.project(x)
    out: dict[str, Any] = {
        "run": name, **dataclasses.asdict(run), "gan": dataclasses.asdict(cfg),
        "gan_train_images": len(x_gan), "gan_seconds": meta["seconds"], "gan_from_cache": meta["from_cache"],
        "gan_weights": meta.get("weights"), "gan_iters_used": at or cfg.iters,
        "gan_it_per_s": _speed(cfg.iters - meta.get("resumed_from", 0), meta["seconds"]),
        "L": L, "R": R, "n": n, "clean_mse": float(clean.mse.mean()),
        "clean": {"orig": _acc(A, clean.x_rec, y), "rec": _acc(A_rec, clean.x_rec, y)}, "attacks": [],
    }
    for eps in eps_grid:
        cp = closer_point(d, x, range_study.sent(fgsm(A, x, y, eps=eps)), clean=clean)
        out["attacks"].append({
            "attack": "FGSM on A", "eps": eps, "closer": _rate(cp.k, cp.n), "follow": float(cp.follow.mean()),
            "mse_adv": float(cp.mse_adv.mean()), "mse_clean_to_adv": float(cp.mse_clean.mean()),
            "orig": _acc(A, cp.rec_adv, y), "rec": _acc(A_rec, cp.rec_adv, y),
        })
    out.update(load_avg_start=load0, load_avg_end=os.getloadavg(), threads=P["threads"],
               date=dt.datetime.now(dt.UTC).isoformat(timespec="minutes"))
    return out


def _parts() -> Path:
    return cache_dir() / "artefacts" / "latent_study"


def merge() -> list[dict[str, Any]]:
    """All part files, in the order of ``RUNS``, written to ``OUT`` (atomically)."""
    parts = {p.stem: json.loads(p.read_text()) for p in _parts().glob("*.json")}
    rows = [parts[k] for k in sorted(parts, key=lambda k: (list(RUNS).index(k.split("@")[0]), k))]
    for r in rows:  # parts written before --at existed measured the final generator
        r.setdefault("gan_iters_used", r["gan"]["iters"])
    cache.atomic_write_bytes(repo_root() / OUT, (json.dumps(rows, indent=1) + "\n").encode())
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """A markdown table of the merged results (rates with their Wilson intervals)."""
    def r(c: Mapping[str, float]) -> str:
        return f"{c['rate']:.2f} [{c['lo']:.2f}, {c['hi']:.2f}]"
    lines = ["| run | GAN images | latent | it/s | clean MSE | clean Rec (Orig) | eps | Rec (Orig) "
             "| closer rate |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        row = {**row, "run": f"{row['run']} @{row.get('gan_iters_used', '?')} it"}
        ips = f"{row['gan_it_per_s']:.1f}" if row["gan_it_per_s"] else "cached"
        for a in row["attacks"]:
            lines.append(f"| {row['run']} | {row['gan_train_images']} | {row['latent']} | {ips} | "
                         f"{row['clean_mse']:.4f} | {r(row['clean']['rec'])} "
                         f"({row['clean']['orig']['rate']:.2f}) | "
                         f"{a['eps']} | {r(a['rec'])} ({a['orig']['rate']:.2f}) | {r(a['closer'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["train", "run", "merge"])
    ap.add_argument("runs", nargs="*", help=f"runs to train and measure (cmd run): {', '.join(RUNS)}")
    ap.add_argument("--profile", default="default")
    ap.add_argument("--L", type=int, default=200)
    ap.add_argument("--R", type=int, default=10)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--eps", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--at", type=int, default=None, help="measure the snapshot at this iteration")
    ap.add_argument("--weights", type=Path, default=None,
                    help="state dict of an already trained generator of the (single) run named")
    a = ap.parse_args(argv)
    if a.cmd == "merge":
        print(table(merge()))
        return
    if not a.runs or any(r not in RUNS for r in a.runs):
        ap.error(f"name one or more runs of {list(RUNS)}, got {a.runs}")
    if a.weights is not None and len(a.runs) != 1:
        ap.error("--weights goes with exactly one run")
    P = dict(params.load("07_defense_gan", a.profile, {"threads": a.threads}))
    session.start(P["seed"], threads=a.threads)
    for name in a.runs:
        if a.cmd == "train":
            b, cfg, x_gan = _bundle(RUNS[name], P)
            print(name, gan_training.train_generator(x_gan, cfg)[1]["seconds"], "s", file=sys.stderr)
            continue
        res = measure(name, P, a.L, a.R, a.n, a.eps, a.weights, a.at)
        part = name if a.at is None else f"{name}@{a.at}"
        cache.atomic_write_bytes(_parts() / f"{part}.json", json.dumps(res, indent=1).encode())
        print(json.dumps(res), file=sys.stderr)


if __name__ == "__main__":
    main()
