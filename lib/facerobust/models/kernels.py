"""Kernel choices that make the book's small networks faster on a CPU, without changing what they compute.

oneDNN (torch's default CPU convolution library) is slow at a transposed convolution to a single
output channel, the last layer of every generator and decoder of grey images in the book. Measured
on an AMD Zen 4, one thread (forward + backward with weight gradients):

=================================================  ============  ===========
layer (batch)                                      oneDNN (ms)   ATen (ms)
=================================================  ============  ===========
ConvT(32 -> 1, 4x4, stride 2), 32x32 input (32)        16.1          5.8
ConvT(32 -> 3, ...)                                    12.1         12.4
ConvT(32 -> 8, ...)                                    19.5         35.5
Defense-GAN step, width 16 (200 codes, forward
+ input gradient), whole generator                     30.1         23.1
=================================================  ============  ===========

So only the one-channel case moves to ATen. ATen's forward is the one portable numerics
(:mod:`facerobust.numerics`, oneDNN off) already compute, so those bits are unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvTranspose2d(nn.ConvTranspose2d):
    """:class:`torch.nn.ConvTranspose2d` whose forward runs on ATen's kernel when it has one output
    channel on the CPU (4x faster there than oneDNN's); otherwise exactly the torch layer. Same
    parameters and state-dict keys. The backward picks its kernel as torch does."""

    def forward(self, input: Tensor, output_size: list[int] | None = None) -> Tensor:  # noqa: A002
        if self.out_channels != 1 or input.device.type != "cpu" or not torch.backends.mkldnn.enabled:
            return super().forward(input, output_size)
        torch.backends.mkldnn.enabled = False  # type: ignore[assignment]  # torch's flag property
        try:
            return super().forward(input, output_size)
        finally:
            torch.backends.mkldnn.enabled = True  # type: ignore[assignment]
