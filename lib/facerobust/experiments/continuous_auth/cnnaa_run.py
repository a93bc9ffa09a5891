"""Chapter 04, Part B on our frames: train MultiDeep-CNNAA part networks (Table 2.12 layers, Eq. 2.5 loss,
the rare-class queue sampler, flip / contrast / gamma distortions) on the capture-session videos, two
folds of identities, and read their attribute probabilities as Part B's video features.

The dissertation trains one network per region on CelebA's 160k faces; here each region network
learns the four consensus attributes of the real faces from a dozen identities, a demonstration of
the training machinery rather than of its accuracy. Region crops come from our face components
(``REGION_PARTS``), resized to the region's Table 2.13 size. Each network is one cache entry
(a :class:`facerobust.fanout.Unit`) keyed by region, fold, training configuration, code, crops and
the initial weights' generator state; they train in turn, or side by side on a Ray cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import cv2
import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ... import draws, fanout
from ...models import cnnaa
from ...progress import progress
from .acaa_run import frame_labels
from .videos import FaceVideos

# Table 2.13 region -> our face component it is cut from.
REGION_PARTS = {"BothEyes": "eyes", "Nose": "nose", "Mouth": "mouth", "EyesNose": "eyes_nose",
                "NoseMouth": "mouth_nose", "EyesNoseMouth": "eyes_nose_mouth", "UpperHead": "hair"}


def region_crops(videos: FaceVideos, region: str) -> Tensor:
    """Every frame's crop for ``region`` at its Table 2.13 size, (V * F, 3, h, w) float in [0, 1]."""
    if region not in REGION_PARTS:
        raise ValueError(f"no component for region {region!r}; known: {', '.join(REGION_PARTS)}")
    w, h, _ = cnnaa.REGIONS[region]
    part = REGION_PARTS[region]
    out = []
    for v in range(len(videos.frames)):
        x0, y0, x1, y1 = videos.boxes[v][part]
        out += [cv2.resize(f[y0:y1, x0:x1], (w, h), interpolation=cv2.INTER_AREA) for f in videos.frames[v]]
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().div(255.0).contiguous()


def distort(x: Tensor, gen: torch.Generator) -> Tensor:
    """The dissertation's training distortions: random horizontal flip, contrast and gamma."""
    n = len(x)
    flip = (torch.rand(n, generator=gen, device=gen.device) < 0.5).to(x.device)
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    c = 0.7 + 0.6 * torch.rand(n, 1, 1, 1, generator=gen, device=gen.device).to(x.device)
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - m) * c + m).clamp(1e-4, 1.0)
    return x ** (0.7 + 0.6 * torch.rand(n, 1, 1, 1, generator=gen, device=gen.device).to(x.device))


def train(net: cnnaa.PartNet, x: Tensor, y: Tensor, steps: int, batch: int, lr: float,
          seed: int) -> dict[str, Any]:
    """Adam on Eq. 2.5 with batches from the queue sampler, each image freshly distorted."""
    if steps < 1 or batch < 1:
        raise ValueError(f"steps and batch must be >= 1, got {steps}, {batch}")
    sampler = cnnaa.QueueSampler(y.clamp(min=0).numpy(), seed=seed)
    gen = torch.Generator().manual_seed(seed)
    draws = (torch.from_numpy(sampler.draw(batch)) for _ in range(steps))
    losses = fit(net, ((x[idx], y[idx]) for idx in draws), lr, gen)
    return {"loss": losses, "queues": sampler.n_queues}


def fit(net: cnnaa.PartNet, batches: Iterable[tuple[Tensor, Tensor]], lr: float,
        gen: torch.Generator) -> list[float]:
    """Adam on Eq. 2.5 over ``batches`` of (images, labels), each image freshly distorted: the one
    CNNAA training loop, for the in-memory frames and for CelebA streamed from disk. The losses."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    dev = next(net.parameters()).device
    losses = []
    net.train()
    for xb, yb in batches:
        xb, yb = xb.to(dev), yb.to(dev)
        _, logits = net(distort(xb, gen))
        loss = cnnaa.multitask_loss(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    net.eval()
    return losses


@dataclass(frozen=True)
class CnnaaScores:
    """Per-frame attribute probabilities (V * F, regions x A) and the training losses per region and fold."""

    scores: np.ndarray
    losses: pd.DataFrame


def _net(region: str, n_attr: int, dev: torch.device) -> cnnaa.PartNet:
    return cnnaa.PartNet(cnnaa.DEEP, *cnnaa.REGIONS[region][:2], n_attr).to(dev)


def run_cnnaa(videos: FaceVideos, labels: pd.DataFrame, regions: Sequence[str], steps: int, batch: int,
              lr: float, config: dict[str, Any], seed: int = 0, device: torch.device | None = None,
              cluster: str | None = None) -> CnnaaScores:
    """Train one Deep network per region and fold on the other fold's frames (on ``device``; in turn
    with ``cluster`` None, else side by side as Ray tasks); score every frame."""
    if not regions:
        raise ValueError("run_cnnaa needs at least one region")
    dev = device or torch.device("cpu")
    y_all = torch.from_numpy(frame_labels(videos, labels)).long()
    fold = torch.from_numpy(videos.meta.fold.to_numpy()[videos.frame_rows()])
    n_attr = y_all.shape[1]
    crops = {region: region_crops(videos, region) for region in progress(list(regions), desc="CNNAA regions")}
    units = []
    for region in regions:
        x = crops[region]
        for f in (0, 1):
            cfg = {**config, "region": region, "fold": f, "steps": steps, "batch": batch, "lr": lr,
                   "seed": seed}
            make = draws.drawn_now(partial(_net, region, n_attr, dev))  # the chapter's draws, in order
            fit = partial(train, x=x[fold != f], y=y_all[fold != f], steps=steps, batch=batch, lr=lr,
                          seed=seed)
            units.append(fanout.Unit("cnnaa-ours", cfg, make, fit, cpus=torch.get_num_threads(),
                                     gpus=1 if dev.type == "cuda" else 0))
    nets = iter(fanout.trained(units, cluster))
    cols, losses = [], {}
    for region in regions:
        x = crops[region]
        probs = torch.zeros(len(x), n_attr, device=x.device)
        for f in (0, 1):
            net, meta = next(nets)
            with torch.no_grad():
                probs[fold == f] = net(x[fold == f].to(dev))[1].softmax(-1)[..., 1].to(x.device)
            losses[(region, f)] = meta["loss"]
        cols.append(probs.numpy())
    frame = pd.DataFrame({f"{r} fold {f}": pd.Series(v) for (r, f), v in losses.items()})
    return CnnaaScores(np.concatenate(cols, 1), frame)


__all__ = ["REGION_PARTS", "CnnaaScores", "distort", "region_crops", "run_cnnaa", "train"]
