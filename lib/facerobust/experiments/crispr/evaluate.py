"""The chapter's measurements of a trained CRISPR on styled digits (spec Sec. 3.7).

* :func:`round_trip_eval`: the reconstruction G(E(x)) alone, judged as a swap is (the ceiling
  of "digit kept": a swap decodes the same z).
* :func:`swap_eval`: Swap to the opposite class, judged by the independent oracle (target class
  reached; the other attribute's style kept; the digit the oracle reads in the input kept).
* :func:`diversity_eval`: repeated Diverse Swaps of one image: pixel spread inside the attribute
  region vs outside, share judged as the target class, non-atomic share (two region halves of
  different styles), distinct styles drawn.
* :func:`borrow_eval`: Borrow from an exemplar with the attribute present: the oracle's style of
  the output matches the exemplar's; the rest stays the query's.
* :func:`oracle_accuracy`: the judge itself on real test images.

The probes that read attributes from the codes after training are in :mod:`.probes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ...data import synthetic_styles
from ...data.synthetic_styles import StyledDigits
from ...models import crispr
from .setup import Judged, Oracle, judge


def _check_attr(i: int) -> None:
    if i not in range(len(synthetic_styles.ATTRIBUTES)):
        raise ValueError(f"attribute index must be 0..{len(synthetic_styles.ATTRIBUTES) - 1}, got {i}")


@torch.no_grad()
def encode(model: crispr.Crispr, x: Tensor, batch: int = 500) -> crispr.Codes:
    dev = model.mu.device
    parts = [model.encode(x[k : k + batch].to(dev)) for k in range(0, len(x), batch)]
    return crispr.Codes(torch.cat([c.z for c in parts]).cpu(), torch.cat([c.a for c in parts]).cpu())


@torch.no_grad()
def decode(model: crispr.Crispr, codes: crispr.Codes, batch: int = 500) -> Tensor:
    dev = model.mu.device
    out = []
    for k in range(0, len(codes.z), batch):
        part = crispr.Codes(codes.z[k : k + batch].to(dev), codes.a[k : k + batch].to(dev))
        out.append(model.decode(part).cpu())
    return torch.cat(out)


@dataclass(frozen=True)
class RoundTrip:
    """The reconstruction G(E(x)) of ``n`` test images judged by the oracle: ``digit_same`` (N,)
    where it reads the digit it reads in the input; ``style_same`` (N, 2) where it reads each
    attribute's true style; pixel MSE."""

    n: int
    digit_same: Tensor
    style_same: Tensor
    mse: float

    @property
    def digit_kept(self) -> int:
        return int(self.digit_same.sum())

    @property
    def styles_kept(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.style_same.sum(0))


def round_trip_eval(model: crispr.Crispr, oracle: Oracle, data: synthetic_styles.StyledDigits) -> RoundTrip:
    """Reconstruct every image: what a swap cannot do better than, since it decodes the same z."""
    out = decode(model, encode(model, data.x))
    got = judge(oracle, out)
    return RoundTrip(len(data), got.digit == judge(oracle, data.x).digit, got.styles == data.styles,
                     float((out - data.x).pow(2).mean()))


@dataclass(frozen=True)
class SwapResult:
    """Counts over ``n`` test images for one attribute, judged by the oracle: target class reached,
    the other attribute's true style kept, the digit the oracle reads in the input kept
    (``digit_same`` per image)."""

    attribute: str
    n: int
    target_reached: int
    other_kept: int
    digit_same: Tensor
    images: Tensor

    @property
    def digit_kept(self) -> int:
        return int(self.digit_same.sum())


def swap_eval(model: crispr.Crispr, oracle: Oracle, data: StyledDigits, i: int) -> SwapResult:
    """Swap attribute ``i`` of every image to the class it does not have."""
    _check_attr(i)
    codes = encode(model, data.x)
    target = 1 - data.y[:, i]
    a = codes.a.clone()
    a[:, i] = model.mu[i].cpu()[target]
    out = decode(model, crispr.Codes(codes.z, a))
    j, got = 1 - i, judge(oracle, out)
    return SwapResult(synthetic_styles.ATTRIBUTES[i], len(data), int((got.present[:, i] == target).sum()),
                      int((got.styles[:, j] == data.styles[:, j]).sum()),
                      got.digit == judge(oracle, data.x).digit, out)


@dataclass(frozen=True)
class DiversityResult:
    """``samples`` (n_images, n_samples, 1, 32, 32); per-image mean pairwise |difference| inside
    and outside the region; counts over all samples."""

    attribute: str
    samples: Tensor
    inside: np.ndarray
    outside: np.ndarray
    n: int
    target_reached: int
    non_atomic: int
    distinct_styles: np.ndarray


def _pairwise(s: Tensor, mask: Tensor) -> float:
    v = s[:, 0][:, mask]  # (K, P)
    d = (v[:, None] - v[None]).abs().mean(-1)
    k = len(v)
    return float(d.sum() / (k * (k - 1)))


def non_atomic(x: Tensor, i: int) -> Tensor:
    """True where the two halves of attribute ``i``'s region show different styles."""
    parts = synthetic_styles.style_parts(x)[:, i]
    return parts[:, 0] != parts[:, 1]


def diversity_eval(model: crispr.Crispr, oracle: Oracle, data: StyledDigits, i: int, scale: float,
                   n_samples: int, generator: torch.Generator) -> DiversityResult:
    """``n_samples`` Diverse Swaps of every image of ``data`` that lacks attribute ``i``, to present."""
    _check_attr(i)
    if n_samples < 2:
        raise ValueError(f"need at least 2 samples per image, got {n_samples}")
    x = data.x[data.y[:, i] == 0]
    codes, sig, mu = encode(model, x), model.sigmas().detach().cpu(), model.mu.cpu()
    draws = [decode(model, crispr.diverse_swap_codes(codes, mu, sig, i, 1, scale, generator))
             for _ in range(n_samples)]
    samples = torch.stack(draws, 1)  # (N, K, 1, 32, 32)
    mask = synthetic_styles.region_masks()[synthetic_styles.ATTRIBUTES[i]]
    inside = np.array([_pairwise(s, mask) for s in samples])
    outside = np.array([_pairwise(s, ~mask) for s in samples])
    flat = samples.flatten(0, 1)
    got = judge(oracle, flat)
    styles = got.styles[:, i].reshape(len(x), n_samples)
    distinct = np.array([len(set(r.tolist()) - {0}) for r in styles])
    return DiversityResult(synthetic_styles.ATTRIBUTES[i], samples, inside, outside, len(flat),
                           int((got.present[:, i] == 1).sum()), int(non_atomic(flat, i).sum()), distinct)


@dataclass(frozen=True)
class BorrowResult:
    """Counts over ``n`` (query, exemplar) pairs; ``chance`` = share expected by a random style."""

    attribute: str
    n: int
    style_matched: int
    other_kept: int
    digit_kept: int
    chance: float
    query: Tensor
    exemplar: Tensor
    images: Tensor


def borrow_eval(model: crispr.Crispr, oracle: Oracle, data: synthetic_styles.StyledDigits, i: int,
                generator: torch.Generator) -> BorrowResult:
    """Every image borrows attribute ``i`` from a random image that has it (never itself)."""
    _check_attr(i)
    donors = torch.nonzero(data.y[:, i] == 1).flatten()
    draw = torch.randint(0, len(donors), (len(data),), generator=generator, device=generator.device)
    pick = donors[draw.to(donors.device)]
    every = torch.arange(len(data), device=donors.device)
    keep = pick != every
    q_idx, e_idx = every[keep], pick[keep]
    q, e = encode(model, data.x[q_idx]), encode(model, data.x[e_idx])
    out = decode(model, crispr.borrow_codes(q, e, i))
    j, got = 1 - i, judge(oracle, out)
    want = data.styles[e_idx, i]
    chance = float(np.mean([(want == s).float().mean() for s in range(1, synthetic_styles.N_STYLES)]))
    return BorrowResult(synthetic_styles.ATTRIBUTES[i], len(q_idx), int((got.styles[:, i] == want).sum()),
                        int((got.styles[:, j] == data.styles[q_idx, j]).sum()),
                        int((got.digit == judge(oracle, data.x[q_idx]).digit).sum()), chance,
                        data.x[q_idx], data.x[e_idx], out)


def oracle_accuracy(oracle: Oracle, data: synthetic_styles.StyledDigits) -> dict[str, float]:
    """The judge's accuracy on real (not generated) test images: digit and each attribute's style."""
    got: Judged = judge(oracle, data.x)
    res = {"digit": float((got.digit == data.digit).float().mean())}
    for k, name in enumerate(synthetic_styles.ATTRIBUTES):
        res[f"{name} style"] = float((got.styles[:, k] == data.styles[:, k]).float().mean())
    return res
