"""models.kernels: the one-channel transposed convolution on ATen computes what torch's layer computes."""

from __future__ import annotations

import pytest
import torch
from facerobust.models import crispr, explaingan, gan, kernels


def _torch_layer(layer: kernels.ConvTranspose2d) -> torch.nn.ConvTranspose2d:
    plain = torch.nn.ConvTranspose2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                                     layer.padding, layer.output_padding)
    plain.load_state_dict(layer.state_dict())
    return plain


@pytest.mark.parametrize("cout", [1, 3])
def test_same_output_as_torch_with_onednn_off_and_the_flag_restored(cout: int) -> None:
    torch.manual_seed(0)
    layer = kernels.ConvTranspose2d(4, cout, 4, 2, 1)
    x = torch.randn(3, 4, 7, 7, requires_grad=True)
    before = torch.backends.mkldnn.enabled
    out = layer(x)
    assert torch.backends.mkldnn.enabled == before
    plain = _torch_layer(layer)
    if cout == 1:  # ATen's kernel: the bits torch gives with oneDNN off
        torch.backends.mkldnn.enabled = False
        try:
            want = plain(x)
        finally:
            torch.backends.mkldnn.enabled = before
        assert torch.equal(out, want)
    else:  # more channels: exactly torch's layer
        assert torch.equal(out, plain(x))
    (g,) = torch.autograd.grad(out.square().sum(), x)
    (g_plain,) = torch.autograd.grad(plain(x).square().sum(), x)
    torch.testing.assert_close(g, g_plain)
    assert torch.backends.mkldnn.enabled == before


def test_flag_restored_when_the_layer_raises() -> None:
    layer = kernels.ConvTranspose2d(4, 1, 4, 2, 1)
    before = torch.backends.mkldnn.enabled
    with pytest.raises(RuntimeError):
        layer(torch.randn(3, 5, 7, 7))  # wrong channel count
    assert torch.backends.mkldnn.enabled == before


def test_the_books_one_channel_outputs_use_it() -> None:
    assert isinstance(gan.Generator(4).up3, kernels.ConvTranspose2d)
    assert isinstance(crispr.Generator(1, 32, 4, 2, 2, 4).body[-2], kernels.ConvTranspose2d)
    assert all(isinstance(h, kernels.ConvTranspose2d) for h in explaingan.Decoder(1, 4, 8).heads)
