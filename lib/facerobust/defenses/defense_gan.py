"""Defense-GAN (Samangouei et al., 2018): project the input onto the range of a generator.

For an image x, run L steps of gradient descent (TF's momentum optimizer, as in the official
code) on the per-image loss mean((G(z) - x)^2) from R random starts z_0 ~ N(0, I / k), keep the
restart with the lowest loss and return G(z*) with its mean squared error (the detection score
of Sec. 5.4). All R restarts of all images of a batch are one (R * N, k) tensor, so restarts run
in parallel. Starting points are drawn from a seeded generator as one (R, N, k) tensor: the
result is deterministic, and the first r restarts of a run with R > r are exactly the restarts
of a run with R = r. With a constant step size the first l steps of an L-step run are an l-step
run, so :meth:`DefenseGAN.project_path` records a whole L x R grid in one projection.

As an ``nn.Module`` it is a preprocessor, ``nn.Sequential(DefenseGAN(G), classifier)``. When the
input requires grad (a white-box attack), ``forward`` builds the graph of the unrolled
projection (the L nested steps of Sec. 5.6) so the attack differentiates through it.

Two labelled variants restrict the range the projection reaches (they are not the dissertation's:
``prior`` adds lambda * |z|^2 to the loss, ``radius`` scales z back onto the ball |z| <= r after every
step; :attr:`DefenseGAN.variant` names the one in use). :func:`closer_point` measures whether the
projection follows an attack: the "closer adversarial point" rate. :func:`train_rec_classifier`
trains the classifier of Defense-GAN-Rec on reconstructions. Used by the Defense-GAN chapter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..device import of as device_of
from ..validation import check_batch, check_int, check_scalar
from .adversarial_training import train_classifier


@dataclass(frozen=True)
class Projection:
    """Best reconstruction per image: ``x_rec`` (N, C, H, W), ``mse`` (N,), ``z`` (N, k), ``best`` (N,)."""

    x_rec: Tensor
    mse: Tensor
    z: Tensor
    best: Tensor


@dataclass(frozen=True)
class ProjectionPath:
    """Per-restart results at several step counts: ``mse`` (len(steps), R, N), ``x_rec``
    (len(steps), R, N, C, H, W) and ``z`` (len(steps), R, N, k)."""

    steps: tuple[int, ...]
    mse: Tensor
    x_rec: Tensor
    z: Tensor

    def best(self, L: int, R: int) -> Projection:
        """The Defense-GAN output for L steps and the first R restarts."""
        if L not in self.steps or not 1 <= R <= self.mse.shape[1]:
            raise ValueError(f"path holds L in {self.steps} and R <= {self.mse.shape[1]}, asked L={L}, R={R}")
        i = self.steps.index(L)
        mse, best = self.mse[i, :R].min(dim=0)
        idx = torch.arange(len(best), device=best.device)
        return Projection(self.x_rec[i, best, idx], mse, self.z[i, best, idx], best)


class DefenseGAN(nn.Module):
    """Projection of images onto the range of ``generator`` (L GD steps, R restarts).

    ``lr`` = 10 and ``momentum`` = 0.7 are the official code's values; ``init_std`` defaults
    to sqrt(1 / latent) as there. ``chunk`` bounds how many images are projected at once
    (memory only: results do not depend on it). ``prior`` (lambda >= 0) and ``radius`` select a
    range-restricting variant; the defaults (0, None) are the faithful projection. Restarts are
    chosen by the reconstruction error alone in every variant.
    """

    def __init__(self, generator: nn.Module, L: int = 200, R: int = 10, lr: float = 10.0,
                 momentum: float = 0.7, seed: int = 0, init_std: float | None = None,
                 chunk: int = 256, prior: float = 0.0, radius: float | None = None) -> None:
        super().__init__()
        for name, v in (("L", L), ("R", R), ("chunk", chunk)):
            check_int(v, name, lo=0 if name == "L" else 1)
        for name, f, lo_open in (("lr", lr, True), ("prior", prior, False), ("init_std", init_std, True),
                                 ("radius", radius, True)):
            if f is not None:
                check_scalar(f, name, lo=0.0, lo_open=lo_open)
        check_scalar(momentum, "momentum", lo=0.0, hi=1.0, hi_open=True)
        if L < 0 or R < 1 or lr <= 0 or not 0 <= momentum < 1 or chunk < 1:
            raise ValueError(f"need L >= 0, R >= 1, lr > 0, 0 <= momentum < 1, chunk >= 1; "
                             f"got {L}, {R}, {lr}, {momentum}, {chunk}")
        if not (math.isfinite(prior) and prior >= 0) or (radius is not None and not radius > 0):
            raise ValueError(f"need a finite prior >= 0 and radius > 0 (or None); got {prior}, {radius}")
        self.generator = generator.requires_grad_(False).eval()
        self.latent = int(getattr(generator, "latent"))  # noqa: B009
        self.L, self.R, self.lr, self.momentum, self.seed, self.chunk = L, R, lr, momentum, seed, chunk
        self.init_std = init_std if init_std is not None else math.sqrt(1.0 / self.latent)
        self.prior, self.radius = prior, radius

    @property
    def variant(self) -> str:
        """"faithful" (the dissertation's projection) or the label of the range-restricting variant."""
        parts = ([f"prior {self.prior:g}|z|^2"] if self.prior else []) + \
            ([f"|z| <= {self.radius:g}"] if self.radius is not None else [])
        return " + ".join(parts) if parts else "faithful"

    # -- building blocks -------------------------------------------------------------------
    def initial_z(self, n: int, R: int | None = None, seed: int | None = None) -> Tensor:
        """Starting points (R, n, k) on the generator network's device; the first r restarts do
        not depend on R (drawn by a seeded CPU generator, so the same on every device)."""
        g = torch.Generator().manual_seed(self.seed if seed is None else seed)
        z = torch.randn(R or self.R, n, self.latent, generator=g, device=g.device) * self.init_std
        return z.to(device_of(self.generator))

    def _loss(self, z: Tensor, x: Tensor) -> Tensor:
        """Per-(restart, image) mean squared error, (R, N)."""
        R, n = z.shape[:2]
        rec = self.generator(z.reshape(R * n, -1))
        return ((rec.view(R, n, *x.shape[1:]) - x.unsqueeze(0)) ** 2).flatten(2).mean(2)

    def _objective(self, z: Tensor, x: Tensor) -> Tensor:
        """What the steps minimise: the mean squared error, plus ``prior * |z|^2`` in that variant."""
        loss = self._loss(z, x)
        return loss + self.prior * (z ** 2).sum(-1) if self.prior else loss

    def _constrain(self, z: Tensor) -> Tensor:
        """In the ball variant, z scaled back onto the ball |z| <= radius (a projected step)."""
        if self.radius is None:
            return z
        return z * (self.radius / z.norm(dim=-1, keepdim=True).clamp_min(self.radius))

    def unrolled(self, x: Tensor, z0: Tensor, L: int | None = None, create_graph: bool = False,
                 record: tuple[int, ...] = ()) -> tuple[Tensor, list[Tensor]]:
        """z_L from starts ``z0`` (R, N, k) by L momentum-GD steps; with ``create_graph`` z_L is
        a differentiable function of ``x`` (the unrolled projection). Also returns z at the
        step counts in ``record``."""
        L = self.L if L is None else L
        z, v, kept = self._constrain(z0), torch.zeros_like(z0), []
        if 0 in record:
            kept.append(z.detach())
        for step in range(1, L + 1):
            with torch.enable_grad():
                zz = z if z.requires_grad else z.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(self._objective(zz, x).sum(), zz, create_graph=create_graph)
            v = self.momentum * v + g
            z = self._constrain(z - self.lr * v)
            if not create_graph:
                z, v = z.detach(), v.detach()
            if step in record:
                kept.append(z.detach())
        return z, kept

    # -- public API ------------------------------------------------------------------------
    def project(self, x: Tensor, L: int | None = None, R: int | None = None,
                seed: int | None = None) -> Projection:
        """Defense-GAN reconstruction of ``x`` (no graph); the best of R restarts per image."""
        path = self.project_path(x, (self.L if L is None else L,), R, seed)
        return path.best(path.steps[0], path.mse.shape[1])

    def project_path(self, x: Tensor, steps: tuple[int, ...], R: int | None = None,
                     seed: int | None = None) -> ProjectionPath:
        """One projection of ``x`` with max(steps) steps and R restarts, recorded at ``steps``."""
        check_batch(x)
        R = self.R if R is None else R
        steps = tuple(sorted(set(int(s) for s in steps)))
        z0 = self.initial_z(len(x), R, seed)
        mses, recs, zs = [], [], []
        for i in range(0, len(x), self.chunk):
            xb = x[i:i + self.chunk].detach()
            _, kept = self.unrolled(xb, z0[:, i:i + self.chunk], steps[-1], record=steps)
            with torch.no_grad():
                ms, rs = [], []
                for z in kept:
                    rec = self.generator(z.reshape(-1, self.latent)).view(R, len(xb), *x.shape[1:])
                    rs.append(rec)
                    ms.append(((rec - xb.unsqueeze(0)) ** 2).flatten(2).mean(2))
            mses.append(torch.stack(ms))
            recs.append(torch.stack(rs))
            zs.append(torch.stack(kept))
        return ProjectionPath(steps, torch.cat(mses, 2), torch.cat(recs, 2), torch.cat(zs, 2))

    def forward(self, x: Tensor) -> Tensor:
        """G(z*) for each image; differentiable through the unrolled steps when ``x`` requires grad."""
        if not (torch.is_grad_enabled() and x.requires_grad):
            return self.project(x).x_rec
        check_batch(x.detach())
        z0 = self.initial_z(len(x))
        zL, _ = self.unrolled(x, z0, create_graph=True)
        with torch.no_grad():
            best = self._loss(zL.detach(), x.detach()).argmin(0)
        z_star = zL[best, torch.arange(len(x), device=best.device)]
        return self.generator(z_star)


@dataclass(frozen=True)
class CloserPoint:
    """Does the generator's range hold an image nearer the attack than the clean digit's own
    reconstruction? Per image: ``mse_adv`` = MSE(G(z*(x_adv)), x_adv), ``mse_clean`` =
    MSE(G(z*(x)), x_adv), ``closer`` = mse_adv < (1 - rtol) * mse_clean, and ``follow`` = cosine of
    (G(z*(x_adv)) - x) with (x_adv - x): how much of the perturbation the reconstruction copies. Where
    the reconstruction does not move (a perturbation the range cannot draw, removed to float rounding),
    that cosine is of a rounding residual: noise, not a measurement; read ``rec_adv`` there."""

    closer: Tensor
    mse_adv: Tensor
    mse_clean: Tensor
    follow: Tensor
    rtol: float
    rec_clean: Tensor
    rec_adv: Tensor

    @property
    def k(self) -> int:
        return int(self.closer.sum())

    @property
    def n(self) -> int:
        return len(self.closer)

    @property
    def rate(self) -> float:
        return self.k / self.n


def closer_point(defense: DefenseGAN, x: Tensor, x_adv: Tensor, rtol: float = 1e-3,
                 clean: Projection | None = None) -> CloserPoint:
    """The "closer adversarial point" measurement of the Defense-GAN chapter on images ``x`` and
    their attacked versions ``x_adv`` (same shape), with ``defense``'s L, R and variant.

    A rate of 1 means the projection of every attacked image lands nearer the attack than the clean
    image's reconstruction does: the range contains (part of) the perturbation and the projection
    follows it. Ties within the relative tolerance ``rtol`` do not count as closer. ``clean``, if
    given, is ``defense.project(x)`` computed once for several attacks."""
    check_batch(x)
    check_batch(x_adv)
    if x.shape != x_adv.shape:
        raise ValueError(f"x and x_adv must have the same shape, got {tuple(x.shape)} and "
                         f"{tuple(x_adv.shape)}")
    if not 0 <= rtol < 1:
        raise ValueError(f"rtol must lie in [0, 1), got {rtol}")
    if clean is not None and clean.x_rec.shape != x.shape:
        raise ValueError(f"clean projection of shape {tuple(clean.x_rec.shape)} does not match x "
                         f"{tuple(x.shape)}")
    clean = defense.project(x) if clean is None else clean
    adv = defense.project(x_adv)
    mse_clean = ((clean.x_rec - x_adv) ** 2).flatten(1).mean(1)
    d_rec, d_adv = (adv.x_rec - x).flatten(1), (x_adv - x).flatten(1)
    follow = torch.nn.functional.cosine_similarity(d_rec, d_adv, dim=1)
    closer = adv.mse < (1 - rtol) * mse_clean
    return CloserPoint(closer, adv.mse, mse_clean, follow, rtol, clean.x_rec, adv.x_rec)


def train_rec_classifier(model: nn.Module, generator: nn.Module, x: Tensor, y: Tensor, *, L: int, R: int,
                         projection_seed: int, epochs: int, seed: int, desc: str = "") -> list[float]:
    """Defense-GAN-Rec's classifier: ``model`` trained in place (:func:`train_classifier`, ``epochs``,
    ``seed``) on the reconstructions of ``x`` by ``DefenseGAN(generator, L, R, projection_seed)``,
    with labels ``y``; returns the mean training loss of each epoch."""
    x_rec = DefenseGAN(generator, L=L, R=R, seed=projection_seed).project(x).x_rec
    return train_classifier(model, x_rec, y, epochs=epochs, seed=seed, desc=desc)
