"""The attribution baselines of the dissertation's Table 4.1, as thin wrappers around Captum.

- ``gradient``: input x gradient (Shrikumar et al. 2016), :class:`captum.attr.InputXGradient`;
- ``grad_cam``: Grad-CAM (Selvaraju et al.) on a given conv layer, :class:`captum.attr.LayerGradCam`,
  upsampled bilinearly to the input size;
- ``saliency``: ``|d score / d x|`` (Simonyan et al. 2013), :class:`captum.attr.Saliency`;
- ``occlusion``: score drop when a zero patch covers each window (Zeiler and Fergus 2014),
  :class:`captum.attr.Occlusion`;
- ``lrp``: layer-wise relevance propagation, epsilon rule (Bach et al. 2015), :class:`captum.attr.LRP`
  (on a deep copy, since Captum attaches its rules to the layers).

Every map is (N, 1, H, W): channels summed. Used by the ExplainGAN chapter.
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import Tensor, nn
from tqdm.std import TqdmWarning

with warnings.catch_warnings():
    # Captum imports tqdm.auto, which in a Jupyter kernel without ipywidgets warns "IProgress not
    # found" and falls back to the console bar. The book never shows Captum's progress bars
    # (``show_progress`` is off), so the fallback is right and the warning was noise on chapter 6's page.
    warnings.simplefilter("ignore", TqdmWarning)
    from captum.attr import LRP, InputXGradient, LayerAttribution, LayerGradCam, Occlusion, Saliency

METHODS = ("gradient", "grad_cam", "saliency", "occlusion", "lrp")


def _check(x: Tensor, target: Tensor) -> None:
    if not isinstance(x, Tensor) or x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"attribution: expected a float NCHW batch, got {getattr(x, 'shape', type(x))}")
    if not torch.isfinite(x).all():
        raise ValueError("attribution: batch contains NaN or infinite values")
    if target.shape != (len(x),) or target.dtype != torch.long:
        raise ValueError(f"attribution: target must be (N,) int64, got {target.dtype} {tuple(target.shape)}")


def attribute(model: nn.Module, x: Tensor, target: Tensor, method: str, *, layer: nn.Module | None = None,
              window: int = 4, stride: int = 2) -> Tensor:
    """The ``method`` map of ``model``'s ``target`` output for each image, (N, 1, H, W).

    ``layer``: the conv layer Grad-CAM reads (required for ``grad_cam``); ``window``/``stride``:
    the occlusion patch and step in pixels.
    """
    _check(x, target)
    model.eval()
    x = x.detach().clone().requires_grad_(method in ("gradient", "saliency", "lrp"))
    if method == "gradient":
        a = InputXGradient(model).attribute(x, target=target)
    elif method == "saliency":
        a = Saliency(model).attribute(x, target=target, abs=True)
    elif method == "grad_cam":
        if layer is None:
            raise ValueError("grad_cam needs the conv layer to read (layer=...)")
        cam = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
        a = LayerAttribution.interpolate(cam, tuple(x.shape[2:]), "bilinear")
    elif method == "occlusion":
        if window < 1 or stride < 1:
            raise ValueError(f"occlusion window and stride must be >= 1, got {window}, {stride}")
        c = x.shape[1]
        a = Occlusion(model).attribute(x, target=target, sliding_window_shapes=(c, window, window),
                                       strides=(c, stride, stride), baselines=0.0)
    elif method == "lrp":
        a = LRP(copy.deepcopy(model)).attribute(x, target=target)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return a.detach().sum(1, keepdim=True)
