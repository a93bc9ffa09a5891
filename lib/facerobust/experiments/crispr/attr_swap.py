"""Swap and Diverse Swap on labelled real images, judged by an independent attribute oracle.

The synthetic setting (:mod:`.evaluate`) knows every style; on Fashion-MNIST and CelebA only the
binary labels are known, so the judge is an attribute classifier trained apart from CRISPR (a
callable mapping images to 0/1 decisions, one column per CRISPR attribute). Used by
:mod:`.fashion` and :mod:`.celeba`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ...data.streaming import LazyImages
from ...models import crispr
from .evaluate import decode, encode

Judge = Callable[[Tensor], Tensor]  # images (N, C, S, S) -> decisions (N, L) in {0, 1}


def check_labels(x: Tensor, y: Tensor) -> None:
    """Images (N, C, S, S) in [0, 1] and binary labels (N, L) of the same N."""
    if x.ndim != 4 or y.ndim != 2 or len(x) != len(y) or not len(x):
        raise ValueError(f"need images (N, C, S, S) and labels (N, L), "
                         f"got {tuple(x.shape)}, {tuple(y.shape)}")
    if not bool(((y == 0) | (y == 1)).all()):
        raise ValueError("labels must be 0 or 1")
    if not bool(torch.isfinite(x).all()) or float(x.min()) < 0 or float(x.max()) > 1:
        raise ValueError("images must be finite and in [0, 1]")


Sampler = Callable[[torch.Generator], tuple[Tensor, Tensor]]


def sampler(x: Tensor | LazyImages, y: Tensor, batch: int) -> Sampler:
    """Random training batches (x, y) of real labelled images (x may be a lazily decoded set)."""
    if batch < 2:
        raise ValueError(f"batch must be >= 2, got {batch}")

    def sample(g: torch.Generator) -> tuple[Tensor, Tensor]:
        idx = torch.randint(0, len(y), (batch,), generator=g, device=g.device)
        return x[idx], y[idx]
    return sample


@dataclass(frozen=True)
class AttrSwap:
    """Swap of attribute ``attribute`` to the class each image lacks, over ``n`` test images:
    ``target_reached`` = the oracle reads the target class; ``others_kept`` = every other CRISPR
    attribute reads as the oracle reads it on the input; ``recon_agree`` = the oracle reads the
    true label on the plain reconstruction G(E(x)) (the round trip before any swap)."""

    attribute: str
    n: int
    target_reached: int
    others_kept: int
    recon_agree: int
    images: Tensor
    target: Tensor


def swap_eval(model: crispr.Crispr, judge: Judge, x: Tensor, y: Tensor, i: int, name: str) -> AttrSwap:
    """a_i := mu_i^(1 - y_i) for every image, decoded and judged."""
    check_labels(x, y)
    if not 0 <= i < y.shape[1]:
        raise ValueError(f"attribute index must be 0..{y.shape[1] - 1}, got {i}")
    codes = encode(model, x)
    target = 1 - y[:, i]
    out = decode(model, codes.with_attribute(i, model.mu[i].cpu()[target]))
    got, before = judge(out), judge(x)
    recon = judge(decode(model, codes))
    others = [j for j in range(y.shape[1]) if j != i]
    kept = ((got[:, others] == before[:, others]).all(1) if others
            else torch.ones(len(x), dtype=torch.bool, device=got.device))
    return AttrSwap(name, len(x), int((got[:, i] == target).sum()), int(kept.sum()),
                    int((recon[:, i] == y[:, i]).sum()), out, target)


def diverse(model: crispr.Crispr, x: Tensor, i: int, target: int, n_samples: int, scale: float,
            generator: torch.Generator) -> Tensor:
    """``n_samples`` Diverse Swaps of every image to ``target``: (N, n_samples, C, S, S)."""
    if n_samples < 1:
        raise ValueError(f"need at least 1 sample, got {n_samples}")
    codes, sig, mu = encode(model, x), model.sigmas().detach().cpu(), model.mu.cpu()
    return torch.stack([decode(model, crispr.diverse_swap_codes(codes, mu, sig, i, target, scale, generator))
                        for _ in range(n_samples)], 1)
