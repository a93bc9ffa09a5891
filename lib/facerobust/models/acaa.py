"""ACAA attribute classifiers (dissertation Sec. 2.3.1-2.3.2, 2.3.10) with scikit-image and scikit-learn.

For each attribute, every candidate (face component x feature x cell size) is a pipeline
feature -> PCA keeping 99% of the energy -> RBF-SVM; the five with the best accuracy on a balanced
selection split are kept and combined by the accuracy-weighted vote of Eq. 2.1,

    f_a(F) = sum_i w_i Cl_i(F) / sum_i w_i,   Cl_i(F) in {0, 1}.

Features: LBP (uniform, 8 neighbours, radius 1; 59-bin histogram per cell) and HOG (9 orientations,
cells of the given size, 2x2 blocks), on the grey image or on each of R, G, B (ColorLBP, ColorHOG).
The simplified platform model of Sec. 2.3.10 is one linear SVM per attribute on grey + RGB LBP of the
full face at one image scale, read as the signed distance to the margin.

Used by the continuous-authentication chapter (07).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = ("LBP", "ColorLBP", "HOG", "ColorHOG")
LBP_BINS = 59


def _grey(img: np.ndarray) -> np.ndarray:
    """Luma grey levels, rounded back to uint8 (LBP compares integer grey levels)."""
    return np.round(img.astype(np.float64) @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)


def lbp_histograms(channel: np.ndarray, cell: int) -> np.ndarray:
    """Concatenated, L1-normalised 59-bin uniform-LBP histograms over non-overlapping cells."""
    from skimage.feature import local_binary_pattern

    codes = local_binary_pattern(np.ascontiguousarray(channel), 8, 1, method="nri_uniform").astype(int)
    h, w = codes.shape
    ny, nx = max(1, h // cell), max(1, w // cell)
    hists = [np.bincount(codes[i * cell:(i + 1) * cell, j * cell:(j + 1) * cell].ravel(), minlength=LBP_BINS)
             for i in range(ny) for j in range(nx)]
    out = np.asarray(hists, dtype=np.float64)
    return (out / np.maximum(out.sum(1, keepdims=True), 1)).ravel()


def hog_features(channel: np.ndarray, cell: int) -> np.ndarray:
    """scikit-image HOG: 9 orientations, ``cell`` x ``cell`` pixels per cell, 2x2 cells per block."""
    from skimage.feature import hog

    blocks = 2 if min(channel.shape) >= 2 * cell else 1
    return np.asarray(hog(channel.astype(np.float64), orientations=9, pixels_per_cell=(cell, cell),
                          cells_per_block=(blocks, blocks), feature_vector=True), dtype=np.float64)


def extract(img: np.ndarray, feature: str, cell: int) -> np.ndarray:
    """One feature vector of an RGB uint8 crop (H, W, 3): LBP, ColorLBP, HOG or ColorHOG at ``cell``."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}; known: {', '.join(FEATURES)}")
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"crop must be RGB uint8 (H, W, 3), got {img.dtype} {img.shape}")
    if cell < 2 or cell > min(img.shape[:2]):
        raise ValueError(f"cell size {cell} does not fit a {img.shape[0]}x{img.shape[1]} crop")
    fn = lbp_histograms if feature.endswith("LBP") else hog_features
    colour = feature.startswith("Color")
    chans = [np.ascontiguousarray(img[..., c]) for c in range(3)] if colour else [_grey(img)]
    return np.concatenate([fn(ch, cell) for ch in chans])


@dataclass(frozen=True)
class Candidate:
    """One grid cell of Sec. 2.3.2 and its selection accuracy."""

    part: str
    feature: str
    cell: int
    accuracy: float


def make_pipeline(energy: float = 0.99, c: float = 1.0, seed: int = 0):
    """Standardise -> PCA keeping ``energy`` of the variance -> RBF-SVM (gamma 'scale')."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline as mk
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return mk(StandardScaler(), PCA(n_components=energy, svd_solver="full", random_state=seed),
              SVC(kernel="rbf", C=c, gamma="scale"))


def balanced_split(y: np.ndarray, groups: np.ndarray, frac: float = 0.2, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """80/20 train / selection indices, split by group (identity) so that no face is in both, each
    side subsampled to equal positive and negative counts."""
    rng = np.random.default_rng(seed)
    y, g = np.asarray(y).astype(bool), np.asarray(groups)
    ug = rng.permutation(np.unique(g))
    sel_groups = set(ug[: max(1, int(round(frac * len(ug))))])
    in_sel = np.array([x in sel_groups for x in g])

    def balance(idx: np.ndarray) -> np.ndarray:
        pos, neg = idx[y[idx]], idx[~y[idx]]
        n = min(len(pos), len(neg))
        return np.sort(np.r_[rng.choice(pos, n, replace=False), rng.choice(neg, n, replace=False)])

    return balance(np.flatnonzero(~in_sel)), balance(np.flatnonzero(in_sel))


@dataclass
class WeightedVote:
    """Eq. 2.1: the top-k fitted candidates of one attribute and their selection accuracies."""

    candidates: list[Candidate]
    models: list[object]

    def decisions(self, feats: dict[tuple[str, str, int], np.ndarray]) -> np.ndarray:
        """(N, k) binary decisions Cl_i(F) of the kept classifiers."""
        return np.stack([np.asarray(m.predict(feats[(c.part, c.feature, c.cell)]))  # type: ignore[attr-defined]
                         for c, m in zip(self.candidates, self.models, strict=True)], 1)

    def score(self, feats: dict[tuple[str, str, int], np.ndarray]) -> np.ndarray:
        return vote(self.decisions(feats), np.array([c.accuracy for c in self.candidates]))


def vote(decisions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Eq. 2.1: sum_i w_i Cl_i / sum_i w_i for binary decisions (N, k) and accuracies (k,)."""
    d, w = np.asarray(decisions, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    if d.ndim != 2 or w.shape != (d.shape[1],):
        raise ValueError(f"decisions (N, k) and weights (k,) disagree: {d.shape}, {w.shape}")
    if not np.isin(d, (0, 1)).all():
        raise ValueError("decisions must be 0 or 1")
    if (w < 0).any() or w.sum() <= 0 or not np.isfinite(w).all():
        raise ValueError("weights must be finite, non-negative and not all zero")
    return d @ w / w.sum()


def select(feats: dict[tuple[str, str, int], np.ndarray], y: np.ndarray, groups: np.ndarray,
           top: int = 5, seed: int = 0) -> tuple[WeightedVote, list[Candidate]]:
    """Fit every candidate on the 80% split, rank them by accuracy on the balanced 20% selection split,
    refit nothing: the top ``top`` (fitted on 80%) form the vote. Returns the vote and all candidates."""
    tr, se = balanced_split(y, groups, seed=seed)
    if len(tr) < 4 or len(se) < 2:
        raise ValueError(f"too few balanced samples: {len(tr)} to train, {len(se)} to select")
    yb = np.asarray(y).astype(int)
    fitted = []
    for key, x in feats.items():
        m = make_pipeline(seed=seed).fit(x[tr], yb[tr])
        fitted.append((Candidate(*key, float((m.predict(x[se]) == yb[se]).mean())), m))
    fitted.sort(key=lambda cm: -cm[0].accuracy)
    best = fitted[:top]
    return WeightedVote([c for c, _ in best], [m for _, m in best]), [c for c, _ in fitted]


def platform_features(face: np.ndarray, scale: float, cell: int = 8) -> np.ndarray:
    """Sec. 2.3.10: LBP of the grey image and of R, G, B, concatenated, on the full face rescaled
    by ``scale``."""
    import cv2

    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    h, w = face.shape[:2]
    small = cv2.resize(face, (max(cell, round(w * scale)), max(cell, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    return np.concatenate([extract(small, "LBP", cell), extract(small, "ColorLBP", cell)])


def fit_linear(x: np.ndarray, y: np.ndarray, c: float = 0.1):
    """The platform model: standardise -> linear SVM; its ``decision_function`` is the margin distance."""
    from sklearn.pipeline import make_pipeline as mk
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    return mk(StandardScaler(), LinearSVC(C=c, max_iter=5000)).fit(x, np.asarray(y).astype(int))


def grid(parts: Sequence[str], features: Sequence[str], cells: Sequence[int]) -> list[tuple[str, str, int]]:
    """The candidate grid part x feature x cell size (216 in the dissertation: 9 x 4 x 6)."""
    bad = [f for f in features if f not in FEATURES]
    if bad or not parts or not cells:
        raise ValueError(f"need parts, cells and known features; unknown features {bad}")
    return [(p, f, c) for p in parts for f in features for c in cells]


__all__ = ["FEATURES", "Candidate", "WeightedVote", "balanced_split", "extract", "fit_linear", "grid",
           "hog_features", "lbp_histograms", "make_pipeline", "platform_features", "select", "vote"]
