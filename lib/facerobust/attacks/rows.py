"""Restarts as rows: the R restarts of N samples run as one batch of R * N rows (restart-major,
row ``r * N + i`` is restart ``r`` of sample ``i``), and a sample's rows leave the batch as soon as
one of them succeeds, so no forward or backward pass is spent on a sample already turned.

:class:`Rows` holds the per-row state of an iterative attack as a dict of tensors (first
dimension = active rows), counts the forward and backward passes each sample received, records
the first successful image of each sample (the lowest restart among rows that succeed at one
step), and at the end picks the best restart of every sample that never succeeded (highest score).
Used by :mod:`.pgd` and :mod:`.apgd`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class Rows:
    """Active rows of an attack on ``n`` samples with ``restarts`` restarts each.

    ``state`` maps names to per-row tensors; it always holds ``"sample"`` (row -> sample index)
    and ``"restart"``. ``done`` (n,) marks samples that succeeded, ``x_hit`` (n, ...) holds their
    successful image; ``queries`` / ``gradients`` (n,) count the forward / backward rows spent on
    each sample.
    """

    n: int
    restarts: int
    state: dict[str, Tensor]
    done: Tensor
    x_hit: Tensor
    queries: Tensor
    gradients: Tensor

    @classmethod
    def tile(cls, x: Tensor, done: Tensor, restarts: int, **per_sample: Tensor) -> Rows:
        """Rows for the samples of ``x`` not yet ``done``; each ``per_sample`` tensor (n, ...) is
        tiled to its rows next to ``x0`` (the clean image)."""
        n, dev = len(x), x.device
        sample = torch.arange(n, device=dev).repeat(restarts)
        restart = torch.arange(restarts, device=dev).repeat_interleave(n)
        keep = ~done[sample]
        state = {"sample": sample[keep], "restart": restart[keep], "x0": x.repeat(restarts, 1, 1, 1)[keep]}
        for k, v in per_sample.items():
            state[k] = v.repeat(restarts, *[1] * (v.ndim - 1))[keep]
        zeros = torch.zeros(n, dtype=torch.int64, device=dev)
        return cls(n, restarts, state, done.clone(), x.clone(), zeros, zeros.clone())

    def __getitem__(self, key: str) -> Tensor:
        return self.state[key]

    def __setitem__(self, key: str, value: Tensor) -> None:
        self.state[key] = value

    def __len__(self) -> int:
        return len(self.state["sample"])

    def count(self, backward: bool) -> None:
        """One forward (and, with ``backward``, one backward) pass over the active rows."""
        per = torch.bincount(self.state["sample"], minlength=self.n)
        self.queries += per
        if backward:
            self.gradients += per

    def hit(self, success: Tensor, x: Tensor) -> None:
        """Record rows whose iterate ``x`` (rows, ...) succeeded, then drop every row of their samples."""
        rows = success.nonzero().squeeze(1)
        if len(rows) == 0:
            return
        smp = self.state["sample"][rows]
        order = torch.argsort(smp, stable=True)  # stable: the first row (lowest restart) of a sample first
        first = torch.ones(len(order), dtype=torch.bool, device=order.device)
        first[1:] = smp[order][1:] != smp[order][:-1]
        pick = rows[order[first]]
        self.x_hit[self.state["sample"][pick]] = x[pick]
        self.done[smp] = True
        keep = ~self.done[self.state["sample"]]
        self.state = {k: v[keep] for k, v in self.state.items()}

    def best(self, score: Tensor, x: Tensor) -> tuple[Tensor, Tensor]:
        """Per sample: its successful image, else ``x`` of its row with the highest ``score`` (the
        best restart), else (no row left) the clean image; and that score (n,) (-inf where none)."""
        out = self.x_hit.clone()
        best = torch.full((self.n,), -torch.inf, dtype=score.dtype, device=score.device)
        if len(self) == 0:
            return out, best
        smp, rst = self.state["sample"], self.state["restart"]
        table = torch.full((self.restarts, self.n), -torch.inf, dtype=score.dtype, device=score.device)
        table[rst, smp] = score
        pick = rst == table.argmax(0)[smp]
        out[smp[pick]] = x[pick]
        best[smp[pick]] = score[pick]
        return out, best

__all__ = ["Rows"]
