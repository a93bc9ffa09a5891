"""CNNAA part networks (dissertation Sec. 2.4, Table 2.12), the multi-task loss (Eq. 2.5) and the
rare-class queue sampler.

Deep-CNNAA: conv 7x7x32, 3 x conv 5x5x32, 4 x conv 3x3x32 (each block followed by a 3x3/2 max-pool),
FC 64, FC 32 (the embedding). Wide-CNNAA: conv 7x7x128, conv 5x5x128, conv 3x3x128, FC 128, FC 128.
Both end in 2 logits per attribute. Convolutions are stride 1 with SAME padding, pools VALID, so a
side n shrinks to floor((n - 3) / 2) + 1 per pool. Convolutions and the two FC layers carry biases,
the logit layer none, and the embedding has a learned per-dimension gain; this reconstruction gives
exactly the parameter counts of Table 2.16 for all 20 part networks (the dissertation does not say
which vectors make up its constant +384 / +768; it equals these biases plus one embedding-sized vector).

Used by the continuous-authentication chapter (07).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional

from ..device import of as device_of

# Table 2.13 / 2.16: region -> (width, height, number of attributes).
REGIONS: dict[str, tuple[int, int, int]] = {
    "UpperHead": (128, 52, 15), "BothEyes": (115, 41, 10), "EyesNose": (90, 62, 16),
    "Nose": (40, 56, 7), "NoseMouth": (55, 82, 15), "Mouth": (65, 38, 10),
    "EyesNoseMouth": (115, 107, 21), "MouthChin": (128, 45, 15), "Ear": (62, 100, 14),
    "Eye": (53, 39, 10),
}
FULL_FACE = (128, 128)


@dataclass(frozen=True)
class Arch:
    """One family of Table 2.12: conv widths per block, kernel per block, FC sizes."""

    name: str
    blocks: tuple[tuple[int, int, int], ...]  # (kernel, channels, repeats) per block
    fc: int
    embedding: int


DEEP = Arch("Deep", ((7, 32, 1), (5, 32, 3), (3, 32, 4)), 64, 32)
WIDE = Arch("Wide", ((7, 128, 1), (5, 128, 1), (3, 128, 1)), 128, 128)


def pooled(n: int, pools: int = 3) -> int:
    """Side length after ``pools`` VALID 3x3/2 max-pools."""
    for _ in range(pools):
        n = (n - 3) // 2 + 1
    if n < 1:
        raise ValueError("input too small for three 3x3/2 pools")
    return n


class PartNet(nn.Module):
    """A Deep- or Wide-CNNAA network for one region: (N, 3, H, W) -> (embedding (N, E), logits (N, A, 2))."""

    def __init__(self, arch: Arch, width: int, height: int, n_attributes: int) -> None:
        super().__init__()
        if width < 15 or height < 15 or n_attributes < 1:
            raise ValueError(f"need width, height >= 15 and n_attributes >= 1, got {width}x{height}, "
                             f"{n_attributes}")
        self.arch, self.size, self.n_attributes = arch, (height, width), n_attributes
        layers: list[nn.Module] = []
        c_in = 3
        for k, c, reps in arch.blocks:
            for _ in range(reps):
                layers += [nn.Conv2d(c_in, c, k, padding="same"), nn.ReLU()]
                c_in = c
            layers.append(nn.MaxPool2d(3, 2))
        self.features = nn.Sequential(*layers)
        dim = pooled(height) * pooled(width) * c_in
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(dim, arch.fc), nn.ReLU(),
                                nn.Linear(arch.fc, arch.embedding), nn.ReLU())
        self.gain = nn.Parameter(torch.ones(arch.embedding))
        self.logits = nn.Linear(arch.embedding, 2 * n_attributes, bias=False)

    def embed(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, *self.size):
            raise ValueError(f"expected (N, 3, {self.size[0]}, {self.size[1]}), got {tuple(x.shape)}")
        return self.fc(self.features(x)) * self.gain

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        e = self.embed(x)
        return e, self.logits(e).view(len(x), self.n_attributes, 2)


def part_net(arch: Arch, region: str) -> PartNet:
    """The Table 2.16 network for ``region`` (a key of :data:`REGIONS`)."""
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
    w, h, a = REGIONS[region]
    return PartNet(arch, w, h, a)


def binary_net(arch: Arch) -> PartNet:
    """A Binary*-CNNAA full-face network (128x128, one attribute)."""
    return PartNet(arch, *FULL_FACE, 1)


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_arithmetic(arch: Arch, width: int, height: int, n_attributes: int) -> dict[str, int]:
    """Table 2.16's count written out: weights by layer, biases, the embedding gain and the total."""
    out: dict[str, int] = {}
    c_in, n_conv = 3, 0
    for k, c, reps in arch.blocks:
        out[f"conv {k}x{k}x{c} x{reps}"] = k * k * c_in * c + (reps - 1) * k * k * c * c
        c_in, n_conv = c, n_conv + reps * c
    dim = pooled(height) * pooled(width) * c_in
    out[f"FC {dim}x{arch.fc}"] = dim * arch.fc
    out[f"FC {arch.fc}x{arch.embedding}"] = arch.fc * arch.embedding
    out[f"logits {arch.embedding}x{2 * n_attributes}"] = arch.embedding * 2 * n_attributes
    out["biases + embedding gain"] = n_conv + arch.fc + 2 * arch.embedding
    out["total"] = sum(out.values())
    return out


def multitask_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Eq. 2.5 (with its minus sign): sum over the part's attributes of the softmax cross-entropy,
    divided by the batch size N. ``labels`` (N, A) in {0, 1}, or -1 where an image does not carry
    attribute a (such entries are left out of the inner sum, as n_a^q counts only labelled images)."""
    if logits.ndim != 3 or logits.shape[-1] != 2 or labels.shape != logits.shape[:2]:
        raise ValueError(f"logits must be (N, A, 2) and labels (N, A), got {tuple(logits.shape)}, "
                         f"{tuple(labels.shape)}")
    if not torch.isfinite(logits).all():
        raise ValueError("logits contain NaN or inf")
    y = labels.long()
    if ((y < -1) | (y > 1)).any():
        raise ValueError("labels must be 0, 1 or -1 (missing)")
    ce = functional.cross_entropy(logits.reshape(-1, 2), y.clamp(min=0).reshape(-1), reduction="none")
    return (ce * (y.reshape(-1) >= 0)).sum() / len(logits)


class QueueSampler:
    """The rare-class sampler of Sec. 2.4.2: one queue per attribute holding the images that have
    that attribute's rare class, plus one queue of images whose attributes are all the majority class;
    each draw picks a queue uniformly at random and takes its next image (queues are shuffled and
    read as circular buffers)."""

    def __init__(self, labels: np.ndarray, seed: int = 0) -> None:
        y = np.asarray(labels)
        if y.ndim != 2 or y.shape[0] == 0 or not np.isin(y, (0, 1)).all():
            raise ValueError(f"labels must be a non-empty (N, A) array of 0/1, got shape {y.shape}")
        self.rng = np.random.default_rng(seed)
        self.rare = (y.mean(0) > 0.5).astype(int) ^ 1  # the minority value of each attribute
        is_rare = y == self.rare
        queues = [np.flatnonzero(is_rare[:, a]) for a in range(y.shape[1])]
        queues.append(np.flatnonzero(~is_rare.any(1)))
        self.queues = [self.rng.permutation(q) for q in queues if q.size]
        self.pos = [0] * len(self.queues)

    @property
    def n_queues(self) -> int:
        return len(self.queues)

    def draw(self, n: int) -> np.ndarray:
        """Indices of the next ``n`` images."""
        out = np.empty(n, dtype=np.int64)
        for i, q in enumerate(self.rng.integers(0, self.n_queues, size=n)):
            queue = self.queues[q]
            out[i] = queue[self.pos[q] % queue.size]
            self.pos[q] += 1
        return out


def latency(model: nn.Module, input_shape: Sequence[int], repeats: int = 20) -> float:
    """Median seconds per single-frame forward pass (the dissertation fed one shot 200 times)."""
    import time

    x = torch.rand(1, *input_shape, device=device_of(model))
    times = []
    with torch.no_grad():
        model(x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


__all__ = ["DEEP", "FULL_FACE", "REGIONS", "WIDE", "Arch", "PartNet", "QueueSampler", "binary_net",
           "count_arithmetic", "latency", "multitask_loss", "n_parameters", "part_net", "pooled"]
