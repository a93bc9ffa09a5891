"""CRISPR (Samangouei's dissertation, Ch. 3): an attribute-invariant code z and one continuous
code a_i per attribute, with class centroids, so that attributes can be swapped, sampled and
borrowed.

* :class:`Crispr` holds every network of Fig. 3.2: encoder E(x) -> (z, a_1..a_L), generator
  G(z, a), conditional discriminator D(x, y), the adversaries C_inv (on z) and C_attr (on each
  a_i), the linear classifiers H_i (Cl_spec) and the centroids mu_i^0, mu_i^1 (buffers).
* :func:`sigma` is Eq. 3.5, :func:`update_centroids` Eqs. 3.7-3.8 with the corrected sign.
* :func:`swap_codes`, :func:`diverse_swap_codes` and :func:`borrow_codes` are the three inference
  operations of Sec. 3.3 on codes; :meth:`Crispr.decode` turns codes back into images.

Images are in [0, 1] (N, C, S, S) with S = 32 or 64. Used by ``notebooks/05_crispr.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .kernels import ConvTranspose2d


@dataclass(frozen=True)
class Codes:
    """The encoder's output: ``z`` (N, p) and ``a`` (N, L, q)."""

    z: Tensor
    a: Tensor

    def __post_init__(self) -> None:
        if self.z.ndim != 2 or self.a.ndim != 3 or len(self.z) != len(self.a):
            raise ValueError(f"codes must be z (N, p) and a (N, L, q), got {tuple(self.z.shape)} "
                             f"and {tuple(self.a.shape)}")

    def with_attribute(self, i: int, value: Tensor) -> Codes:
        """A copy with a_i replaced by ``value`` ((q,) or (N, q))."""
        if not 0 <= i < self.a.shape[1]:
            raise ValueError(f"attribute index {i} outside 0..{self.a.shape[1] - 1}")
        a = self.a.clone()
        a[:, i] = value.expand(len(a), -1) if value.ndim == 1 else value
        return Codes(self.z, a)


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.2))


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.ReLU())


def _stages(size: int) -> int:
    if size not in (32, 64):
        raise ValueError(f"image size must be 32 or 64, got {size}")
    return 3 if size == 32 else 4


class Encoder(nn.Module):
    """Strided convolutions to 4x4, then a linear layer to p + L*q code values."""

    def __init__(self, channels: int, size: int, p: int, n_attr: int, q: int, width: int) -> None:
        super().__init__()
        widths = [width * 2**k for k in range(_stages(size))]
        layers, c = [], channels
        for w in widths:
            layers.append(_down(c, w))
            c = w
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(c * 16, p + n_attr * q)
        self.p, self.n_attr, self.q = p, n_attr, q

    def forward(self, x: Tensor) -> Codes:
        h = self.head(self.features(x * 2 - 1))
        return Codes(h[:, : self.p], h[:, self.p :].reshape(len(x), self.n_attr, self.q))


class Generator(nn.Module):
    """Linear layer to 4x4, transposed convolutions to S x S, sigmoid output in [0, 1]."""

    def __init__(self, channels: int, size: int, p: int, n_attr: int, q: int, width: int) -> None:
        super().__init__()
        n = _stages(size)
        widths = [width * 2**k for k in reversed(range(n))]
        self.c0 = widths[0]
        self.fc = nn.Sequential(nn.Linear(p + n_attr * q, widths[0] * 16), nn.ReLU())
        ups = [_up(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)]
        self.body = nn.Sequential(*ups, ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Sigmoid())

    def forward(self, codes: Codes) -> Tensor:
        h = self.fc(torch.cat([codes.z, codes.a.flatten(1)], 1))
        return self.body(h.reshape(len(h), self.c0, 4, 4))


class CondDiscriminator(nn.Module):
    """D(x, y): the image with the L labels broadcast as extra channels; one logit."""

    def __init__(self, channels: int, size: int, n_attr: int, width: int) -> None:
        super().__init__()
        widths = [width * 2**k for k in range(_stages(size))]
        layers, c = [], channels + n_attr
        for w in widths:
            layers.append(_down(c, w))
            c = w
        self.net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * 16, 1))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        lab = y.float()[:, :, None, None].expand(-1, -1, *x.shape[-2:])
        return self.net(torch.cat([x * 2 - 1, lab], 1)).squeeze(1)


def _mlp(cin: int, cout: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(cin, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Linear(hidden, cout))


class Crispr(nn.Module):
    """All CRISPR networks and the centroids ``mu`` (L, 2, q), zero at the start (Sec. 3.4)."""

    mu: Tensor

    def __init__(self, channels: int = 1, size: int = 32, n_attr: int = 2, p: int = 32, q: int = 8,
                 width: int = 32, hidden: int = 64) -> None:
        super().__init__()
        if min(channels, n_attr, p, q, width, hidden) < 1:
            raise ValueError("channels, n_attr, p, q, width and hidden must be positive")
        self.n_attr, self.p, self.q, self.size, self.channels = n_attr, p, q, size, channels
        self.E = Encoder(channels, size, p, n_attr, q, width)
        self.G = Generator(channels, size, p, n_attr, q, width)
        self.D = CondDiscriminator(channels, size, n_attr, width)
        self.C_inv = _mlp(p, n_attr, hidden)
        self.C_attr = _mlp(q, n_attr, hidden)
        self.H = nn.ModuleList(nn.Linear(q, 1) for _ in range(n_attr))
        self.register_buffer("mu", torch.zeros(n_attr, 2, q))

    def check(self, x: Tensor) -> Tensor:
        want = (self.channels, self.size, self.size)
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise ValueError(f"expected images (N, {want[0]}, {want[1]}, {want[2]}), got "
                             f"{tuple(getattr(x, 'shape', ()))}")
        if not torch.isfinite(x).all():
            raise ValueError("images contain NaN or inf")
        return x

    def encode(self, x: Tensor) -> Codes:
        return self.E(self.check(x))

    def decode(self, codes: Codes) -> Tensor:
        return self.G(codes)

    def spec_logits(self, a: Tensor) -> Tensor:
        """H_i(a_i) for every attribute: (N, L) logits."""
        return torch.cat([h(a[:, i]) for i, h in enumerate(self.H)], 1)

    def sigmas(self, floor: float = 0.0) -> Tensor:
        """Eq. 3.5 for every attribute and class: (L, 2), at least ``floor``."""
        out = []
        for i, h in enumerate(self.H):
            assert isinstance(h, nn.Linear)
            out.append(sigma(h.weight[0], h.bias[0], self.mu[i]))
        return torch.stack(out).clamp_min(floor)

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


def sigma(w: Tensor, b: Tensor, mu: Tensor) -> Tensor:
    """Eq. 3.5: distance of each centroid ``mu`` (C, q) to the hyperplane w.a + b = 0, (C,)."""
    if w.ndim != 1 or mu.ndim != 2 or mu.shape[1] != w.shape[0]:
        raise ValueError(f"need w (q,) and mu (C, q), got {tuple(w.shape)} and {tuple(mu.shape)}")
    return (mu @ w + b).abs() / w.norm().clamp_min(1e-12)


@torch.no_grad()
def update_centroids(mu: Tensor, a: Tensor, y: Tensor, alpha: float) -> Tensor:
    """Eqs. 3.7-3.8 with the corrected sign: mu_i^c <- mu_i^c - alpha * mean_k (mu_i^c - a_i(x_k)).

    ``mu`` (L, 2, q), ``a`` (N, L, q) codes, ``y`` (N, L) labels in {0, 1}. A class absent from the
    batch keeps its centroid. Returns the new centroids (``mu`` is not changed in place)."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if a.ndim != 3 or mu.shape != (a.shape[1], 2, a.shape[2]) or y.shape != a.shape[:2]:
        raise ValueError(f"shapes do not fit: mu {tuple(mu.shape)}, a {tuple(a.shape)}, y {tuple(y.shape)}")
    new = mu.clone()
    for i in range(a.shape[1]):
        for c in (0, 1):
            sel = y[:, i] == c
            if sel.any():
                grad = (mu[i, c] - a[sel, i]).mean(0)
                new[i, c] = mu[i, c] - alpha * grad
    return new


def _check_index(codes: Codes, i: int, target: int) -> None:
    if not 0 <= i < codes.a.shape[1]:
        raise ValueError(f"attribute index {i} outside 0..{codes.a.shape[1] - 1}")
    if target not in (0, 1):
        raise ValueError(f"target class must be 0 or 1, got {target}")


def swap_codes(codes: Codes, mu: Tensor, i: int, target: int) -> Codes:
    """Swap (Sec. 3.3): a_i := mu_i^target for every image."""
    _check_index(codes, i, target)
    return codes.with_attribute(i, mu[i, target])


def diverse_swap_codes(codes: Codes, mu: Tensor, sig: Tensor, i: int, target: int, scale: float,
                       generator: torch.Generator) -> Codes:
    """Diverse Swap: a_i ~ N(mu_i^target, (scale * sigma_i^target)^2 I), one draw per image."""
    _check_index(codes, i, target)
    if not scale >= 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    noise = torch.randn(len(codes.a), codes.a.shape[2], generator=generator, device=generator.device)
    noise = noise.to(codes.a.device)
    return codes.with_attribute(i, mu[i, target] + scale * sig[i, target] * noise)


def borrow_codes(query: Codes, exemplar: Codes, i: int) -> Codes:
    """Borrow: a_i of each query image := a_i of the matching exemplar image."""
    if exemplar.a.shape != query.a.shape:
        raise ValueError("query and exemplar codes must have the same shape")
    return query.with_attribute(i, exemplar.a[:, i])
