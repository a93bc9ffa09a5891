"""ExplainGAN (Samangouei et al., dissertation Ch. 4) at 28x28, DCGAN-style, and its black box.

- :class:`BlackBox`: the frozen binary classifier C (two conv blocks, two linear layers; no
  normalisation or Flatten module, so Captum's LRP finds a rule for every layer).
- :class:`ExplainGAN`: class-specific encoders E_0, E_1 that share their last layers (4.4); one
  decoder G with three heads G_0, G_1 (images, sigmoid) and G_m (mask, sigmoid); class-specific
  discriminators D_0, D_1 sharing their last layers. :meth:`ExplainGAN.explain` returns the
  reconstruction, the transformation, the mask and the composite (4.5) of a batch of one class.
- :class:`TwoGenerators`: the CycleGAN-style ablation (two image-to-image generators, no mask).
- :func:`composite`: Eq. (4.5), ``x * (1 - m) + t * m``.

Used by ``notebooks/06_explaingan.py`` through :mod:`facerobust.experiments.explaingan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ._checks import check_images
from .kernels import ConvTranspose2d

SIZE = 28


class BlackBox(nn.Module):
    """The classifier to explain: conv16-pool-conv32-pool-fc64-fc2 on (N, C, 28, 28) in [0, 1].

    Two logits; C(x) of the dissertation is the softmax probability of class 1.
    """

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.channels = channels
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 2))

    @property
    def last_conv(self) -> nn.Module:
        """The layer Grad-CAM reads (the second convolution)."""
        return self.features[3]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(torch.flatten(self.features(x), 1))


def _norm(c: int) -> nn.Module:
    """Group norm rather than DCGAN's batch norm: the same in training and evaluation (with batch
    norm, composites that flipped the black box in training often did not at evaluation)."""
    return nn.GroupNorm(min(8, c), c)


def _down(cin: int, cout: int, norm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(_norm(cout))
    return layers + [nn.LeakyReLU(0.2)]


def _up(cin: int, cout: int) -> list[nn.Module]:
    return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), _norm(cout), nn.ReLU()]


class _TwoBranch(nn.Module):
    """Two class-specific first layers, shared last layers: ``forward(x, j)``."""

    def __init__(self, first: tuple[nn.Module, nn.Module], shared: nn.Module) -> None:
        super().__init__()
        self.first = nn.ModuleList(first)
        self.shared = shared

    def forward(self, x: Tensor, j: int) -> Tensor:
        if j not in (0, 1):
            raise ValueError(f"class index j must be 0 or 1, got {j!r}")
        return self.shared(self.first[j](x))


def _encoder(channels: int, width: int, z_dim: int) -> _TwoBranch:
    first = tuple(nn.Sequential(*_down(channels, width, False)) for _ in range(2))
    shared = nn.Sequential(*_down(width, 2 * width, True), nn.Flatten(),
                           nn.Linear(2 * width * 49, z_dim))
    return _TwoBranch((first[0], first[1]), shared)


def _discriminator(channels: int, width: int) -> _TwoBranch:
    first = tuple(nn.Sequential(*_down(channels, width, False)) for _ in range(2))
    shared = nn.Sequential(*_down(width, 2 * width, False), nn.Flatten(), nn.Linear(2 * width * 49, 1))
    return _TwoBranch((first[0], first[1]), shared)


class Decoder(nn.Module):
    """z -> 7x7 -> 14x14 trunk, then three 14 -> 28 heads: G_0, G_1 (images) and G_m (mask).

    The mask head's bias starts at ``mask_bias`` (sigmoid(-3) = 0.05): masks start small and grow
    where the classifier loss needs them, instead of starting at 0.5 everywhere.
    """

    def __init__(self, channels: int, width: int, z_dim: int, mask_bias: float = -3.0) -> None:
        super().__init__()
        self.width = width
        self.fc = nn.Sequential(nn.Linear(z_dim, 2 * width * 49), nn.ReLU())
        self.trunk = nn.Sequential(*_up(2 * width, width))
        mask_head = ConvTranspose2d(width, 1, 4, 2, 1)
        if mask_head.bias is not None:
            nn.init.constant_(mask_head.bias, mask_bias)
        self.heads = nn.ModuleList([ConvTranspose2d(width, channels, 4, 2, 1),
                                    ConvTranspose2d(width, channels, 4, 2, 1), mask_head])

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h = self.trunk(self.fc(z).view(len(z), 2 * self.width, 7, 7))
        g0, g1, m = (torch.sigmoid(head(h)) for head in self.heads)
        return g0, g1, m


def composite(x: Tensor, t: Tensor, m: Tensor) -> Tensor:
    """Eq. (4.5): paste the transformation ``t`` into ``x`` under the mask ``m`` in [0, 1]."""
    if x.shape != t.shape or m.shape[0] != x.shape[0] or m.shape[2:] != x.shape[2:] or m.shape[1] not in (
            1, x.shape[1]):
        raise ValueError(f"composite: shapes x {tuple(x.shape)}, t {tuple(t.shape)}, m {tuple(m.shape)} "
                         "do not match (mask: (N, 1 or C, H, W))")
    return x * (1 - m) + t * m


@dataclass(frozen=True)
class Explanation:
    """ExplainGAN's outputs for a batch of class j: reconstruction G_j, transformation G_{1-j},
    mask G_m and composite C_{1-j} (all (N, C, 28, 28) in [0, 1]; the mask (N, 1, 28, 28))."""

    recon: Tensor
    transformed: Tensor
    mask: Tensor
    composite: Tensor


class ExplainGAN(nn.Module):
    """Encoders E_0, E_1 (shared last layers), decoder G (heads G_0, G_1, G_m), discriminators
    D_0, D_1 (shared last layers). ``use_mask=False`` is the no-mask ablation (composite = t)."""

    def __init__(self, channels: int = 1, width: int = 16, z_dim: int = 32, use_mask: bool = True) -> None:
        super().__init__()
        if width < 1 or z_dim < 1:
            raise ValueError(f"width and z_dim must be positive, got {width}, {z_dim}")
        self.channels, self.use_mask = channels, use_mask
        self.enc = _encoder(channels, width, z_dim)
        self.dec = Decoder(channels, width, z_dim)
        self.disc = _discriminator(channels, width)

    def generator_parameters(self) -> list[nn.Parameter]:
        return list(self.enc.parameters()) + list(self.dec.parameters())

    def explain(self, x: Tensor, j: int) -> Explanation:
        """Outputs for images ``x`` that the black box assigns to class ``j``."""
        check_images(x, SIZE, self.channels, "ExplainGAN")
        g0, g1, m = self.dec(self.enc(x, j))
        recon, trans = (g0, g1) if j == 0 else (g1, g0)
        if not self.use_mask:
            m = torch.ones_like(m)
        return Explanation(recon, trans, m, composite(x, trans, m))

    def discriminate(self, x: Tensor, j: int) -> Tensor:
        """D_j's logit that ``x`` is a real image of class ``j``."""
        return self.disc(x, j).squeeze(1)


class TwoGenerators(nn.Module):
    """CycleGAN-style ablation: F_{0->1} and F_{1->0} (encoder-decoder each), D_0 and D_1."""

    def __init__(self, channels: int = 1, width: int = 16) -> None:
        super().__init__()
        self.channels = channels
        self.gens = nn.ModuleList(
            nn.Sequential(*_down(channels, width, False), *_down(width, 2 * width, True),
                          *_up(2 * width, width), ConvTranspose2d(width, channels, 4, 2, 1), nn.Sigmoid())
            for _ in range(2))
        self.disc = _discriminator(channels, width)

    def generator_parameters(self) -> list[nn.Parameter]:
        return list(self.gens.parameters())

    def translate(self, x: Tensor, j: int) -> Tensor:
        """Map images of class ``j`` to the opposite class."""
        check_images(x, SIZE, self.channels, "TwoGenerators")
        if j not in (0, 1):
            raise ValueError(f"class index j must be 0 or 1, got {j!r}")
        return self.gens[j](x)

    def discriminate(self, x: Tensor, j: int) -> Tensor:
        return self.disc(x, j).squeeze(1)
