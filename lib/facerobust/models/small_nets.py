"""Small classifiers for 28x28 images: LeNet-5 and a compact MobileNetV2, plus a trainer.

LeNet-5 (LeCun et al. 1998) is the paper's MNIST model; the MobileNetV2 (Sandler et al. 2018)
stands in for the paper's CIFAR-10 MobileNetV2 on Fashion-MNIST. Both take images in [0, 1]
NCHW and normalise inside. Used by the K-anonymity chapter (``notebooks/09_k_anonymity.py``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ..validation import check_batch


class _Normalise(nn.Module):
    mean: Tensor
    std: Tensor

    def __init__(self, mean: float, std: float, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"expected (N, {self.channels}, H, W) images in [0, 1], got {tuple(x.shape)}")
        return (x - self.mean) / self.std


def lenet5(n_classes: int = 10, channels: int = 1) -> nn.Sequential:
    """LeNet-5: conv6@5x5 (padded) - pool - conv16@5x5 - pool - fc120 - fc84 - fc10 (ReLU, max-pool)."""
    return nn.Sequential(
        _Normalise(0.13, 0.31, channels),
        nn.Conv2d(channels, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, n_classes),
    )


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand - 3x3 depthwise - 1x1 linear projection (+ skip)."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hid = cin * expand
        self.skip = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, hid, 1, bias=False),
            nn.BatchNorm2d(hid),
            nn.ReLU6(),
            nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False),
            nn.BatchNorm2d(hid),
            nn.ReLU6(),
            nn.Conv2d(hid, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x) if self.skip else self.body(x)


def mobilenet_v2_small(n_classes: int = 10, channels: int = 1, width: int = 16) -> nn.Sequential:
    """A MobileNetV2 for 28x28 inputs: stem stride 1, then stages 28 -> 14 -> 7, global pooling."""
    w = width
    cfg = [(w, 1, 1), (w * 3 // 2, 2, 6), (w * 3 // 2, 1, 6), (w * 2, 2, 6), (w * 2, 1, 6), (w * 4, 1, 6)]
    layers: list[nn.Module] = [
        _Normalise(0.29, 0.35, channels),
        nn.Conv2d(channels, w, 3, 1, 1, bias=False),
        nn.BatchNorm2d(w),
        nn.ReLU6(),
    ]
    cin = w
    for cout, stride, expand in cfg:
        layers.append(InvertedResidual(cin, cout, stride, expand))
        cin = cout
    layers += [
        nn.Conv2d(cin, w * 8, 1, bias=False),
        nn.BatchNorm2d(w * 8),
        nn.ReLU6(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(w * 8, n_classes),
    ]
    return nn.Sequential(*layers)


def fit_classifier(
    model: nn.Module, x: Tensor, y: Tensor, *, epochs: int, lr: float = 1e-3, batch: int = 128, seed: int = 0
) -> dict[str, Any]:
    """Train with Adam and cross-entropy; returns the per-epoch training loss and accuracy."""
    check_batch(x)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(epochs, 1))
    hist: dict[str, list[float]] = {"loss": [], "acc": []}
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g, device=g.device)
        tot, correct = 0.0, 0
        for i in range(0, len(x), batch):
            b = perm[i : i + batch]
            out = model(x[b])
            loss = nn.functional.cross_entropy(out, y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss.detach()) * len(b)
            correct += int((out.argmax(1) == y[b]).sum())
        sched.step()
        hist["loss"].append(tot / len(x))
        hist["acc"].append(correct / len(x))
    model.eval()
    return hist
