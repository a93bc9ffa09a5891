"""Chapter 04, Part A: train the ACAA attribute classifiers and the linear platform models on the
capture-session videos, two folds of identities, each fold scored by the other fold's classifiers.

Labels per face are the models' consensus (``labels.consensus``; -1 = left out); every frame of a face
carries its face's label. The model-selection grid runs on the first ``grid_frames`` frames of every
training video; the five kept candidates then score every frame (Eq. 2.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.face_parts import PART_SIZES
from ...models import acaa
from ...progress import progress
from .videos import FaceVideos, Key, features, full_faces


@dataclass(frozen=True)
class AttributeScores:
    """Per-frame attribute values (V * F, A) of one method, its held-out accuracy per attribute and
    the classifiers each fold kept."""

    method: str
    scores: np.ndarray
    attributes: tuple[str, ...]
    accuracy: pd.DataFrame
    kept: pd.DataFrame


def fitting_grid(parts: Sequence[str], feats: Sequence[str], cells: Sequence[int]) -> list[Key]:
    """The grid part x feature x cell size, without the cells larger than a component's crop."""
    return [k for k in acaa.grid(parts, feats, cells) if k[2] <= min(PART_SIZES[k[0]])]


def frame_labels(videos: FaceVideos, labels: pd.DataFrame) -> np.ndarray:
    """(V * F, A) labels of every frame (its face's consensus label, -1 = none)."""
    per_video = labels.loc[videos.meta.face_id].to_numpy()
    return np.repeat(per_video, videos.n_frames, axis=0)


def _accuracy(method: str, scores: np.ndarray, y: np.ndarray, attrs: Sequence[str],
              cut: float) -> pd.DataFrame:
    rows = []
    for a, name in enumerate(attrs):
        m = y[:, a] >= 0
        k = int(((scores[m, a] > cut) == (y[m, a] == 1)).sum())
        rows.append({"method": method, "attribute": name, "correct": k, "frames": int(m.sum()),
                     "accuracy": k / max(int(m.sum()), 1)})
    return pd.DataFrame(rows)


def run_acaa(videos: FaceVideos, labels: pd.DataFrame, keys: Sequence[Key], grid_frames: int = 1,
             top: int = 5, seed: int = 0) -> AttributeScores:
    """Sec. 2.3.2 on the videos: grid -> PCA 99% -> RBF-SVM -> top ``top`` -> Eq. 2.1, cross-fitted
    by fold."""
    attrs = tuple(labels.columns)
    y_all = frame_labels(videos, labels)
    gsl = slice(0, grid_frames)
    grid = features(videos, keys, gsl)
    rows_g = np.repeat(np.arange(len(videos.frames)), min(grid_frames, videos.n_frames))
    y_g, fold_g = y_all.reshape(len(videos.frames), videos.n_frames, -1)[:, gsl].reshape(len(rows_g), -1), \
        videos.meta.fold.to_numpy()[rows_g]
    ident_g = videos.meta.identity.to_numpy()[rows_g]
    votes: dict[tuple[int, int], acaa.WeightedVote] = {}
    kept = []
    for f in (0, 1):
        for a, name in enumerate(progress(attrs, desc=f"ACAA grid, fold {f}")):
            tr = (fold_g != f) & (y_g[:, a] >= 0)
            try:
                vote, _ = acaa.select({k: x[tr] for k, x in grid.items()}, y_g[tr, a] == 1, ident_g[tr],
                                      top=top, seed=seed)
            except ValueError:  # one class missing in this fold: the attribute stays at 0.5
                continue
            votes[(f, a)] = vote
            kept += [{"scored fold": f, "attribute": name, "part": c.part, "feature": c.feature,
                      "cell": c.cell, "selection accuracy": c.accuracy} for c in vote.candidates]
    need = sorted({(c.part, c.feature, c.cell) for v in votes.values() for c in v.candidates})
    every = features(videos, need) if need else {}
    fold = videos.meta.fold.to_numpy()[videos.frame_rows()]
    scores = np.full(y_all.shape, 0.5)
    for (f, a), vote in votes.items():
        m = fold == f
        scores[m, a] = vote.score({k: x[m] for k, x in every.items()})
    return AttributeScores("ACAA", scores, attrs, _accuracy("ACAA", scores, y_all, attrs, 0.5),
                           pd.DataFrame(kept))


def run_platform(videos: FaceVideos, labels: pd.DataFrame, scale: float, cell: int = 16,
                 c: float = 0.1) -> AttributeScores:
    """Sec. 2.3.10: one linear SVM per attribute on grey + RGB LBP of the 128 x 168 full face at ``scale``;
    the attribute value is the signed distance to the margin."""
    faces = full_faces(videos)
    x = np.stack([acaa.platform_features(f, scale, cell) for f in faces]).astype(np.float32)
    y = frame_labels(videos, labels)
    fold = videos.meta.fold.to_numpy()[videos.frame_rows()]
    attrs = tuple(labels.columns)
    scores = np.zeros(y.shape)
    for f in (0, 1):
        for a in range(len(attrs)):
            tr = (fold != f) & (y[:, a] >= 0)
            if len(np.unique(y[tr, a])) < 2:
                continue
            scores[fold == f, a] = acaa.fit_linear(x[tr], y[tr, a], c).decision_function(x[fold == f])
    name = f"L-SVM {scale:g}"
    return AttributeScores(name, scores, attrs, _accuracy(name, scores, y, attrs, 0.0),
                           pd.DataFrame({"scale": [scale], "dimension": [x.shape[1]]}))


def lbp_frames(videos: FaceVideos, cell: int = 8) -> np.ndarray:
    """The LBP baseline's per-frame descriptor: uniform-LBP histograms of the grey full face."""
    return features(videos, [("full_face", "LBP", cell)])[("full_face", "LBP", cell)]


__all__ = ["AttributeScores", "fitting_grid", "frame_labels", "lbp_frames", "run_acaa", "run_platform"]
