"""One network per binary attribute (Rozsa et al. 2016), as a *bank* of independent networks.

Rozsa et al. train one VGG-16 per CelebA attribute with a single real output ``f(x)``,
regressed onto ``y in {-1, +1}`` with a Euclidean loss and thresholded at 0 (their Eqs. 1-2),
and a twin with two logits and softmax cross-entropy. A bank holds the ``A`` networks of one
loss and exposes them with one call:

* ``bank(x)`` -> raw outputs (N, A, n_out); ``x`` is either one batch (N, C, H, W) shown to
  every network, or (N, A, C, H, W) with a different image per network (the attacks perturb
  each image separately for every attribute);
* ``bank.scores(x)`` -> ``f`` (N, A): the output itself (Euclidean) or the logit difference
  ``z+ - z-`` (softmax), so ``c(x) = sign(f(x))`` for both (:func:`score_of`, :func:`decision`);
  :func:`pair_loss` is the training loss of both (Eq. 1 and its softmax twin).

:class:`SmallAttributeCNN` (``ci``/``default``) stores the ``A`` small CNNs as grouped
convolutions: group ``a`` of every layer sees only group ``a`` of the previous layer, so the
networks share no weight and, trained with a summed loss and an element-wise optimiser
(RMSProp), follow exactly the updates they would follow if trained one by one.
:func:`vgg16_attribute` is the paper's network (``full`` profile), banked by :class:`NetBank`.
Images are in [0, 1]; networks normalise inside. Used by chapters 01-03.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional


def score_of(out: Tensor) -> Tensor:
    """``f`` from raw outputs (..., n_out): the output (n_out=1) or ``z+ - z-`` (n_out=2)."""
    return out[..., 0] if out.shape[-1] == 1 else out[..., 1] - out[..., 0]


def decision(out: Tensor) -> Tensor:
    """``c(x)`` of Eq. (2): +1 where ``f(x) > 0``, else -1 (int64)."""
    return torch.where(score_of(out) > 0, 1, -1)


def pair_loss(out: Tensor, y: Tensor) -> Tensor:
    """Per-pair training loss (N, A): ``(f - y)^2`` (Eq. 1) or softmax cross-entropy."""
    if out.shape[-1] == 1:
        return (out[..., 0] - y.to(out.dtype)) ** 2
    target = (y > 0).long()
    return functional.cross_entropy(out.flatten(0, -2), target.flatten(), reduction="none").view(y.shape)


def _check(x: Tensor, c: int, a: int) -> Tensor:
    """Return x as (N, A, C, H, W); raise ValueError on a bad batch."""
    if not isinstance(x, Tensor) or x.ndim not in (4, 5):
        raise ValueError(f"expected (N, C, H, W) or (N, A, C, H, W), got {getattr(x, 'shape', type(x))}")
    if x.ndim == 4:
        x = x.unsqueeze(1).expand(-1, a, -1, -1, -1)
    if x.shape[1] != a or x.shape[2] != c:
        raise ValueError(f"expected {a} attributes x {c} channels, got shape {tuple(x.shape)}")
    return x


class AttributeBank(nn.Module):
    """Common interface of the banks: ``forward`` -> (N, A, n_out), ``scores`` -> (N, A)."""

    n_attributes: int
    n_out: int
    in_channels: int

    def scores(self, x: Tensor) -> Tensor:
        """``f`` (N, A) of every network (:func:`score_of` of the raw outputs)."""
        return score_of(self(x))

    def take_attributes(self, src: AttributeBank, mask: Tensor) -> None:
        """Copy the weights of the networks where ``mask`` (A,) is true from ``src``."""
        raise NotImplementedError


class SmallAttributeCNN(AttributeBank):
    """``A`` independent small CNNs as grouped convolutions. Each network: conv3x3/2 (8) - conv3x3
    (16) - pool - conv3x3 (32) - pool - dense (32) - dense (n_out), ReLU, ~15k weights."""

    def __init__(
        self,
        n_attributes: int,
        n_out: int = 1,
        in_channels: int = 1,
        size: int = 28,
        widths: tuple[int, int, int] = (8, 16, 32),
        hidden: int = 32,
    ) -> None:
        super().__init__()
        if n_out not in (1, 2) or n_attributes < 1 or size % 4 or size < 24:
            raise ValueError("need n_out in {1, 2}, n_attributes >= 1 and size a multiple of 4 >= 24")
        self.n_attributes, self.n_out, self.in_channels, self.size = n_attributes, n_out, in_channels, size
        a, (w1, w2, w3) = n_attributes, widths
        self.c1 = nn.Conv2d(a * in_channels, a * w1, 3, stride=2, padding=1, groups=a)
        self.c2 = nn.Conv2d(a * w1, a * w2, 3, padding=1, groups=a)
        self.c3 = nn.Conv2d(a * w2, a * w3, 3, padding=1, groups=a)
        self.fc1 = nn.Conv2d(a * w3, a * hidden, size // 8, groups=a)
        self.fc2 = nn.Conv2d(a * hidden, a * n_out, 1, groups=a)

    def forward(self, x: Tensor) -> Tensor:
        x = _check(x, self.in_channels, self.n_attributes)
        n = x.shape[0]
        h = (x.reshape(n, -1, *x.shape[-2:]) - 0.5) / 0.5
        h = functional.relu(self.c1(h))
        h = functional.max_pool2d(functional.relu(self.c2(h)), 2)
        h = functional.max_pool2d(functional.relu(self.c3(h)), 2)
        h = self.fc2(functional.relu(self.fc1(h)))
        return h.reshape(n, self.n_attributes, self.n_out)

    def take_attributes(self, src: AttributeBank, mask: Tensor) -> None:
        a = self.n_attributes
        with torch.no_grad():
            for p, q in zip(self.parameters(), src.parameters(), strict=True):
                p.view(a, -1)[mask] = q.view(a, -1)[mask]


def vgg16_attribute(
    n_out: int = 1, in_channels: int = 3, height: int = 218, width: int = 178
) -> nn.Sequential:
    """The paper's network: VGG-16 (Parkhi et al.'s VGG-Face topology) for 178x218 aligned
    CelebA crops with one output (Euclidean) or two (softmax). Pooling uses ``ceil_mode`` like
    Caffe, so the last feature map is 512 x 7 x 6. Input in [0, 1], centred inside."""
    layers: list[nn.Module] = [_Centre()]
    c = in_channels
    for block in ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)):
        for w in block:
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True)]
            c = w
        layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        height, width = -(-height // 2), -(-width // 2)
    layers += [
        nn.Flatten(),
        nn.Linear(512 * height * width, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(4096, n_out),
    ]
    return nn.Sequential(*layers)


class _Centre(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return (x - 0.5) / 0.5


class NetBank(AttributeBank):
    """A bank of separate networks (e.g. one :func:`vgg16_attribute` per attribute)."""

    def __init__(self, nets: list[nn.Module], n_out: int, in_channels: int = 3) -> None:
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.n_attributes, self.n_out, self.in_channels = len(nets), n_out, in_channels

    def forward(self, x: Tensor) -> Tensor:
        x = _check(x, self.in_channels, self.n_attributes)
        return torch.stack([net(x[:, i]) for i, net in enumerate(self.nets)], 1)

    def take_attributes(self, src: AttributeBank, mask: Tensor) -> None:
        if not isinstance(src, NetBank):
            raise ValueError("can only take networks from another NetBank")
        for i in mask.nonzero().flatten().tolist():
            self.nets[i].load_state_dict(src.nets[i].state_dict())


def make_bank(
    arch: str, n_attributes: int, n_out: int, in_channels: int = 1, size: int = 28
) -> AttributeBank:
    """``arch``: 'small' (grouped small CNNs) or 'vgg16' (one paper VGG-16 per attribute)."""
    if arch == "small":
        return SmallAttributeCNN(n_attributes, n_out, in_channels, size)
    if arch == "vgg16":
        return NetBank([vgg16_attribute(n_out, in_channels) for _ in range(n_attributes)], n_out, in_channels)
    raise ValueError(f"arch must be 'small' or 'vgg16', got {arch!r}")
