"""The CRISPR losses, Eqs. 3.1-3.9 of Samangouei's dissertation (Ch. 3).

Each function returns a scalar to be *minimised* by the party named in its docstring; the
max-player's side of a min-max loss is a separate function, so that the sign of every adversarial
term is explicit. Labels ``y`` are (N, L) in {0, 1}. Used by :mod:`facerobust.experiments.crispr`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional


def recon(x_hat: Tensor, x: Tensor, kappa: float) -> Tensor:
    """Eq. 3.1: mean over images of max(||G(E(x)) - x||^2 / N, kappa); zero gradient below kappa."""
    if x_hat.shape != x.shape:
        raise ValueError(f"shapes differ: {tuple(x_hat.shape)} vs {tuple(x.shape)}")
    if kappa < 0:
        raise ValueError(f"kappa must be >= 0, got {kappa}")
    per_image = (x_hat - x).pow(2).flatten(1).mean(1)
    return per_image.clamp_min(kappa).mean()


def gan_d(d_real: Tensor, d_fake: Tensor) -> Tensor:
    """Eq. 3.2, D's side: -[log D(x, y) + log(1 - D(G(E(x)), y))] on logits."""
    return functional.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
        functional.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))


def gan_g(d_fake: Tensor) -> Tensor:
    """Eq. 3.2, G's and E's side, non-saturating: -log D(G(E(x)), y)."""
    return functional.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))


def inv_classifier(logits: Tensor, y: Tensor) -> Tensor:
    """Eq. 3.3, C_inv's side: the summed binary cross-entropy of predicting y from z."""
    return functional.binary_cross_entropy_with_logits(logits, y.float(), reduction="none").sum(1).mean()


def inv_encoder(logits: Tensor) -> Tensor:
    """Eq. 3.3, E_inv's side, as the 0.5 target (maximal confusion; Lample et al.'s flip-free form):
    E wants C_inv to output 0.5 for every attribute."""
    return functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 0.5),
                                                       reduction="none").sum(1).mean()


def attr_bce(logits: Tensor, y: Tensor) -> Tensor:
    """l_ij = BCE(C_attr^(j)(a_i), y_j): ``logits`` (N, L_i, L_j) -> (L_i, L_j) batch means."""
    target = y.float()[:, None, :].expand_as(logits)
    return functional.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(0)


def attr_classifier(logits: Tensor, y: Tensor) -> Tensor:
    """Eq. 3.4, C_attr's side: predict every attribute j from every code a_i, sum_ij l_ij."""
    return attr_bce(logits, y).sum()


def attr_encoder(logits: Tensor, y: Tensor) -> Tensor:
    """Eq. 3.4, E_attr's side (the spec's "safer" reading): sum_i l_ii (a_i tells its own
    attribute) + sum_{i != j} BCE(C_attr^(j)(a_i), 0.5) (a_i tells nothing of the others)."""
    n_attr = logits.shape[1]
    eye = torch.eye(n_attr, dtype=torch.bool, device=logits.device)
    own = attr_bce(logits, y)[eye].sum()
    half = functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 0.5), reduction="none")
    return own + half.mean(0)[~eye].sum()


def spec(logits: Tensor, y: Tensor) -> Tensor:
    """L_spec^i summed over i: cross-entropy of the linear H_i(a_i) against y_i."""
    return functional.binary_cross_entropy_with_logits(logits, y.float(), reduction="none").sum(1).mean()


def center(a: Tensor, y: Tensor, mu: Tensor, sig: Tensor) -> Tensor:
    """Eq. 3.6: sum_i ||a_i - mu_i^{y_i}||^2 / sigma_i^{y_i}, batch mean.

    ``a`` (N, L, q), ``mu`` (L, 2, q), ``sig`` (L, 2) (floored by the caller)."""
    idx = torch.arange(a.shape[1], device=a.device)
    m = mu[idx[None, :], y]  # (N, L, q)
    s = sig[idx[None, :], y]  # (N, L)
    return ((a - m).pow(2).sum(2) / s).sum(1).mean()


def prior(codes: Tensor, beta: float) -> Tensor:
    """Eq. 3.9: mean ReLU(|E(x)| - beta) over every code value."""
    if beta <= 0:
        raise ValueError(f"beta must be positive, got {beta}")
    return functional.relu(codes.abs() - beta).mean()
