"""WGAN-GP generator and critic for 28x28 grey images (Defense-GAN chapter, Table 5.6).

The layout follows the official Defense-GAN code (``mnist_generator`` / ``mnist_discriminator``)
rather than the printed table, which lists widths but not what is built:

- generator: FC(latent -> 4*4*4w), ReLU, ConvT(2w, 5x5, stride 2) -> 8x8, ReLU, crop to 7x7,
  ConvT(w, 5x5, 2) -> 14x14, ReLU, ConvT(1, 5x5, 2) -> 28x28, sigmoid; no batch norm;
- critic: Conv(w, 5x5, 2), LReLU(0.2), Conv(2w, 5x5, 2), LReLU, Conv(4w, 5x5, 2), LReLU, FC(1),
  linear output (a WGAN critic has no sigmoid).

``width`` is the official ``net_dim`` (64 in the dissertation); ``latent`` is 128.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .kernels import ConvTranspose2d

LATENT = 128


class Generator(nn.Module):
    """G: R^latent -> [0, 1]^{1x28x28}. Used by :class:`facerobust.defenses.defense_gan.DefenseGAN`."""

    def __init__(self, width: int = 64, latent: int = LATENT) -> None:
        super().__init__()
        self.width, self.latent = width, latent
        self.fc = nn.Linear(latent, 4 * 4 * 4 * width)
        self.up1 = nn.ConvTranspose2d(4 * width, 2 * width, 5, stride=2, padding=2, output_padding=1)
        self.up2 = nn.ConvTranspose2d(2 * width, width, 5, stride=2, padding=2, output_padding=1)
        self.up3 = ConvTranspose2d(width, 1, 5, stride=2, padding=2, output_padding=1)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent:
            raise ValueError(f"expected latent codes of shape (N, {self.latent}), got {tuple(z.shape)}")
        h = torch.relu(self.fc(z)).view(-1, 4 * self.width, 4, 4)
        h = torch.relu(self.up1(h))[:, :, :7, :7]
        h = torch.relu(self.up2(h))
        return torch.sigmoid(self.up3(h))


class Critic(nn.Module):
    """WGAN critic D: [0, 1]^{1x28x28} -> R (unbounded score, higher = more real)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.width = width
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(4 * 4 * 4 * width, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten()


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor,
                     generator: torch.Generator | None = None) -> Tensor:
    """Gulrajani et al.'s penalty E[(||grad D(x_hat)||_2 - 1)^2] on random interpolates (drawn
    on the generator's device, else on the device of ``real``)."""
    dev = real.device if generator is None else generator.device
    eps = torch.rand(len(real), 1, 1, 1, generator=generator, dtype=real.dtype, device=dev).to(real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
