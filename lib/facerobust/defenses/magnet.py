"""MagNet reformer baseline (Meng & Chen, 2017) as configured in the Defense-GAN chapter (Table 5.7).

The reformer is an auto-encoder trained on clean images (with Gaussian noise of std 0.1 on its
input, as in MagNet); test images are replaced by their reconstruction before classification.
The encoder is Table 5.7: Conv(w, 5x5, 2), LReLU(0.2), Conv(2w, 5x5, 2), LReLU, Conv(4w, 5x5, 2),
LReLU, FC(128) + tanh. The decoder is not given in the dissertation; we use the GAN generator's
architecture (:class:`facerobust.models.gan.Generator`) trained jointly with the encoder.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..attacks.base import check_batch
from ..models.gan import Generator


class Encoder(nn.Module):
    """Table 5.7 encoder: 1x28x28 in [0, 1] -> R^128 in (-1, 1)."""

    def __init__(self, width: int = 64, latent: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(4 * 4 * 4 * width, latent), nn.Tanh())

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class MagNetReformer(nn.Module):
    """x -> D(E(x)); a differentiable preprocessor (white-box attacks go straight through)."""

    def __init__(self, width: int = 16, latent: int = 128) -> None:
        super().__init__()
        self.encoder = Encoder(width, latent)
        self.decoder = Generator(width, latent)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"MagNet reformer takes (N, 1, 28, 28) images, got {tuple(x.shape)}")
        return self.decoder(self.encoder(x))


def train_reformer(model: MagNetReformer, x: Tensor, *, epochs: int = 10, batch: int = 128, lr: float = 1e-3,
                   noise: float = 0.1, seed: int = 0) -> list[float]:
    """Fit the auto-encoder on clean images ``x`` (MSE to the clean image from a noisy input)."""
    check_batch(x)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr)
    losses = []
    for _ in range(epochs):
        perm, total = torch.randperm(len(x), generator=g), 0.0
        for i in range(0, len(x), batch):
            xb = x[perm[i:i + batch]]
            xn = (xb + noise * torch.randn(xb.shape, generator=g)).clamp(0, 1)
            loss = ((model(xn) - xb) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(xb)
        losses.append(total / len(x))
    model.eval()
    return losses
