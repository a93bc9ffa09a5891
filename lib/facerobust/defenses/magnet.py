"""MagNet reformer baseline (Meng & Chen, 2017) as configured in the Defense-GAN chapter (Table 5.7).

The reformer is an auto-encoder trained on clean images (with Gaussian noise of std 0.1 on its
input, as in MagNet); test images are replaced by their reconstruction before classification.
The encoder is Table 5.7 as printed: Conv(w, 5x5, 2), LReLU(0.2), Conv(2w, 5x5, 2), LReLU,
Conv(4w, 5x5, 2), LReLU, FC(128) + tanh. The decoder is not given in the dissertation; we use the GAN
generator's architecture (:class:`facerobust.models.gan.Generator`: FC, ReLU, three transposed
convolutions, sigmoid, no batch norm) trained jointly with the encoder, with fresh weights.

Two choices the dissertation does not fix, made here because without them the auto-encoder collapses
(it learns the mean image: every tanh unit saturates within the first few dozen Adam steps, and a
classifier behind it is at chance):

- **Initialisation.** PyTorch's default (Kaiming-uniform with a = sqrt(5), biases of order
  1/sqrt(fan_in)) shrinks the signal at every one of the eight layers, so at initialisation the
  reconstruction hardly depends on the input and about half of the decoder's ReLU channels are off for
  every image. We use He-normal weights (gain for LeakyReLU(0.2) in the encoder, for ReLU in the
  decoder's hidden layers, linear gain before the tanh and the sigmoid) and zero biases.
- **Output bias.** A sigmoid output starts at 0.5 everywhere while the mean pixel is about 0.13 on
  MNIST, so the first gradients all say "darker everywhere". Adam moves every encoder weight by
  about lr per step in that common direction, the codes grow until tanh saturates, and a saturated
  code passes no gradient back. :func:`train_reformer` therefore starts the decoder's output bias at
  the logit of the training set's mean pixel.

The training recipe (Adam 1e-3, MSE to the clean image, noise 0.1) follows MagNet; the batch is 32
(MagNet's MNIST auto-encoder is trained far longer than our budget, and a smaller batch gives four
times the steps per epoch at similar cost).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..models.epochs import run_epochs
from ..models.gan import Generator
from ..validation import check_batch, check_int, check_scalar


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


RELU_GAIN = math.sqrt(2.0)
LRELU_GAIN = math.sqrt(2.0 / (1 + 0.2 ** 2))


def he_init(layer: nn.Module, gain: float) -> None:
    """Normal weights of std ``gain / sqrt(fan_in)`` and zero bias (He et al.; gain 1 before a
    linear, tanh or sigmoid output). For a transposed convolution each output sees
    in * k^2 / stride^2 inputs. Used by the Defense-GAN chapter's MagNet."""
    if not isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        raise TypeError(f"he_init takes Conv2d, ConvTranspose2d or Linear, got {type(layer).__name__}")
    if isinstance(layer, nn.ConvTranspose2d):  # weight (in, out, k, k)
        fan_in = layer.weight[:, 0].numel() / (layer.stride[0] * layer.stride[1])
    else:
        fan_in = layer.weight[0].numel()
    with torch.no_grad():
        layer.weight.normal_(0.0, gain / math.sqrt(fan_in))
        if layer.bias is not None:
            layer.bias.zero_()


class MagNetReformer(nn.Module):
    """x -> D(E(x)); a differentiable preprocessor (white-box attacks go straight through)."""

    def __init__(self, width: int = 16, latent: int = 128) -> None:
        super().__init__()
        self.encoder = Encoder(width, latent)
        self.decoder = Generator(width, latent)
        for layer in self.encoder.net:
            if isinstance(layer, nn.Conv2d):
                he_init(layer, LRELU_GAIN)
        he_init(self.encoder.net[-2], 1.0)  # FC before tanh
        for layer in (self.decoder.fc, self.decoder.up1, self.decoder.up2):
            he_init(layer, RELU_GAIN)
        he_init(self.decoder.up3, 1.0)  # before the sigmoid

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"MagNet reformer takes (N, 1, 28, 28) images, got {tuple(x.shape)}")
        return self.decoder(self.encoder(x))


def train_reformer(model: MagNetReformer, x: Tensor, *, epochs: int = 10, batch: int = 32, lr: float = 1e-3,
                   noise: float = 0.1, seed: int = 0) -> list[float]:
    """Fit the auto-encoder on clean images ``x`` (MSE to the clean image from a noisy input).

    The decoder's output bias is first set to the logit of the mean pixel of ``x`` (see the module
    docstring). Returns the mean training loss of each epoch; deterministic given ``seed`` and the
    model's initial weights.
    """
    check_batch(x, channels=1)
    check_int(epochs, "epochs", lo=0)
    check_int(batch, "batch", lo=1)
    check_scalar(lr, "lr", lo=0.0, lo_open=True)
    check_scalar(noise, "noise", lo=0.0)
    if epochs < 0 or batch < 1 or lr <= 0 or noise < 0:
        raise ValueError("need epochs >= 0, batch >= 1, lr > 0, noise >= 0")
    g = torch.Generator().manual_seed(seed)
    p = x.mean().clamp(1e-3, 1 - 1e-3)
    bias = model.decoder.up3.bias
    assert bias is not None
    with torch.no_grad():
        bias.fill_(float(torch.log(p / (1 - p))))
    opt = torch.optim.Adam(model.parameters(), lr)
    model.train()

    def batch_loss(idx: Tensor) -> Tensor:
        xb = x[idx]
        xn = (xb + noise * torch.randn(xb.shape, generator=g, device=g.device).to(xb.device)).clamp(0, 1)
        return ((model(xn) - xb) ** 2).mean()

    return run_epochs(model, opt, len(x), batch_loss, batch=batch, epochs=epochs, generator=g)
