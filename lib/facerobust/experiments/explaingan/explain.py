"""AOSPC of ExplainGAN's mask and of the five Captum baselines (dissertation Table 4.1).

f is the score of the class the black box assigns to the clean image, read either as its logit or
as its softmax probability (the dissertation does not say which; we report both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ...metrics import aospc
from ...metrics.attribution import METHODS, attribute
from ...models.explaingan import BlackBox
from ...progress import progress
from . import zoo

ALL_METHODS = (*METHODS, "explaingan")
SCORES = ("logit", "probability")


def predicted(bb: BlackBox, x: Tensor) -> Tensor:
    with torch.no_grad():
        return bb(x).argmax(1)


def explaingan_maps(trained: zoo.Trained, x: Tensor, pred: Tensor) -> Tensor:
    """The mask G_m(z_j) of every image, j its black-box class."""
    out = torch.zeros(len(x), 1, *x.shape[2:], device=x.device)
    for j in (0, 1):
        sel = pred == j
        if sel.any():
            out[sel] = trained.explain(x[sel], j).mask
    return out


def all_maps(trained: zoo.Trained, bb: BlackBox, x: Tensor, methods: tuple[str, ...] = ALL_METHODS,
             window: int = 4, stride: int = 2) -> dict[str, Tensor]:
    """One (N, 1, H, W) map per method for the black box's predicted class."""
    pred = predicted(bb, x)
    maps = {}
    for m in progress(methods, desc="maps"):
        maps[m] = (explaingan_maps(trained, x, pred) if m == "explaingan" else
                   attribute(bb, x, pred, m, layer=bb.last_conv, window=window, stride=stride))
    return maps


def _scorer(bb: BlackBox, kind: str):
    if kind not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {kind!r}")
    return (lambda z: bb(z)) if kind == "logit" else (lambda z: torch.softmax(bb(z), 1))


@dataclass(frozen=True)
class AOSPCRun:
    """Per (method, score, t): the AOSPC result (per-image curves)."""

    results: dict[tuple[str, str, float], aospc.AOSPC]

    def frame(self) -> pd.DataFrame:
        rows = [{"method": m, "f": s, "t": t, "AOSPC": r.value,
                 "se": float(r.per_image.std(ddof=1) / np.sqrt(len(r.per_image))),
                 "segments": float(r.n_segments.mean())} for (m, s, t), r in self.results.items()]
        return pd.DataFrame(rows)

    def table(self, score: str) -> pd.DataFrame:
        """Methods x thresholds, AOSPC with f = ``score``."""
        f = self.frame()
        return f[f.f == score].pivot(index="method", columns="t", values="AOSPC")

    def best(self, score: str, t: float) -> str:
        return str(self.table(score)[t].idxmax())

    def per_image(self, method: str, score: str, t: float) -> np.ndarray:
        return self.results[(method, score, t)].per_image

    @staticmethod
    def pooled(runs: list[AOSPCRun]) -> AOSPCRun:
        """One run over the images of several runs (e.g. the MNIST pairs), same keys."""
        if not runs:
            raise ValueError("pooled needs at least one run")
        keys = runs[0].results.keys()
        return AOSPCRun({k: aospc.AOSPC(np.concatenate([r.results[k].drops for r in runs]),
                                        np.concatenate([r.results[k].n_segments for r in runs]))
                         for k in keys})


def run(bb: BlackBox, x: Tensor, maps: dict[str, Tensor], thresholds: tuple[float, ...], k_max: int,
        seed: int = 0) -> AOSPCRun:
    """AOSPC for every map, score kind and threshold (same noise image for every method)."""
    pred = predicted(bb, x)
    res = {}
    for kind in SCORES:
        score = _scorer(bb, kind)
        for m, mp in maps.items():
            for t in thresholds:
                res[(m, kind, t)] = aospc.aospc(score, x, mp, pred, t, k_max, seed=seed)
    return AOSPCRun(res)
