"""Chapter 04: attribute features from the book's pretrained face models, frame by frame.

The dissertation's point is that attributes from good detectors (Kumar et al.'s on PubFig, its own
CNNs on CelebA) authenticate robustly. Our ACAA classifiers learn from a dozen identities; the
registry's pretrained models (gender, age, expression; trained on large face sets) are the closest
stand-in for good detectors we have. Each frame's chip is re-cut to each model's geometry
(``attributes.real_faces.rechip``) and scored; a score becomes a probability by the logistic function
(scores in years are divided by ``YEAR_SCALE`` first), and videos are compared by the inner product of
Part B (Sec. 2.4.5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ...models.registry import attribute_models
from ...progress import progress
from ..attributes.real_faces import rechip
from .videos import FaceVideos

FAST_MODELS = ("Male/faceapi", "Male/dlib", "Young/faceapi", "Young/dlib", "Smiling/expression")
YEAR_SCALE = 5.0  # an age score of 5 years counts like a logit of 1


@torch.no_grad()
def frame_probabilities(videos: FaceVideos, padding: float, names: Sequence[str] = FAST_MODELS,
                        batch: int = 32) -> np.ndarray:
    """(V * F, M) attribute probabilities of every frame from the registry models ``names``."""
    models = attribute_models(list(names))
    frames = videos.frames.reshape(-1, *videos.frames.shape[2:])
    cols = []
    for m in progress(list(models.values()), desc="pretrained attribute models"):
        scale = YEAR_SCALE if m.attribute == "Young" else 1.0
        out = []
        for i in range(0, len(frames), batch):
            x = torch.from_numpy(frames[i:i + batch]).permute(0, 3, 1, 2).float().div(255.0)
            out.append(torch.sigmoid(m.score(rechip(x, padding, m.chip_padding, m.input_size)) / scale))
        cols.append(torch.cat(out).numpy())
    return np.stack(cols, 1)


__all__ = ["FAST_MODELS", "YEAR_SCALE", "frame_probabilities"]
