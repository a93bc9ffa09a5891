"""Discovered attributes (dissertation Sec. 2.4.4-2.4.5): sparse subspace clustering and OMP codes.

SSC (Eq. 2.6-2.7) writes every embedding as a sparse combination of the *other* embeddings,

    min_C ||C||_1 + ||D - DC||_F^2   s.t. diag(C) = 0,

solved column by column with scikit-learn's ``Lasso`` (the point itself is removed from the
dictionary, which enforces diag(C) = 0), then clusters the points by spectral clustering on the
symmetric affinity |C| + |C|^T. A new embedding e is coded over the clustered, L2-normalised
dictionary by Orthogonal Matching Pursuit with a fixed sparsity (Eq. 2.8, sparsity 20 in the
dissertation), and its discovered-attribute feature is the softmax over clusters of the norms of the
per-cluster reconstructions (Eq. 2.9).

Used by the continuous-authentication chapter (07); validated there on synthetic unions of
subspaces whose membership is known.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


def _matrix(d: np.ndarray, name: str = "D") -> np.ndarray:
    x = np.asarray(d, dtype=np.float64)
    if x.ndim != 2 or min(x.shape) < 2:
        raise ValueError(f"{name} must be a (dim, n_points) matrix with both sides >= 2, got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or inf")
    return x


def normalise_columns(d: np.ndarray) -> np.ndarray:
    """Every column scaled to unit L2 norm (zero columns are left at zero)."""
    x = np.asarray(d, dtype=np.float64)
    n = np.linalg.norm(x, axis=0, keepdims=True)
    return x / np.where(n == 0, 1.0, n)


def ssc_coefficients(d: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Eq. 2.6-2.7: the (n, n) self-expression matrix C with zero diagonal.

    Column i is the Lasso solution of D[:, i] over the other columns. scikit-learn's Lasso minimises
    ||y - Xw||^2 / (2 dim) + alpha ||w||_1, the Eq. 2.6 trade-off with the weight ``alpha``."""
    from sklearn.linear_model import Lasso

    x = _matrix(d)
    if alpha <= 0 or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a positive number, got {alpha}")
    n = x.shape[1]
    c = np.zeros((n, n))
    lasso = Lasso(alpha=alpha, fit_intercept=False, max_iter=5000)
    for i in range(n):
        others = np.r_[0:i, i + 1:n]
        lasso.fit(x[:, others], x[:, i])
        c[others, i] = lasso.coef_
    return c


def ssc_cluster(d: np.ndarray, n_clusters: int, alpha: float = 0.01, seed: int = 0) -> np.ndarray:
    """Cluster labels (n,) of the columns of D: SSC coefficients, then spectral clustering on
    the affinity |C| + |C|^T."""
    x = _matrix(d)
    if not 2 <= n_clusters <= x.shape[1]:
        raise ValueError(f"n_clusters must be in [2, {x.shape[1]}], got {n_clusters}")
    return spectral(ssc_coefficients(normalise_columns(x), alpha), n_clusters, seed)


def spectral(c: np.ndarray, n_clusters: int, seed: int = 0) -> np.ndarray:
    """Spectral clustering of the points of a self-expression matrix C on the affinity |C| + |C|^T."""
    from sklearn.cluster import SpectralClustering

    w = np.abs(c) + np.abs(c).T
    sc = SpectralClustering(n_clusters, affinity="precomputed", random_state=seed, assign_labels="discretize")
    return np.asarray(sc.fit_predict(w + 1e-12))


def clustering_accuracy(labels: np.ndarray, truth: np.ndarray) -> float:
    """Accuracy under the best one-to-one matching of clusters to classes (Hungarian algorithm)."""
    from scipy.optimize import linear_sum_assignment

    a, b = np.asarray(labels), np.asarray(truth)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"labels and truth must be equal-length 1-d arrays, got {a.shape} and {b.shape}")
    ua, ub = np.unique(a), np.unique(b)
    m = np.array([[np.sum((a == i) & (b == j)) for j in ub] for i in ua])
    r, c = linear_sum_assignment(-m)
    return float(m[r, c].sum() / a.size)


def union_of_subspaces(n_subspaces: int, dim: int, ambient: int, per: int, noise: float = 0.0,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic data: ``per`` points on each of ``n_subspaces`` random ``dim``-dimensional linear
    subspaces of R^ambient (plus Gaussian ``noise``). Returns D (ambient, n) and the membership (n,)."""
    if not 0 < dim < ambient or n_subspaces < 1 or per < 1 or noise < 0:
        raise ValueError(f"need 0 < dim < ambient, n_subspaces >= 1, per >= 1, noise >= 0; got "
                         f"dim={dim}, ambient={ambient}, n_subspaces={n_subspaces}, per={per}, noise={noise}")
    rng = np.random.default_rng(seed)
    cols, truth = [], []
    for k in range(n_subspaces):
        basis, _ = np.linalg.qr(rng.standard_normal((ambient, dim)))
        cols.append(basis @ rng.standard_normal((dim, per)))
        truth += [k] * per
    d = np.concatenate(cols, 1)
    d += noise * rng.standard_normal(d.shape)
    return normalise_columns(d), np.asarray(truth)


def omp_codes(dictionary: np.ndarray, e: np.ndarray, sparsity: int = 20) -> np.ndarray:
    """Eq. 2.8 solved by Orthogonal Matching Pursuit: codes (n_atoms, n_signals) with at most
    ``sparsity`` non-zeros per signal, over the L2-normalised atoms, for L2-normalised signals
    ``e`` (dim, n_signals)."""
    from sklearn.linear_model import OrthogonalMatchingPursuit

    dic = normalise_columns(_matrix(dictionary, "dictionary"))
    y = normalise_columns(_matrix(e, "signals") if np.ndim(e) == 2 else np.asarray(e, float)[:, None])
    if y.shape[0] != dic.shape[0]:
        raise ValueError(f"signals have dimension {y.shape[0]}, the dictionary {dic.shape[0]}")
    if not 1 <= sparsity <= dic.shape[1]:
        raise ValueError(f"sparsity must be in [1, {dic.shape[1]}], got {sparsity}")
    omp = OrthogonalMatchingPursuit(n_nonzero_coefs=sparsity, fit_intercept=False)
    with warnings.catch_warnings():  # an exact fit before `sparsity` atoms stops early: expected
        warnings.simplefilter("ignore", RuntimeWarning)
        omp.fit(dic, y)
    return np.asarray(omp.coef_, dtype=np.float64).reshape(y.shape[1], dic.shape[1]).T


@dataclass(frozen=True)
class DiscoveredAttributes:
    """A clustered dictionary: atoms (dim, n) and their cluster (n,), for Eq. 2.9 features."""

    atoms: np.ndarray
    clusters: np.ndarray
    sparsity: int = 20

    def __post_init__(self) -> None:
        if self.atoms.ndim != 2 or self.clusters.shape != (self.atoms.shape[1],):
            raise ValueError(f"atoms (dim, n) and clusters (n,) disagree: {self.atoms.shape}, "
                             f"{self.clusters.shape}")

    @property
    def n_clusters(self) -> int:
        return int(self.clusters.max()) + 1

    def features(self, e: np.ndarray) -> np.ndarray:
        """Eq. 2.9: p(c = i | D) = softmax_i ||D_{:,i} f_i|| for each signal; (n_signals, n_clusters)."""
        f = omp_codes(self.atoms, e, self.sparsity)
        dic = normalise_columns(self.atoms)
        norms = np.stack([np.linalg.norm(dic[:, self.clusters == i] @ f[self.clusters == i], axis=0)
                          for i in range(self.n_clusters)], 1)
        z = np.exp(norms - norms.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)


def discover(d: np.ndarray, n_clusters: int = 10, alpha: float = 0.01, sparsity: int = 20,
             seed: int = 0) -> DiscoveredAttributes:
    """SSC-cluster the columns of D into ``n_clusters`` discovered attributes (Sec. 2.4.4)."""
    return DiscoveredAttributes(normalise_columns(_matrix(d)), ssc_cluster(d, n_clusters, alpha, seed),
                                sparsity)


__all__ = ["DiscoveredAttributes", "clustering_accuracy", "discover", "normalise_columns", "omp_codes",
           "spectral", "ssc_cluster", "ssc_coefficients", "union_of_subspaces"]
