"""Chapter 04, Part B on CelebA (``full`` profile, given ``celeba_root``): train the Multi* region networks
and Binary* full-face networks of Table 2.12 with Eq. 2.5 (Eq. 2.4 for Binary) and the rare-class queue
sampler over the streaming CelebA set, and measure per-attribute test accuracy as Table 2.11 does.

Images are decoded on access by a ``DataLoader`` (:class:`~.celeba_parts.PartCrops` over
:class:`~facerobust.data.streaming.CelebAImages`), so memory does not grow with the number of images;
only labels, landmarks and the test outputs (a few numbers per image) are held. Multi* attribute
predictions follow Sec. 2.4.3: a linear SVM per attribute on the concatenated embeddings of the
regions the attribute is assigned to, fitted on the development split; each network's own softmax
heads are reported beside it. Every network is cached on its own (a :class:`facerobust.fanout.Unit`:
in turn, or side by side on a Ray cluster), so an interrupted run keeps the networks it finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.svm import LinearSVC
from torch import Tensor
from torch.utils.data import DataLoader

from ... import draws, fanout
from ...data import celeba, streaming
from ...models import cnnaa
from ...progress import progress
from . import celeba_parts
from .cnnaa_run import fit

ARCHS = {"Deep": cnnaa.DEEP, "Wide": cnnaa.WIDE}


@dataclass(frozen=True)
class Split:
    """One CelebA split, streamed: images decoded on access, labels (N, 40) in {0, 1}, landmarks (N, 5, 2)."""

    images: streaming.CelebAImages
    labels: Tensor
    points: np.ndarray
    names: tuple[str, ...]


@dataclass(frozen=True)
class NetSpec:
    """One network: family (Deep / Wide), kind (Multi / Binary), region (or FullFace), its attributes."""

    family: str
    kind: str
    region: str
    attributes: tuple[str, ...]


def load_split(root: str | Path, split: str, limit: int | None = None) -> Split:
    """A streamed CelebA split with its landmarks (``list_landmarks_align_celeba.txt``)."""
    data = celeba.celeba(root, split, limit=limit, max_bytes=0)
    if not isinstance(data, streaming.StreamingAttributeSet):
        raise TypeError("expected a streaming CelebA set")
    pts = celeba.landmarks(root, [Path(p).name for p in data.images.paths])
    return Split(data.images, (data.a > 0).long(), pts, data.names)


def specs(families: Sequence[str], regions: Sequence[str], binary: Sequence[str]) -> list[NetSpec]:
    """The Multi* networks of ``regions`` and the Binary* networks of ``binary`` attributes, per family."""
    bad = [f for f in families if f not in ARCHS] + [r for r in regions if r not in celeba_parts.ASSIGNMENT]
    bad += [a for a in binary if a not in celeba.ATTRIBUTE_NAMES]
    if bad:
        raise ValueError(f"unknown family, region or attribute: {bad}")
    out = [NetSpec(f, "Multi", r, celeba_parts.ASSIGNMENT[r]) for f in families for r in regions]
    return out + [NetSpec(f, "Binary", celeba_parts.FULL, (a,)) for f in families for a in binary]


def make_net(spec: NetSpec) -> cnnaa.PartNet:
    w, h = celeba_parts.window_size(spec.region)
    return cnnaa.PartNet(ARCHS[spec.family], w, h, len(spec.attributes))


def _loader(split: Split, cols: list[int], regions: Sequence[str], batch: int, order: Sequence[int],
            workers: int) -> DataLoader[Any]:
    data = celeba_parts.PartCrops(split.images, split.points, split.labels[:, cols], regions)
    return DataLoader(data, batch_size=batch, sampler=list(order), num_workers=workers,
                      collate_fn=celeba_parts.collate, prefetch_factor=2 if workers else None)


def train(net: cnnaa.PartNet, split: Split, spec: NetSpec, steps: int, batch: int, lr: float, seed: int,
          workers: int = 0) -> dict[str, Any]:
    """Adam on Eq. 2.5 (Eq. 2.4 for one attribute), batches drawn by the queue sampler, each image
    freshly flipped / contrasted / gamma-corrected; the images of a batch are decoded as it is drawn."""
    if steps < 1 or batch < 1 or lr <= 0:
        raise ValueError(f"steps and batch must be >= 1 and lr > 0, got {steps}, {batch}, {lr}")
    cols = [split.names.index(a) for a in spec.attributes]
    sampler = cnnaa.QueueSampler(split.labels[:, cols].numpy(), seed=seed)
    gen = torch.Generator().manual_seed(seed)
    loader = _loader(split, cols, (spec.region,), batch, sampler.draw(steps * batch).tolist(), workers)
    shown = progress(loader, desc=f"{spec.kind}{spec.family} {spec.region}"[:40])
    losses = fit(net, ((streaming.to_float(crops), y) for (crops,), y in shown), lr, gen)
    return {"loss": losses, "queues": sampler.n_queues}


def _net_on(spec: NetSpec, dev: torch.device) -> cnnaa.PartNet:
    return make_net(spec).to(dev)


def train_all(split: Split, nets: Sequence[NetSpec], steps: int, batch: int, lr: float, seed: int,
              workers: int = 0, device: torch.device | None = None,
              cluster: str | None = None) -> dict[NetSpec, cnnaa.PartNet]:
    """Every network of ``nets`` (on ``device``), from the cache or trained now: in turn (``cluster``
    None) or the missing ones side by side as Ray tasks (:func:`facerobust.fanout.trained`)."""
    dev = device or torch.device("cpu")
    units = []
    for s in nets:
        cfg = {"family": s.family, "kind": s.kind, "region": s.region, "attributes": list(s.attributes),
               "n_train": len(split.images), "steps": steps, "batch": batch, "lr": lr, "seed": seed,
               "first": Path(split.images.paths[0]).name, "label_sum": int(split.labels.sum())}
        units.append(fanout.Unit(
            "cnnaa-celeba", cfg, draws.drawn_now(partial(_net_on, s, dev)),  # the draws in order, as before
            partial(train, split=split, spec=s, steps=steps, batch=batch, lr=lr, seed=seed, workers=workers),
            cpus=torch.get_num_threads(), gpus=1 if dev.type == "cuda" else 0))
    out = {}
    for s, (net, _) in zip(nets, fanout.trained(units, cluster), strict=True):
        if not isinstance(net, cnnaa.PartNet):
            raise TypeError(f"cache returned {type(net).__name__} for {s}")
        out[s] = net
    return out


@dataclass(frozen=True)
class Outputs:
    """Per network, the test images' attribute probabilities (N, A) and embeddings (N, E); labels (N, 40)."""

    probs: dict[NetSpec, np.ndarray]
    embeddings: dict[NetSpec, np.ndarray]
    labels: np.ndarray


def outputs(nets: dict[NetSpec, cnnaa.PartNet], split: Split, batch: int = 64, workers: int = 0) -> Outputs:
    """One streamed pass over ``split``: every network's probabilities and embeddings for every image."""
    regions = sorted({s.region for s in nets})
    probs: dict[NetSpec, list[np.ndarray]] = {s: [] for s in nets}
    embs: dict[NetSpec, list[np.ndarray]] = {s: [] for s in nets}
    loader = _loader(split, list(range(len(split.names))), regions, batch, range(len(split.images)), workers)
    with torch.no_grad():
        for crops, _ in progress(loader, desc=f"CelebA outputs ({len(split.images)} images)"):
            x = {r: streaming.to_float(c) for r, c in zip(regions, crops, strict=True)}
            for s, net in nets.items():
                e, logits = net(x[s.region].to(next(net.parameters()).device))
                probs[s].append(logits.softmax(-1)[..., 1].cpu().numpy())
                embs[s].append(e.cpu().numpy())
    return Outputs({s: np.concatenate(v) for s, v in probs.items()},
                   {s: np.concatenate(v) for s, v in embs.items()}, split.labels.numpy())


def _svm_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, c: float) -> np.ndarray:
    if len(np.unique(train_y)) < 2:  # one class in the development images: predict it
        return np.full(len(test_x), train_y[0] if len(train_y) else 0)
    mu, sd = train_x.mean(0), train_x.std(0) + 1e-6
    svm = LinearSVC(C=c, max_iter=5000).fit((train_x - mu) / sd, train_y)
    return svm.predict((test_x - mu) / sd)


def correct(dev: Outputs, test: Outputs, names: Sequence[str], svm_c: float = 1.0) -> dict[str, np.ndarray]:
    """Per method, a (N_test, 40) float array: 1 correct, 0 wrong, NaN where the method has no network
    for the attribute. Methods: Multi{family} (linear SVM on the concatenated region embeddings,
    fitted on ``dev``), Multi{family} heads (mean of the regions' softmax), Binary{family}."""
    out: dict[str, np.ndarray] = {}
    y = test.labels
    for fam in sorted({s.family for s in test.probs}):
        multi = [s for s in test.probs if s.family == fam and s.kind == "Multi"]
        binary = {s.attributes[0]: s for s in test.probs if s.family == fam and s.kind == "Binary"}
        svm, heads, bin_ = (np.full(y.shape, np.nan) for _ in range(3))
        for a, name in enumerate(names):
            nets = [s for s in multi if name in s.attributes]
            if nets:
                p = np.mean([test.probs[s][:, s.attributes.index(name)] for s in nets], 0)
                heads[:, a] = (p > 0.5) == y[:, a]
                dev_x, test_x = (np.concatenate([o.embeddings[s] for s in nets], 1) for o in (dev, test))
                svm[:, a] = _svm_predict(dev_x, dev.labels[:, a], test_x, svm_c) == y[:, a]
            if name in binary:
                bin_[:, a] = (test.probs[binary[name]][:, 0] > 0.5) == y[:, a]
        for method, arr in ((f"Multi{fam}", svm), (f"Multi{fam} heads", heads), (f"Binary{fam}", bin_)):
            if not np.isnan(arr).all():
                out[method] = arr
    return out


def _percent(right: np.ndarray) -> np.ndarray:
    """Accuracy (%) per column of a 0/1/NaN array; NaN where a column has no value."""
    n = (~np.isnan(right)).sum(0)
    return np.where(n > 0, 100 * np.nansum(right, 0) / np.maximum(n, 1), np.nan)


def accuracy_table(right: dict[str, np.ndarray], names: Sequence[str],
                   paper_rows: dict[str, tuple[int, ...]], paper_columns: Sequence[str]) -> pd.DataFrame:
    """Table 2.11 beside ours: accuracy (%) per attribute for each of our methods (NaN where it has no
    network for the attribute) and each paper column."""
    ours = pd.DataFrame({m: _percent(v) for m, v in right.items()}, index=list(names))
    paper = pd.DataFrame.from_dict(paper_rows, orient="index",
                                   columns=[f"{c} (paper)" for c in paper_columns])
    return pd.concat([ours, paper.loc[list(names)]], axis=1)


def summary(right: dict[str, np.ndarray], names: Sequence[str], paper_rows: dict[str, tuple[int, ...]],
            paper_columns: Sequence[str], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per method: attributes covered, our mean accuracy (%) with a 95% bootstrap interval over test
    images, and the paper's column for that network family (reading (i) of Table 2.11) averaged over
    the same attributes."""
    rows = []
    for m, v in right.items():
        cols = np.flatnonzero(~np.isnan(v).all(0))
        mean, (lo, hi) = mean_accuracy(v, n_boot, seed)
        family = m.split()[0]
        ref = paper_columns.index(family) if family in paper_columns else None
        paper = float(np.mean([paper_rows[names[int(c)]][ref] for c in cols])) if ref is not None else np.nan
        rows.append({"method": m, "attributes": len(cols), "ours": mean, "low": lo, "high": hi,
                     "paper (same attributes)": paper})
    return pd.DataFrame(rows).set_index("method")


def mean_accuracy(right: np.ndarray, n_boot: int = 1000, seed: int = 0) -> tuple[float, tuple[float, float]]:
    """Mean accuracy (%) over the covered attributes and a 95% bootstrap interval over test images."""
    cols = ~np.isnan(right).all(0)
    per_image = right[:, cols].mean(1)
    if not len(per_image):
        raise ValueError("no test images")
    rng = np.random.default_rng(seed)
    boots = [per_image[rng.integers(0, len(per_image), len(per_image))].mean() for _ in range(n_boot)]
    lo, hi = np.quantile(boots, [0.025, 0.975]) if n_boot else (np.nan, np.nan)
    return 100 * float(per_image.mean()), (100 * float(lo), 100 * float(hi))


@dataclass(frozen=True)
class CelebAResult:
    """Table 2.11 beside ours, the per-method summary and the number of images in each split used."""

    table: pd.DataFrame
    summary: pd.DataFrame
    sizes: dict[str, int]


def run_celeba(root: str | Path, families: Sequence[str], regions: Sequence[str], binary: Sequence[str],
               steps: int, batch: int, lr: float, limits: dict[str, int | None], workers: int = 0,
               n_boot: int = 1000, seed: int = 0, device: torch.device | None = None,
               cluster: str | None = None) -> CelebAResult:
    """Train the networks on CelebA's train split, fit the Multi* SVMs on the development split and
    measure every attribute on the test split; ``limits``: first N images per split (None = all)."""
    from . import printed

    split = {s: load_split(root, s, limits.get(s)) for s in ("train", "valid", "test")}
    nets = train_all(split["train"], specs(families, regions, binary), steps, batch, lr, seed, workers,
                     device, cluster)
    dev, test = (outputs(nets, split[s], workers=workers) for s in ("valid", "test"))
    right = correct(dev, test, split["test"].names)
    cols = printed.TABLE_2_11_COLUMNS
    return CelebAResult(accuracy_table(right, split["test"].names, printed.TABLE_2_11, cols),
                        summary(right, split["test"].names, printed.TABLE_2_11, cols, n_boot, seed),
                        {s: len(d.images) for s, d in split.items()})


__all__ = ["ARCHS", "CelebAResult", "NetSpec", "Outputs", "Split", "accuracy_table", "correct", "load_split",
           "make_net", "mean_accuracy", "outputs", "run_celeba", "specs", "summary", "train", "train_all"]
