"""Digits with two synthetic style attributes whose ground truth is known for every image.

The CRISPR chapter (``notebooks/05_crispr.py``) needs attributes that have several *styles*, so
that swapping, sampling and borrowing a style can be measured. Each 32x32 image holds a real
MNIST-5k digit (resized to 20x20, top centre) plus two overlays:

* ``underline`` (rows 25-29 under the digit): 0 absent, 1 solid bar, 2 dashed bar, 3 double line;
* ``frame`` (the outer 2-pixel ring): 0 absent, 1 solid ring, 2 dotted ring, 3 corner brackets.

The binary label of an attribute is ``style > 0``. Every style is drawn with a random intensity
in [0.6, 1], so a style is a family of images, not one template. :func:`style_parts` splits each
attribute region into two halves (left/right for the underline, top+left / bottom+right for the
frame); a sample whose halves show different styles is *non-atomic* (the dissertation's
two-different-lenses failure, Fig. 3.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional

from .digits import mnist5k

SIZE = 32
ATTRIBUTES = ("underline", "frame")
STYLES: dict[str, tuple[str, ...]] = {
    "underline": ("absent", "solid", "dashed", "double"),
    "frame": ("absent", "solid", "dotted", "corners"),
}
DIGIT_BOX = (3, 23, 6, 26)  # rows [3, 23), cols [6, 26)
N_STYLES = 4


def _underline(style: int) -> Tensor:
    m = torch.zeros(SIZE, SIZE)
    if style == 1:
        m[25:28, 5:27] = 1
    elif style == 2:
        for c in range(5, 27, 6):
            m[25:28, c : c + 3] = 1
    elif style == 3:
        m[25, 5:27] = 1
        m[28, 5:27] = 1
    return m


def _frame(style: int) -> Tensor:
    m = torch.zeros(SIZE, SIZE)
    if style == 1:
        m[:2, :] = m[-2:, :] = m[:, :2] = m[:, -2:] = 1
    elif style == 2:
        for k in range(0, SIZE, 4):
            m[:2, k : k + 2] = m[-2:, k : k + 2] = m[k : k + 2, :2] = m[k : k + 2, -2:] = 1
    elif style == 3:
        for r, c in ((0, 0), (0, SIZE - 8), (SIZE - 2, 0), (SIZE - 2, SIZE - 8)):
            m[r : r + 2, c : c + 8] = 1
        for r, c in ((0, 0), (0, SIZE - 2), (SIZE - 8, 0), (SIZE - 8, SIZE - 2)):
            m[r : r + 8, c : c + 2] = 1
    return m


TEMPLATES: dict[str, Tensor] = {
    "underline": torch.stack([_underline(s) for s in range(N_STYLES)]),
    "frame": torch.stack([_frame(s) for s in range(N_STYLES)]),
}


def region_masks() -> dict[str, Tensor]:
    """(32, 32) boolean mask of each attribute's region (where any of its styles can draw)."""
    under = torch.zeros(SIZE, SIZE, dtype=torch.bool)
    under[24:30, 4:28] = True
    frame = torch.zeros(SIZE, SIZE, dtype=torch.bool)
    frame[:2, :] = frame[-2:, :] = frame[:, :2] = frame[:, -2:] = True
    return {"underline": under, "frame": frame}


def part_masks() -> dict[str, tuple[Tensor, Tensor]]:
    """Each region split into two halves whose styles must agree in an atomic sample."""
    reg = region_masks()
    left = torch.zeros(SIZE, SIZE, dtype=torch.bool)
    left[:, : SIZE // 2] = True
    tri = torch.ones(SIZE, SIZE).triu().bool()  # on or above the diagonal: top + right
    return {"underline": (reg["underline"] & left, reg["underline"] & ~left),
            "frame": (reg["frame"] & tri, reg["frame"] & ~tri)}


@dataclass(frozen=True)
class StyledDigits:
    """Images ``x`` (N, 1, 32, 32) in [0, 1], digit labels ``digit`` (N,), styles ``styles``
    (N, 2) in 0..3 (columns: :data:`ATTRIBUTES`); ``y`` (N, 2) the binary labels (style > 0)."""

    x: Tensor
    digit: Tensor
    styles: Tensor

    @property
    def y(self) -> Tensor:
        return (self.styles > 0).long()

    def __len__(self) -> int:
        return len(self.x)


def digits_32(split: str) -> tuple[Tensor, Tensor]:
    """MNIST-5k digits resized to 20x20 and placed in the top centre of a 32x32 canvas."""
    data = mnist5k(split)
    small = functional.interpolate(data.x, size=(20, 20), mode="bilinear", antialias=True,
                                   align_corners=False)
    canvas = torch.zeros(len(data), 1, SIZE, SIZE)
    r0, r1, c0, c1 = DIGIT_BOX
    canvas[:, :, r0:r1, c0:c1] = small
    return canvas, data.y


def compose(digits: Tensor, styles: Tensor, intensity: Tensor) -> Tensor:
    """Overlay the styles (N, 2) with intensities (N, 2) on digit canvases (N, 1, 32, 32)."""
    if digits.ndim != 4 or digits.shape[1:] != (1, SIZE, SIZE):
        raise ValueError(f"digits must be (N, 1, {SIZE}, {SIZE}), got {tuple(digits.shape)}")
    if styles.shape != (len(digits), 2) or intensity.shape != (len(digits), 2):
        raise ValueError("styles and intensity must be (N, 2)")
    if styles.min() < 0 or styles.max() >= N_STYLES:
        raise ValueError(f"styles must be in 0..{N_STYLES - 1}")
    x = digits.clone()
    for k, name in enumerate(ATTRIBUTES):
        over = TEMPLATES[name][styles[:, k]] * intensity[:, k, None, None]
        x = torch.maximum(x, over.unsqueeze(1))
    return x


def sample_styles(n: int, generator: torch.Generator, p_present: float = 0.5) -> tuple[Tensor, Tensor]:
    """Random styles (absent with probability 1 - p_present, else uniform over the 3 styles) and
    intensities in [0.6, 1]."""
    if not 0.0 < p_present < 1.0:
        raise ValueError(f"p_present must be in (0, 1), got {p_present}")
    present = torch.rand(n, 2, generator=generator) < p_present
    which = torch.randint(1, N_STYLES, (n, 2), generator=generator)
    inten = 0.6 + 0.4 * torch.rand(n, 2, generator=generator)
    return torch.where(present, which, torch.zeros_like(which)), inten


def styled_digits(split: str, seed: int, copies: int = 1, limit: int | None = None) -> StyledDigits:
    """``copies`` random stylings of each MNIST-5k ``split`` digit (of ``limit`` digits drawn at
    random, fixed by ``seed``; the split is ordered by class, so a prefix would not do)."""
    if copies < 1:
        raise ValueError(f"copies must be >= 1, got {copies}")
    canvas, digit = digits_32(split)
    g = torch.Generator().manual_seed(seed)
    if limit is not None:
        if not 0 < limit <= len(canvas):
            raise ValueError(f"limit must be in 1..{len(canvas)}, got {limit}")
        idx = torch.randperm(len(canvas), generator=g)[:limit]
        canvas, digit = canvas[idx], digit[idx]
    canvas, digit = canvas.repeat(copies, 1, 1, 1), digit.repeat(copies)
    styles, inten = sample_styles(len(canvas), g)
    return StyledDigits(compose(canvas, styles, inten), digit, styles)


def style_parts(x: Tensor) -> Tensor:
    """Nearest-template style of each half of each attribute region: (N, 2 attributes, 2 halves).

    A half is matched (least squares, intensity fitted) against the four templates' same half."""
    if x.ndim != 4 or x.shape[1:] != (1, SIZE, SIZE):
        raise ValueError(f"x must be (N, 1, {SIZE}, {SIZE}), got {tuple(x.shape)}")
    out = torch.zeros(len(x), 2, 2, dtype=torch.long)
    for k, name in enumerate(ATTRIBUTES):
        for h, mask in enumerate(part_masks()[name]):
            obs = x[:, 0][:, mask]  # (N, P)
            tem = TEMPLATES[name][:, mask]  # (S, P)
            scale = (obs @ tem.T) / tem.pow(2).sum(1).clamp_min(1e-6)  # best intensity per style
            scale = scale.clamp(0.0, 1.0)
            err = (obs[:, None, :] - scale[:, :, None] * tem[None]).pow(2).sum(-1)
            out[:, k, h] = err.argmin(1)
    return out
