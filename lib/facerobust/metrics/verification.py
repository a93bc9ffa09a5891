"""Video-to-video face verification scores: the dissertation's Sec. 2.3.3 (Eq. 2.2, 2.3), ROC, EER.

A video is a stack of per-frame feature vectors; its descriptor is the mean over frames. A gallery
(enrolment) video ``e_i`` and a probe video ``t_j`` are compared by the inverse Euclidean distance
(Eq. 2.2, Part A) or the inner product (Part B); two similarity matrices are fused by z-scoring each
over all its entries and adding them (Eq. 2.3). Genuine pairs are the (gallery, probe) pairs of the
same identity, every other pair is an impostor pair; the ROC and the equal error rate follow.

Used by the continuous-authentication chapter (07).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _finite(a: np.ndarray, name: str, ndim: int) -> np.ndarray:
    x = np.asarray(a, dtype=np.float64)
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {x.shape}")
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"{name} must be non-empty and finite (no NaN or inf)")
    return x


def video_descriptor(frames: np.ndarray) -> np.ndarray:
    """The descriptor of one video: the mean of its per-frame features (F, D) -> (D,)."""
    return _finite(frames, "frames", 2).mean(axis=0)


def inverse_distance(gallery: np.ndarray, probes: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Eq. 2.2: s_ij = 1 / ||e_i - t_j||_2 for gallery (G, D) and probes (P, D) -> (G, P).

    ``eps`` keeps identical descriptors finite (their similarity is 1/eps)."""
    e, t = _finite(gallery, "gallery", 2), _finite(probes, "probes", 2)
    if e.shape[1] != t.shape[1]:
        raise ValueError(f"gallery and probes differ in dimension: {e.shape[1]} vs {t.shape[1]}")
    d = np.sqrt(np.maximum(((e[:, None, :] - t[None, :, :]) ** 2).sum(-1), 0.0))
    return 1.0 / np.maximum(d, eps)


def inner_product(gallery: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """Part B similarity: s_ij = <e_i, t_j> for gallery (G, D) and probes (P, D) -> (G, P)."""
    e, t = _finite(gallery, "gallery", 2), _finite(probes, "probes", 2)
    if e.shape[1] != t.shape[1]:
        raise ValueError(f"gallery and probes differ in dimension: {e.shape[1]} vs {t.shape[1]}")
    return e @ t.T


def zscore(s: np.ndarray) -> np.ndarray:
    """Eq. 2.3's normalisation: (s - mean(S)) / std(S) over all entries of the matrix."""
    x = _finite(s, "similarity matrix", 2)
    sd = x.std()
    if sd == 0:
        raise ValueError("similarity matrix is constant: its z-score is undefined")
    return (x - x.mean()) / sd


def fuse(*matrices: np.ndarray) -> np.ndarray:
    """Eq. 2.3: S_fusion = sum of the z-scored similarity matrices (all of one shape)."""
    if len(matrices) < 2:
        raise ValueError("fusion needs at least two similarity matrices")
    shapes = {np.shape(m) for m in matrices}
    if len(shapes) != 1:
        raise ValueError(f"similarity matrices differ in shape: {sorted(shapes)}")
    return sum((zscore(m) for m in matrices), np.zeros(shapes.pop()))


def genuine_mask(gallery_ids: Sequence[str], probe_ids: Sequence[str]) -> np.ndarray:
    """(G, P) boolean: True where gallery i and probe j show the same identity."""
    g, p = np.asarray(gallery_ids), np.asarray(probe_ids)
    return g[:, None] == p[None, :]


@dataclass(frozen=True)
class ROC:
    """An ROC curve (false accept rate, true accept rate, thresholds), its EER and pair counts."""

    far: np.ndarray
    tar: np.ndarray
    thresholds: np.ndarray
    eer: float
    n_genuine: int
    n_impostor: int


def eer_from_curve(far: np.ndarray, tar: np.ndarray) -> float:
    """The equal error rate: where FAR = FRR (= 1 - TAR), linearly interpolated along the curve."""
    fa, ta = np.asarray(far, dtype=np.float64), np.asarray(tar, dtype=np.float64)
    if fa.shape != ta.shape or fa.ndim != 1 or fa.size < 2:
        raise ValueError("far and tar must be 1-d arrays of equal length >= 2")
    diff = fa - (1.0 - ta)  # increases along a ROC ordered by decreasing threshold
    k = int(np.searchsorted(diff, 0.0))
    if k == 0:
        return float(fa[0])
    if k >= fa.size:
        return float(fa[-1])
    d0, d1 = diff[k - 1], diff[k]
    w = 0.0 if d1 == d0 else -d0 / (d1 - d0)
    return float(fa[k - 1] + w * (fa[k] - fa[k - 1]))


def roc(similarity: np.ndarray, genuine: np.ndarray) -> ROC:
    """ROC (scikit-learn's ``roc_curve``) and EER of a similarity matrix and its genuine mask."""
    from sklearn.metrics import roc_curve

    s = _finite(similarity, "similarity", 2)
    g = np.asarray(genuine, dtype=bool)
    if g.shape != s.shape:
        raise ValueError(f"genuine mask {g.shape} does not match the similarity {s.shape}")
    n_gen, n_imp = int(g.sum()), int((~g).sum())
    if n_gen == 0 or n_imp == 0:
        raise ValueError(f"need genuine and impostor pairs, got {n_gen} and {n_imp}")
    far, tar, thr = roc_curve(g.ravel(), s.ravel(), drop_intermediate=False)
    return ROC(far, tar, thr, eer_from_curve(far, tar), n_gen, n_imp)


def eer(similarity: np.ndarray, genuine: np.ndarray) -> float:
    """The EER alone, by sorting (no curve object): the same value as ``roc(...).eer``."""
    s, g = np.asarray(similarity, dtype=np.float64).ravel(), np.asarray(genuine, dtype=bool).ravel()
    if s.shape != g.shape or g.all() or not g.any():
        raise ValueError("need one genuine flag per similarity and both genuine and impostor pairs")
    order = np.argsort(-s, kind="mergesort")
    s, g = s[order], g[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]  # the end of each run of tied scores
    tp, fp = np.cumsum(g)[last], np.cumsum(~g)[last]
    far, tar = np.r_[0.0, fp / fp[-1]], np.r_[0.0, tp / tp[-1]]
    return eer_from_curve(far, tar)


def bootstrap_eers(similarities: dict[str, np.ndarray], gallery_ids: Sequence[str], probe_ids: Sequence[str],
                   n_boot: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """EER of every similarity matrix on ``n_boot`` bootstrap resamples of the identities (the same
    resample for all matrices, so differences are paired). A resampled identity keeps its gallery rows
    and probe columns; copies drawn twice count as distinct identities."""
    g, p = np.asarray(gallery_ids), np.asarray(probe_ids)
    ids = np.unique(np.r_[g, p])
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {k: [] for k in similarities}
    while len(next(iter(out.values()))) < n_boot:
        pick = rng.choice(ids, size=ids.size, replace=True)
        rows = [(np.flatnonzero(g == i), k) for k, i in enumerate(pick)]
        cols = [(np.flatnonzero(p == i), k) for k, i in enumerate(pick)]
        r = np.concatenate([ix for ix, _ in rows])
        c = np.concatenate([ix for ix, _ in cols])
        gl = np.concatenate([[k] * ix.size for ix, k in rows])
        pl = np.concatenate([[k] * ix.size for ix, k in cols])
        mask = gl[:, None] == pl[None, :]
        if r.size == 0 or c.size == 0 or mask.all() or not mask.any():
            continue
        for name, s in similarities.items():
            out[name].append(eer(np.asarray(s)[np.ix_(r, c)], mask))
    return {k: np.asarray(v) for k, v in out.items()}


__all__ = ["ROC", "bootstrap_eers", "eer", "eer_from_curve", "fuse", "genuine_mask", "inner_product",
           "inverse_distance", "roc", "video_descriptor", "zscore"]
