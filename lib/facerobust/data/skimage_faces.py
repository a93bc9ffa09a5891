"""scikit-image's real face images: the 100 LFW crops of ``lfw_subset`` and the astronaut.

Served from the verified assets (``skimage/lfw_subset.npy``, ``skimage/astronaut.png``), so
they load offline and a tampered copy is refused. Used by chapter 0 and, where a small set of
real faces is enough, by the K-anonymity chapter; re-exported by :mod:`facerobust.data.faces`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .assets import asset_path
from .types import ImageSet


def lfw_subset(faces_only: bool = True) -> ImageSet:
    """scikit-image's ``lfw_subset``: 100 real 25x25 grey LFW faces (rows 0-99) and, unless
    ``faces_only``, 100 non-face patches; class 1 = face."""
    arr = np.load(asset_path("skimage/lfw_subset.npy"), allow_pickle=False).astype(np.float32)
    y = torch.tensor([1] * 100 + [0] * (len(arr) - 100))
    x = torch.from_numpy(arr).unsqueeze(1)
    if x.max() > 1.0:
        x = x / 255.0
    s = ImageSet(x.contiguous(), y, ("non-face", "face"), "lfw-subset")
    return s.subset(slice(0, 100)) if faces_only else s


def astronaut() -> Tensor:
    """scikit-image's astronaut portrait (Eileen Collins), (1, 3, 512, 512) in [0, 1]."""
    from PIL import Image

    with Image.open(asset_path("skimage/astronaut.png")) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
