"""Confidence intervals behind the book's verdicts: Wilson (a rate), Newcombe (a difference of two
rates), a percentile bootstrap (a difference of means, paired or not) and a weighted least-squares
slope (a trend). Used by :mod:`facerobust.experiments.claims` and by chapters that show intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile."""


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the proportion k/n (95% by default); (nan, nan) for n = 0."""
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # exact bounds at k = 0 and k = n (rounding would leave 1 - 1e-16)
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


def newcombe(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of the difference of proportions k1/n1 - k2/n2."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def bootstrap_diff(a: Sequence[float], b: Sequence[float], *, paired: bool, n_boot: int = 4000,
                   level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Mean difference mean(a) - mean(b) and its percentile bootstrap interval.

    ``paired`` resamples the index pairs (a[i], b[i]) together; otherwise each sample on its own.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size == 0 or y.size == 0 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("bootstrap_diff needs two non-empty samples of finite values")
    if paired and x.shape != y.shape:
        raise ValueError(f"paired samples must have equal length, got {x.size} and {y.size}")
    rng = np.random.default_rng(seed)
    if paired:
        idx = rng.integers(0, x.size, size=(n_boot, x.size))
        boots = (x[idx] - y[idx]).mean(axis=1)
    else:
        boots = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1) - \
            y[rng.integers(0, y.size, size=(n_boot, y.size))].mean(axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return float(x.mean() - y.mean()), float(lo), float(hi)


def slope_interval(x: Sequence[float], y: Sequence[float], se: Sequence[float] | None = None,
                   z: float = Z95) -> tuple[float, float, float]:
    """Weighted least-squares slope of y on x and its interval.

    With ``se`` (the standard error of each y) the weights are 1/se^2 and the slope's standard error
    follows from them; without it, from the residuals (needs at least 3 points).
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.size != ys.size or xs.size < 2:
        raise ValueError("a trend needs at least two (x, y) points of equal count")
    if se is None:
        if xs.size < 3:
            raise ValueError("a trend without standard errors needs at least three points")
        w = np.ones_like(xs)
    else:
        s = np.maximum(np.asarray(se, dtype=float), 1e-12)
        w = 1.0 / s**2
    xm = np.sum(w * xs) / np.sum(w)
    sxx = np.sum(w * (xs - xm) ** 2)
    if sxx <= 0:
        raise ValueError("a trend needs at least two distinct x values")
    ym = np.sum(w * ys) / np.sum(w)
    b = float(np.sum(w * (xs - xm) * (ys - ym)) / sxx)
    if se is None:
        resid = ys - (ym + b * (xs - xm))
        sb = math.sqrt(float(np.sum(resid**2)) / (xs.size - 2) / sxx)
    else:
        sb = math.sqrt(1.0 / sxx)
    return b, b - z * sb, b + z * sb


__all__ = ["Z95", "bootstrap_diff", "newcombe", "slope_interval", "wilson"]
