"""Data and oracles of the CRISPR chapter: styled digits, fresh stylings per batch, and the
independent judges (a style classifier per attribute and a digit classifier).

The oracles are trained on their own stylings of the training digits (a different seed from
CRISPR's batches) and never see a CRISPR output while training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional

from ... import cache
from ...data import synthetic_styles
from ...progress import progress


def batch_sampler(canvas: Tensor, batch: int) -> Callable[[torch.Generator], tuple[Tensor, Tensor]]:
    """Draw ``batch`` training digits with fresh random styles: returns (x, y binary labels)."""
    def sample(g: torch.Generator) -> tuple[Tensor, Tensor]:
        idx = torch.randint(0, len(canvas), (batch,), generator=g, device=g.device)
        styles, inten = synthetic_styles.sample_styles(batch, g)
        return synthetic_styles.compose(canvas[idx], styles, inten), (styles > 0).long()
    return sample


class Oracle(nn.Module):
    """A small CNN with one head per task: digit (10) and each attribute's style (4)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(2 * width, 4 * width, 3, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(4 * width * 16, 128), nn.ReLU())
        self.digit = nn.Linear(128, 10)
        self.style = nn.Linear(128, 2 * synthetic_styles.N_STYLES)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.body(x * 2 - 1)
        return self.digit(h), self.style(h).reshape(len(x), 2, synthetic_styles.N_STYLES)


@dataclass(frozen=True)
class Judged:
    """Oracle decisions: ``digit`` (N,), ``styles`` (N, 2) in 0..3; ``present`` = styles > 0."""

    digit: Tensor
    styles: Tensor

    @property
    def present(self) -> Tensor:
        return (self.styles > 0).long()


@torch.no_grad()
def judge(oracle: Oracle, x: Tensor, batch: int = 500) -> Judged:
    oracle.eval()
    outs = [oracle(x[i : i + batch]) for i in range(0, len(x), batch)]
    return Judged(torch.cat([o[0] for o in outs]).argmax(1), torch.cat([o[1] for o in outs]).argmax(2))


def fit_oracle(oracle: Oracle, canvas: Tensor, digits: Tensor, iters: int, seed: int) -> dict[str, Any]:
    """Adam on fresh stylings of the training digits; digit + both style cross-entropies."""
    g = torch.Generator().manual_seed(seed + 1000)
    opt = torch.optim.Adam(oracle.parameters(), lr=1e-3)
    oracle.train()
    losses = []
    for _ in progress(range(iters), desc="oracle"):
        idx = torch.randint(0, len(canvas), (128,), generator=g, device=g.device)
        styles, inten = synthetic_styles.sample_styles(128, g)
        # a little pixel noise so the judge does not rely on perfectly clean backgrounds
        size = synthetic_styles.SIZE
        noise = 0.05 * torch.randn(128, 1, size, size, generator=g, device=g.device).to(canvas.device)
        x = (synthetic_styles.compose(canvas[idx], styles, inten) + noise).clamp(0, 1)
        d, s = oracle(x)
        per_style = s.reshape(-1, synthetic_styles.N_STYLES)
        loss = functional.cross_entropy(d, digits[idx]) + \
            functional.cross_entropy(per_style, styles.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    oracle.eval()
    return {"loss": losses}


def trained_oracle(canvas: Tensor, digits: Tensor, iters: int, seed: int) -> tuple[Oracle, dict[str, Any]]:
    """The oracle from the cache (key: the settings, this module's code, the training digits), or
    trained now."""
    fit = partial(fit_oracle, canvas=canvas, digits=digits, iters=iters, seed=seed)
    cfg = {"iters": iters, "seed": seed, "n_train": len(canvas)}
    model, meta = cache.cached_module("crispr-oracle", cfg, cache.seeded(Oracle, seed), fit)
    assert isinstance(model, Oracle)
    return model, meta
