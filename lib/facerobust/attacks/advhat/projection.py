"""AdvHat's off-plane sticker projection, differentiable in PyTorch (chapter 8, AdvHat).

The official code (``papermsucode/advhat``, ``Attack/utils.py``) models a paper sticker on the
front of a cap in four steps, all ported here as batched tensor operations:

A. parabolic bending: the sticker lies on the cylinder ``z = a u^2``; seen from the front, output
   column ``u`` shows the sticker at arc length ``s(u)``, averaged over the covered columns;
B. pitch: the bent sticker is tilted by ``phi`` about the horizontal axis, so sticker row ``v``
   appears at height ``y = v cos(phi) + z sin(phi)`` (an arch), again averaged over covered rows;
C. placement on the aligned face by the affine ``theta_1`` (scale, shift, in-plane rotation) and
   compositing with the mask obtained by pushing an all-ones sticker through A-C;
D. a crop of the stickered face to the descriptor's input by ``theta_2`` (zoom, rotation, shift).

Geometry. The official code places the sticker on a 600x600 face aligned to the ArcFace template
and draws it on a 900x900 canvas whose rows 300-899, columns 150-749 are the face. Our target
(dlib's ResNet) reads 150-px dlib chips (padding 0.25) instead, so every frame is expressed in
dlib's mean-face *template units* ``t`` (eyes at ``t_y = 0.2213``; a chip with padding ``p`` spans
``t in [-p, 1 + p]``) and linked to the ArcFace frame by the similarity that maps the two templates'
eye centres onto each other (:func:`template_to_arcface`). The sticker is composited on a chip with
more padding (0.6: it holds the forehead and the cap) and cropped to the descriptor's chip by a
fixed concentric affine warp. Sticker sizes are free (default 48x108 instead of 400x900): the
parabola rate ``a`` is given in the paper's units (per pixel of a 900-px-wide sticker) and rescaled.
The integer gather indices depend only on ``(a, phi)``, so the render is differentiable in ``S``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
from torch import Tensor
from torch.nn import functional

# ArcFace 112-px template eye centres (official code) and dlib's 5-point template eye centres
# (mean of each eye's two corners, dlib get_face_chip_details), in their own units.
ARCFACE_EYES = ((38.2946, 51.6963), (73.5318, 51.5014))
DLIB_EYES = ((0.2273300617, 0.2213958465), (0.7528139680, 0.2212327963))
PAPER_WIDTH = 900  # the official sticker is 400 x 900 (H x W)


@dataclass(frozen=True)
class Frame:
    """A square dlib face chip: ``size`` pixels, ``padding`` as in ``dlib.get_face_chip``."""

    size: int
    padding: float

    @property
    def eye_line(self) -> float:
        """Row (pixel) of the eye line in this chip."""
        t = 0.5 * (DLIB_EYES[0][1] + DLIB_EYES[1][1])
        return (t + self.padding) / (1 + 2 * self.padding) * (self.size - 1)

    def eye_centres(self) -> list[tuple[float, float]]:
        """(x, y) pixel positions of the two eye centres in this chip."""
        s = (self.size - 1) / (1 + 2 * self.padding)
        return [((x + self.padding) * s, (y + self.padding) * s) for x, y in DLIB_EYES]


def template_to_arcface() -> tuple[float, tuple[float, float], tuple[float, float]]:
    """(scale, dlib eye midpoint, ArcFace eye midpoint): ArcFace_px = mid_a + (t - mid_d) / scale."""
    (ax0, ay0), (ax1, ay1) = ARCFACE_EYES
    (dx0, dy0), (dx1, dy1) = DLIB_EYES
    scale = math.hypot(dx1 - dx0, dy1 - dy0) / math.hypot(ax1 - ax0, ay1 - ay0)
    return scale, ((dx0 + dx1) / 2, (dy0 + dy1) / 2), ((ax0 + ax1) / 2, (ay0 + ay1) / 2)


def frame_to_face600(frame: Frame | None, device: torch.device | str = "cpu") -> Tensor:
    """3x3 affine: output-normalised coords of ``frame`` -> pixel coords of the ArcFace 600 face.

    ``frame=None`` is the official 600x600 face frame itself (the identity crop of the code).
    """
    if frame is None:
        return torch.tensor([[299.5, 0, 299.5], [0, 299.5, 299.5], [0, 0, 1]],
                            dtype=torch.float64, device=device)
    k, (mdx, mdy), (max_, may) = template_to_arcface()
    half = 0.5 + frame.padding  # n -> t = 0.5 + n * half
    f = 600 / 112
    return torch.tensor([[f * half / k, 0, f * (max_ + (0.5 - mdx) / k)],
                         [0, f * half / k, f * (may + (0.5 - mdy) / k)],
                         [0, 0, 1]], dtype=torch.float64, device=device)


@dataclass
class Placement:
    """Per-sample geometry (each field a (B,) tensor), the parameters of spec table 2.7.

    ``a``: parabola rate (paper units), ``phi``: pitch (degrees), ``s1, x1, y1, alpha1``: sticker
    scale, shift (600-face pixels) and rotation (degrees); ``s2, alpha2, y2``: zoom, rotation
    (degrees) and vertical shift (normalised) of the final crop.
    """

    a: Tensor
    phi: Tensor
    s1: Tensor
    x1: Tensor
    y1: Tensor
    alpha1: Tensor
    s2: Tensor
    alpha2: Tensor
    y2: Tensor

    def __len__(self) -> int:
        return len(self.a)

    @classmethod
    def default(cls, n: int = 1, device: torch.device | str = "cpu", /, **values: float) -> Placement:
        """The official defaults (the fixed validation view), optionally changed by keyword; on
        the CPU unless ``device`` is given (:func:`render` moves a placement to the face's device)."""
        base = dict(a=0.0013, phi=17.0, s1=0.465, x1=0.0, y1=-15.0, alpha1=0.0, s2=1.0, alpha2=0.0, y2=0.0)
        unknown = set(values) - set(base)
        if unknown:
            raise ValueError(f"unknown placement parameter(s) {sorted(unknown)}")
        base.update(values)
        return cls(**{k: torch.full((n,), float(v), dtype=torch.float64, device=device)
                      for k, v in base.items()})

    def to(self, device: torch.device | str) -> Placement:
        """The same placement on ``device`` (itself if already there)."""
        if self.a.device == torch.device(device):
            return self
        return Placement(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def cat(self, other: Placement) -> Placement:
        return Placement(**{f.name: torch.cat([getattr(self, f.name), getattr(other, f.name)])
                            for f in fields(self)})

    def as_dict(self) -> dict[str, list[float]]:
        return {f.name: getattr(self, f.name).tolist() for f in fields(self)}


def arc_length(u: Tensor, a: Tensor) -> Tensor:
    """Arc length of ``z = a t^2`` from 0 to ``u``; equals ``u`` when ``a = 0`` (the code crashes)."""
    w = 2 * a * u
    safe = torch.where(a > 0, a, torch.ones_like(a))
    bent = 0.5 * u * torch.sqrt(1 + w * w) + torch.asinh(w) / (4 * safe)
    return torch.where(a > 0, bent, u)


def _bend(x: Tensor, a_px: Tensor) -> Tensor:
    """Step A on (B, C, h, w): horizontal arc-length compression, mirrored about the centre."""
    b, c, h, w = x.shape
    half = w // 2
    u = torch.arange(half + 1, dtype=torch.float64, device=a_px.device)
    k = torch.round(arc_length(u[None], a_px[:, None]).clamp(0, half)).long()  # (B, half+1)
    right, left = x[..., half:], x[..., :half].flip(-1)
    out = []
    for part in (right, left):
        cs = functional.pad(part.cumsum(-1), (1, 0))  # (B, C, h, half+1)
        idx = k[:, None, None, :].expand(b, c, h, half + 1)
        tot = cs.gather(-1, idx)
        cnt = (k[:, 1:] - k[:, :-1]).clamp(min=1).to(x.dtype)[:, None, None, :]
        out.append((tot[..., 1:] - tot[..., :-1]) / cnt)
    return torch.cat([out[1].flip(-1), out[0]], dim=-1)


def _pitch(x: Tensor, a_px: Tensor, phi_deg: Tensor) -> Tensor:
    """Step B on the bent (B, C, h, w) sticker -> (B, C, w, w) canvas (an arch)."""
    b, c, h, w = x.shape
    f = w / PAPER_WIDTH
    phi = torch.deg2rad(phi_deg)[:, None, None]
    cols = torch.arange(w + 1, dtype=torch.float64, device=a_px.device)
    z = a_px[:, None, None] * (cols[:w] - (w - 1) / 2) ** 2  # (B, 1, w)
    y = (-250 * f + cols)[None, :, None]  # (1, w+1, 1)
    v = torch.round(((y - z * torch.sin(phi)) / torch.cos(phi)).clamp(0, h)).long()  # (B, w+1, w)
    cs = functional.pad(x.cumsum(-2), (0, 0, 1, 0))  # (B, C, h+1, w)
    tot = cs.gather(-2, v[:, None].expand(b, c, w + 1, w))
    cnt = (v[:, 1:] - v[:, :-1]).clamp(min=1).to(x.dtype)[:, None]
    return (tot[:, :, 1:] - tot[:, :, :-1]) / cnt


def bend_and_pitch(sticker: Tensor, a: Tensor, phi: Tensor) -> Tensor:
    """Steps A-B: (C, h, w) sticker -> (B, C+1, w, w) canvas whose last channel is the mask."""
    if sticker.ndim != 3 or sticker.shape[-1] % 2:
        raise ValueError(f"sticker must be (C, h, w) with even w, got {tuple(sticker.shape)}")
    if (a < 0).any():
        raise ValueError("the parabola rate a must be >= 0")
    withmask = torch.cat([sticker, torch.ones_like(sticker[:1])])[None].expand(len(a), -1, -1, -1)
    a_px = a.double() * PAPER_WIDTH / sticker.shape[-1]
    return _pitch(_bend(withmask, a_px), a_px, phi.double()).clamp(0, 1)


def _rot(alpha_deg: Tensor) -> tuple[Tensor, Tensor]:
    r = torch.deg2rad(alpha_deg.double())
    return torch.cos(r), torch.sin(r)


def theta1(p: Placement) -> Tensor:
    """(B, 3, 3) official sticker placement: 900-frame normalised -> canvas normalised coords."""
    c, s = _rot(p.alpha1)
    inv = 1 / p.s1.double()
    z, o = torch.zeros_like(c), torch.ones_like(c)
    rows = [torch.stack([c * inv, s * inv, -p.x1 / 450 * inv], -1),
            torch.stack([-s * inv, c * inv, -p.y1 / 450 * inv], -1), torch.stack([z, z, o], -1)]
    return torch.stack(rows, -2)


def theta2(p: Placement) -> Tensor:
    """(B, 3, 3) official final crop: output normalised -> input normalised coords (same frame)."""
    c, s = _rot(p.alpha2)
    k = p.s2.double()
    z, o = torch.zeros_like(c), torch.ones_like(c)
    rows = [torch.stack([k * c, k * s, z], -1), torch.stack([-k * s, k * c, k * p.y2], -1),
            torch.stack([z, z, o], -1)]
    return torch.stack(rows, -2)


def _face600_to_frame900(device: torch.device) -> Tensor:
    """Face-600 pixel -> normalised coords of the official 900x900 canvas frame (align_corners)."""
    g = 2 / 899
    return torch.tensor([[g, 0, 150 * g - 1], [0, g, 300 * g - 1], [0, 0, 1]],
                        dtype=torch.float64, device=device)


def sticker_layer(sticker: Tensor, p: Placement, frame: Frame | None, dst: Frame | None = None) -> Tensor:
    """Steps A-C: (B, C+1, N, N) sticker and mask as seen in ``frame`` (None: the 600 face).

    With ``dst``, the layer is drawn directly in the chip ``dst`` seen through the crop jitter
    ``theta_2`` of step D (one interpolation instead of two; what :func:`render` uses).
    """
    p = p.to(sticker.device)
    canvas = bend_and_pitch(sticker, p.a, p.phi).to(sticker.dtype)
    out = frame_to_face600(frame, sticker.device)[None]
    if dst is not None:
        if frame is None:
            raise ValueError("a crop to dst needs the source chip frame")
        out = out @ crop_theta(p, frame, dst)
    size = (600 if frame is None else frame.size) if dst is None else dst.size
    m = theta1(p) @ _face600_to_frame900(sticker.device)[None] @ out
    grid = functional.affine_grid(m[:, :2].to(sticker.dtype), [len(p), 1, size, size], align_corners=True)
    return functional.grid_sample(canvas, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def composite(face: Tensor, layer: Tensor) -> Tensor:
    """Paste a rendered sticker layer (colour + mask channel) over faces (B or 1, C, N, N)."""
    mask = layer[:, -1:]
    return layer[:, :-1] * mask + face * (1 - mask)


def crop_theta(p: Placement, src: Frame, dst: Frame) -> Tensor:
    """(B, 3, 3): normalised coords of the chip ``dst`` -> of the concentric chip ``src``, with
    the official crop jitter ``theta_2`` applied in ``dst``'s own normalised frame."""
    r = (0.5 + dst.padding) / (0.5 + src.padding)
    scale = torch.tensor([r, r, 1.0], dtype=torch.float64, device=p.s2.device)
    return scale[None, :, None] * theta2(p)


def crop(x: Tensor, p: Placement, src: Frame, dst: Frame) -> Tensor:
    """Step D: resample chips of ``src`` to the concentric chip ``dst`` under the jitter ``theta_2``."""
    m = crop_theta(p.to(x.device), src, dst)[:, :2]
    grid = functional.affine_grid(m.to(x.dtype), [len(p), x.shape[1], dst.size, dst.size], align_corners=True)
    if len(x) == 1 and len(p) > 1:
        x = x.expand(len(p), -1, -1, -1)
    out = functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out.clamp(0, 1)


def render(face: Tensor, sticker: Tensor, p: Placement, src: Frame, dst: Frame,
           with_sticker: bool = True) -> Tensor:
    """The whole pipeline A-D: (1, 3, N, N) face chip in ``src`` + (3, h, w) sticker -> (B, 3, n, n).

    The face is cropped to ``dst`` and the sticker drawn straight into ``dst``'s pixels, which is
    the same geometry as compositing in ``src`` and then cropping, with one resampling less.
    """
    if face.ndim != 4 or face.shape[-1] != src.size or face.shape[-2] != src.size:
        raise ValueError(f"face must be (1, C, {src.size}, {src.size}), got {tuple(face.shape)}")
    base = crop(face, p, src, dst)
    if not with_sticker:
        return base
    return composite(base, sticker_layer(sticker, p, src, dst)).clamp(0, 1)
