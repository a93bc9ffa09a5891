"""CelebA part crops for CNNAA (dissertation Sec. 2.4.1, Table 2.13): which attributes each region's
network predicts, where each region's window sits on an aligned CelebA face, and a Dataset that cuts
the windows from images decoded on access.

The dissertation centres a window of the region's Table 2.13 size on the part's centre, found from
Asthana et al.'s landmarks, with no rescaling. We use CelebA's own five aligned landmarks
(``list_landmarks_align_celeba.txt``): eyes, nose and mouth centres come straight from them; the
upper head, mouth-and-chin and ear windows are offset from them by fixed multiples of the
inter-ocular distance (our choice: the text does not give the parts' landmarks). A window that would
leave the 178x218 image is shifted back inside. The attribute-to-region assignment is not given either
(only Mustache -> Mouth, NoseMouth, MouthChin): :data:`ASSIGNMENT` is ours, built to Table 2.13's
counts (133 pairs) with every CelebA attribute in at least one region.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from ...data.streaming import CelebAImages
from ...models import cnnaa

EYE_ATTRS = ("Arched_Eyebrows", "Bags_Under_Eyes", "Bushy_Eyebrows", "Eyeglasses", "Narrow_Eyes")
NOSE_ATTRS = ("Big_Nose", "Pointy_Nose")
MOUTH_ATTRS = ("Big_Lips", "Mouth_Slightly_Open", "Mustache", "Smiling", "Wearing_Lipstick")
BEARD_ATTRS = ("5_o_Clock_Shadow", "Goatee", "No_Beard")
HAIR_ATTRS = ("Bald", "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Straight_Hair", "Wavy_Hair",
              "Wearing_Hat")
ASSIGNMENT: dict[str, tuple[str, ...]] = {
    "Eye": (*EYE_ATTRS, "Heavy_Makeup", "Male", "Young", "Attractive", "Blurry"),
    "BothEyes": (*EYE_ATTRS, "Heavy_Makeup", "Male", "Young", "Attractive", "Blurry"),
    "Mouth": (*MOUTH_ATTRS, *BEARD_ATTRS, "Male", "Heavy_Makeup"),
    "Nose": (*NOSE_ATTRS, "Rosy_Cheeks", "Pale_Skin", "Male", "Young", "Blurry"),
    "EyesNose": (*EYE_ATTRS, *NOSE_ATTRS, "Rosy_Cheeks", "Pale_Skin", "High_Cheekbones", "Heavy_Makeup",
                 "Male", "Young", "Attractive", "Blurry", "Chubby"),
    "NoseMouth": (*NOSE_ATTRS, *MOUTH_ATTRS, "High_Cheekbones", "Rosy_Cheeks", *BEARD_ATTRS, "Male",
                  "Heavy_Makeup", "Young"),
    "EyesNoseMouth": (*EYE_ATTRS, *NOSE_ATTRS, "Big_Lips", "Mouth_Slightly_Open", "Smiling",
                      "Wearing_Lipstick", "High_Cheekbones", "Rosy_Cheeks", "Pale_Skin", "Heavy_Makeup",
                      "Oval_Face", "Chubby", "Attractive", "Male", "Young", "Blurry"),
    "UpperHead": (*HAIR_ATTRS[:7], "Bangs", "Receding_Hairline", "Wearing_Hat", "Arched_Eyebrows",
                  "Bushy_Eyebrows", "Male", "Young", "Attractive"),
    "MouthChin": ("Mustache", *BEARD_ATTRS, "Double_Chin", "Chubby", "Oval_Face", "Big_Lips",
                  "Mouth_Slightly_Open", "Smiling", "Wearing_Lipstick", "Wearing_Necktie", "Wearing_Necklace",
                  "Male", "Young"),
    "Ear": ("Wearing_Earrings", "Sideburns", "Wearing_Necklace", "Wearing_Necktie", *HAIR_ATTRS, "Male",
            "Young"),
}
FULL = "FullFace"  # the Binary networks' 128x128 window
IMAGE_HW = (218, 178)


def window_size(region: str) -> tuple[int, int]:
    """(width, height) of ``region``'s window: Table 2.13, or 128x128 for the full face."""
    if region == FULL:
        return cnnaa.FULL_FACE
    if region not in cnnaa.REGIONS:
        raise ValueError(f"unknown region {region!r}; known: {', '.join(cnnaa.REGIONS)}, {FULL}")
    w, h, _ = cnnaa.REGIONS[region]
    return w, h


def centre(points: np.ndarray, region: str) -> tuple[float, float]:
    """(x, y) centre of ``region`` from the five landmarks (left eye, right eye, nose, mouth corners)."""
    p = np.asarray(points, dtype=np.float64)
    if p.shape != (5, 2) or not np.isfinite(p).all():
        raise ValueError(f"landmarks must be a finite (5, 2) array, got shape {p.shape}")
    eyes, nose, mouth = p[:2].mean(0), p[2], p[3:].mean(0)
    iod = max(float(np.linalg.norm(p[1] - p[0])), 1.0)
    centres = {"Eye": p[0], "BothEyes": eyes, "Nose": nose, "Mouth": mouth, "EyesNose": (eyes + nose) / 2,
               "NoseMouth": (nose + mouth) / 2, "EyesNoseMouth": (eyes + mouth) / 2, FULL: (eyes + mouth) / 2,
               "UpperHead": eyes - (0.0, 1.25 * iod), "MouthChin": mouth + (0.0, 0.55 * iod),
               "Ear": (p[0, 0] - 1.1 * iod, (eyes[1] + nose[1]) / 2)}
    window_size(region)
    c = centres[region]
    return float(c[0]), float(c[1])


def box(points: np.ndarray, region: str, hw: tuple[int, int] = IMAGE_HW) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the window of ``region``: its Table 2.13 size centred on the part, shifted
    inside an image of ``hw`` = (H, W)."""
    w, h = window_size(region)
    if w > hw[1] or h > hw[0]:
        raise ValueError(f"a {w}x{h} window does not fit a {hw[1]}x{hw[0]} image")
    cx, cy = centre(points, region)
    x0 = int(np.clip(round(cx - w / 2), 0, hw[1] - w))
    y0 = int(np.clip(round(cy - h / 2), 0, hw[0] - h))
    return x0, y0, x0 + w, y0 + h


class PartCrops(Dataset[tuple[tuple[Tensor, ...], Tensor]]):
    """Image ``i`` -> (uint8 (3, h, w) crop per region of ``regions``, its attribute row); images are
    decoded on access from a :class:`~facerobust.data.streaming.CelebAImages`, never held."""

    def __init__(self, images: CelebAImages, points: np.ndarray, labels: Tensor,
                 regions: Sequence[str]) -> None:
        if len(points) != len(images) or len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(points)} landmark rows and {len(labels)} labels")
        if not regions:
            raise ValueError("PartCrops needs at least one region")
        for r in regions:
            window_size(r)
        self.images, self.points, self.labels = images, np.asarray(points), labels
        self.regions = tuple(regions)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[tuple[Tensor, ...], Tensor]:
        img = self.images[i]
        hw = (int(img.shape[1]), int(img.shape[2]))
        crops = []
        for r in self.regions:
            x0, y0, x1, y1 = box(self.points[i], r, hw)
            crops.append(img[:, y0:y1, x0:x1].contiguous())
        return tuple(crops), self.labels[i]


def collate(items: list[tuple[tuple[Tensor, ...], Tensor]]) -> tuple[tuple[Tensor, ...], Tensor]:
    """Stack a list of :class:`PartCrops` items into one uint8 batch per region and a label batch."""
    n_regions = len(items[0][0])
    return (tuple(torch.stack([c[r] for c, _ in items]) for r in range(n_regions)),
            torch.stack([y for _, y in items]))


__all__ = ["ASSIGNMENT", "FULL", "PartCrops", "box", "centre", "collate", "window_size"]
