"""One claims module for every chapter's "Paper vs this book" table.

A :class:`Claim` records what a document says (:class:`Paper`: the value as printed and the
document and line it comes from), what this book measured, the rule that decides between them and
the verdict. Rules are built by the constructors below; each returns a :class:`Judgement` whose
``rule`` text is the rule applied, with every threshold and margin it uses (a tolerance is a visible
argument, never a hidden constant).

One vocabulary: :data:`HOLDS`, :data:`FAILS` ("does not hold"), :data:`INCONCLUSIVE` (our run cannot
tell: the difference is within noise, or the experiment did not run at a comparable setting) and
:data:`UNTESTABLE` ("not testable here": the data or model cannot be had, with the reason).

Comparisons are made against noise: a rate carries its Wilson 95% interval, a difference of means a
bootstrap interval, a trend the interval of its fitted slope. A claim holds only when the whole
interval lies on the claimed side, does not hold when the whole interval lies on the other side, and
is inconclusive otherwise.

Example::

    from facerobust.experiments import claims as C
    rows = [C.claim("D1", "Defense-GAN recovers MNIST white-box FGSM accuracy",
                    C.Paper("0.988", "dissertation Table 5.2"), C.rate_at_least(92, 100, 0.90))]
    C.table(rows)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

HOLDS = "holds"
FAILS = "does not hold"
INCONCLUSIVE = "inconclusive"
UNTESTABLE = "not testable here"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE, UNTESTABLE)
COLUMNS = ["id", "claim", "paper", "source", "this book", "rule", "verdict", "note"]
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Paper:
    """A value as the document prints it (``"0.988"``, ``"most"``) and where: document and line."""

    value: str
    source: str


@dataclass(frozen=True)
class Judgement:
    """The outcome of one rule: the verdict, our value as shown (with its interval) and the rule."""

    verdict: str
    ours: str
    rule: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass(frozen=True)
class Claim:
    """One row of a chapter's "Paper vs this book" table."""

    id: str
    statement: str
    paper: Paper
    judgement: Judgement
    note: str = ""

    @property
    def verdict(self) -> str:
        return self.judgement.verdict

    def row(self) -> dict[str, str]:
        j = self.judgement
        return {"id": self.id, "claim": self.statement, "paper": self.paper.value,
                "source": self.paper.source, "this book": j.ours, "rule": j.rule,
                "verdict": j.verdict, "note": self.note}


def claim(id: str, statement: str, paper: Paper, judgement: Judgement, note: str = "") -> Claim:
    """Build a :class:`Claim` (a shorthand that keeps chapter code on one line per claim)."""
    return Claim(id, statement, paper, judgement, note)


def table(claims: Iterable[Claim]) -> pd.DataFrame:
    """The chapter's claims table, one row per claim, with the columns of :data:`COLUMNS`."""
    rows = [c.row() for c in claims]
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"claim ids must be unique, got {ids}")
    return pd.DataFrame(rows, columns=COLUMNS)


def counts(claims: Iterable[Claim]) -> dict[str, int]:
    """How many claims got each verdict (every verdict present, zeros included)."""
    out = dict.fromkeys(VERDICTS, 0)
    for c in claims:
        out[c.verdict] += 1
    return out


# ---------------------------------------------------------------- intervals


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


# ---------------------------------------------------------------- rules


def _num(v: float, fmt: str) -> str:
    return "nan" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _side(lo: float, hi: float, threshold: float, above: bool) -> str:
    """HOLDS if [lo, hi] lies on the claimed side of threshold, FAILS if wholly on the other."""
    if above:
        return HOLDS if lo >= threshold else (FAILS if hi < threshold else INCONCLUSIVE)
    return HOLDS if hi <= threshold else (FAILS if lo > threshold else INCONCLUSIVE)


def _bound(value: float, threshold: float, above: bool, interval: tuple[float, float] | None,
           fmt: str, what: str) -> Judgement:
    op = ">=" if above else "<="
    if value is None or math.isnan(value):
        return not_run(f"{what} {op} {threshold:{fmt}}", "no value")
    if interval is None:
        verdict = HOLDS if (value >= threshold if above else value <= threshold) else FAILS
        return Judgement(verdict, _num(value, fmt), f"{what} {op} {threshold:{fmt}}")
    lo, hi = interval
    return Judgement(_side(lo, hi, threshold, above),
                     f"{_num(value, fmt)} [{_num(lo, fmt)}, {_num(hi, fmt)}]",
                     f"95% interval of {what} {op} {threshold:{fmt}}")


def at_least(value: float, threshold: float, *, interval: tuple[float, float] | None = None,
             fmt: str = ".3f", what: str = "ours") -> Judgement:
    """``value >= threshold`` (exact quantities), or the whole ``interval`` above it if given."""
    return _bound(value, threshold, True, interval, fmt, what)


def at_most(value: float, threshold: float, *, interval: tuple[float, float] | None = None,
            fmt: str = ".3f", what: str = "ours") -> Judgement:
    """``value <= threshold`` (exact quantities), or the whole ``interval`` below it if given."""
    return _bound(value, threshold, False, interval, fmt, what)


def rate_at_least(k: int, n: int, threshold: float, *, what: str = "rate") -> Judgement:
    """A rate k/n at least ``threshold``, judged on its Wilson 95% interval."""
    if n == 0:
        return not_run(f"Wilson 95% interval of {what} >= {threshold:.3f}", "no samples")
    return at_least(k / n, threshold, interval=wilson(k, n), what=f"{what} (n={n})")


def rate_at_most(k: int, n: int, threshold: float, *, what: str = "rate") -> Judgement:
    """A rate k/n at most ``threshold``, judged on its Wilson 95% interval."""
    if n == 0:
        return not_run(f"Wilson 95% interval of {what} <= {threshold:.3f}", "no samples")
    return at_most(k / n, threshold, interval=wilson(k, n), what=f"{what} (n={n})")


def rate_greater(k1: int, n1: int, k2: int, n2: int, *, margin: float = 0.0,
                 names: tuple[str, str] = ("a", "b")) -> Judgement:
    """Rate k1/n1 exceeds rate k2/n2 by more than ``margin`` (Newcombe 95% interval of the difference)."""
    a, b = names
    rule = f"95% interval of {a} - {b} > {margin:g} (Newcombe)"
    if n1 == 0 or n2 == 0:
        return not_run(rule, "no samples")
    d = k1 / n1 - k2 / n2
    lo, hi = newcombe(k1, n1, k2, n2)
    verdict = HOLDS if lo > margin else (FAILS if hi <= margin else INCONCLUSIVE)
    return Judgement(verdict, f"{k1 / n1:.3f} vs {k2 / n2:.3f}: {d:+.3f} [{lo:+.3f}, {hi:+.3f}]", rule)


def greater(a: Sequence[float], b: Sequence[float], *, paired: bool, margin: float = 0.0,
            names: tuple[str, str] = ("a", "b"), fmt: str = ".3g", seed: int = 0) -> Judgement:
    """mean(a) exceeds mean(b) by more than ``margin``, on a bootstrap 95% interval of the difference."""
    na, nb = names
    kind = "paired " if paired else ""
    rule = f"{kind}bootstrap 95% interval of mean {na} - mean {nb} > {margin:g}"
    if len(a) == 0 or len(b) == 0:
        return not_run(rule, "no samples")
    d, lo, hi = bootstrap_diff(a, b, paired=paired, seed=seed)
    verdict = HOLDS if lo > margin else (FAILS if hi <= margin else INCONCLUSIVE)
    ours = (f"{np.mean(a):{fmt}} vs {np.mean(b):{fmt}}: {d:+{fmt}} "
            f"[{lo:+{fmt}}, {hi:+{fmt}}] (n={len(a)}, {len(b)})")
    return Judgement(verdict, ours, rule)


def trend(x: Sequence[float], y: Sequence[float], *, se: Sequence[float] | None = None, up: bool = True,
          fmt: str = ".3f", what: str = "y") -> Judgement:
    """``y`` rises (``up``) or falls with ``x``: the 95% interval of the fitted slope excludes zero on
    the claimed side; it does not hold when the interval lies wholly at or beyond zero on the other
    side, and is inconclusive when it straddles zero. ``se`` are the standard errors of the points
    (e.g. from Wilson intervals); without them the slope's error comes from the residuals. A flat
    series never holds."""
    direction = "rises" if up else "falls"
    src = "standard errors of the points" if se is not None else "residuals"
    rule = f"{what} {direction}: 95% interval of the fitted slope (from the {src}) {'>' if up else '<'} 0"
    if len(y) < 2 or any(v is None or math.isnan(v) for v in y):
        return not_run(rule, "fewer than two values")
    b, lo, hi = slope_interval(x, y, se)
    if up:
        verdict = HOLDS if lo > 0 else (FAILS if hi <= 0 else INCONCLUSIVE)
    else:
        verdict = HOLDS if hi < 0 else (FAILS if lo >= 0 else INCONCLUSIVE)
    series = " -> ".join(format(v, fmt) for v in y)
    return Judgement(verdict, f"{series} (slope {b:+.3g} [{lo:+.3g}, {hi:+.3g}])", rule)


def rate_trend(x: Sequence[float], k: Sequence[int], n: Sequence[int], *, up: bool = True,
               what: str = "rate") -> Judgement:
    """A trend of rates k/n against x, each point weighted by its binomial standard error
    (from the Wilson interval, so that 0/n and n/n still carry an error)."""
    if len(k) != len(n) or len(k) != len(x):
        raise ValueError("x, k and n must have equal lengths")
    rates = [ki / ni if ni else math.nan for ki, ni in zip(k, n, strict=True)]
    se = [(wilson(ki, ni)[1] - wilson(ki, ni)[0]) / (2 * Z95) if ni else math.nan
          for ki, ni in zip(k, n, strict=True)]
    return trend(x, rates, se=se, up=up, what=what)


def within_factor(value: float, reference: float, factor: float, *, fmt: str = ".3g") -> Judgement:
    """``reference / factor <= value <= reference * factor`` (e.g. a runtime ratio on other hardware)."""
    rule = f"within a factor {factor:g} of {reference:{fmt}}"
    if value is None or math.isnan(value):
        return not_run(rule, "no value")
    ok = reference / factor <= value <= reference * factor
    return Judgement(HOLDS if ok else FAILS, _num(value, fmt), rule)


def equals(value: float, reference: float, *, tol: float = 0.0, fmt: str = "g") -> Judgement:
    """An exact quantity (a parameter count, an arithmetic result) equals the document's, within ``tol``."""
    rule = f"|ours - {reference:{fmt}}| <= {tol:g}"
    if value is None or math.isnan(value):
        return not_run(rule, "no value")
    return Judgement(HOLDS if abs(value - reference) <= tol else FAILS, format(value, fmt), rule)


def across_seeds(judgements: Sequence[Judgement], seeds: Sequence[int]) -> Judgement:
    """One verdict from the same rule judged on runs with different seeds: it holds (or does not)
    only if every seed agrees; any disagreement, or an inconclusive seed, is inconclusive."""
    if not judgements or len(judgements) != len(seeds):
        raise ValueError("give one judgement per seed")
    verdicts = {j.verdict for j in judgements}
    verdict = verdicts.pop() if len(verdicts) == 1 else INCONCLUSIVE
    ours = "; ".join(f"seed {s}: {j.ours}" for s, j in zip(seeds, judgements, strict=True))
    return Judgement(verdict, ours, f"{judgements[0].rule}, on every one of {len(seeds)} seeds")


def untestable(reason: str, ours: str = "-") -> Judgement:
    """Not testable here: the data or model the claim needs cannot be had (say which)."""
    return Judgement(UNTESTABLE, ours, f"not testable here: {reason}")


def not_run(rule: str, reason: str) -> Judgement:
    """The rule could not be applied in this run (experiment skipped by the profile, no samples)."""
    return Judgement(INCONCLUSIVE, "-", f"{rule} (not applied: {reason})")


def inconclusive(ours: str, rule: str, reason: str) -> Judgement:
    """Our run cannot tell (e.g. a different setting than the paper's): the value is shown, no verdict."""
    return Judgement(INCONCLUSIVE, ours, f"{rule} (inconclusive: {reason})")


def qualitative(ok: bool | None, ours: str, rule: str) -> Judgement:
    """A yes/no check on exact, noise-free quantities (e.g. a count, a set equality).
    ``None`` means the check could not be made (inconclusive)."""
    if ok is None:
        return Judgement(INCONCLUSIVE, ours, rule)
    return Judgement(HOLDS if ok else FAILS, ours, rule)



# ---------------------------------------------------------------- rules added for chapters 00-03, 05, 06


def similar(a: Sequence[float], b: Sequence[float], *, margin: float, paired: bool,
            names: tuple[str, str] = ("a", "b"), fmt: str = ".3g", seed: int = 0) -> Judgement:
    """mean(a) and mean(b) are equivalent within ``margin``: the bootstrap 95% interval of their
    difference lies inside [-margin, margin]; it does not hold when the interval lies wholly
    outside, and is inconclusive otherwise (a too-wide interval cannot show equivalence)."""
    na, nb = names
    kind = "paired " if paired else ""
    rule = f"{kind}bootstrap 95% interval of mean {na} - mean {nb} inside [-{margin:g}, {margin:g}]"
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if len(a) == 0 or len(b) == 0:
        return not_run(rule, "no samples")
    d, lo, hi = bootstrap_diff(a, b, paired=paired, seed=seed)
    inside, outside = -margin <= lo and hi <= margin, lo > margin or hi < -margin
    verdict = HOLDS if inside else (FAILS if outside else INCONCLUSIVE)
    ours = (f"{np.mean(a):{fmt}} vs {np.mean(b):{fmt}}: {d:+{fmt}} "
            f"[{lo:+{fmt}}, {hi:+{fmt}}] (n={len(a)}, {len(b)})")
    return Judgement(verdict, ours, rule)


def rate_between(k: int, n: int, low: float, high: float, *, what: str = "rate") -> Judgement:
    """A rate k/n lies in [low, high] (a printed "about half" with a visible band): its Wilson 95%
    interval inside the band holds, wholly outside it does not hold, overlapping is inconclusive."""
    if not 0 <= low <= high <= 1:
        raise ValueError(f"need 0 <= low <= high <= 1, got {low}, {high}")
    rule = f"Wilson 95% interval of {what} (n={n}) inside [{low:.2f}, {high:.2f}]"
    if n == 0:
        return not_run(rule, "no samples")
    lo, hi = wilson(k, n)
    verdict = HOLDS if low <= lo and hi <= high else (FAILS if hi < low or lo > high else INCONCLUSIVE)
    return Judgement(verdict, f"{k / n:.3f} [{lo:.3f}, {hi:.3f}] ({k}/{n})", rule)


def all_of(parts: Sequence[Judgement], labels: Sequence[str]) -> Judgement:
    """A claim made of several parts (e.g. "for FGS and for FFA"): it holds if every part holds,
    does not hold if any part does not hold, and is inconclusive otherwise."""
    if not parts or len(parts) != len(labels):
        raise ValueError("give one label per part, at least one part")
    verdicts = [j.verdict for j in parts]
    verdict = HOLDS if all(v == HOLDS for v in verdicts) else (FAILS if FAILS in verdicts else INCONCLUSIVE)
    ours = "; ".join(f"{lab}: {j.ours}" for lab, j in zip(labels, parts, strict=True))
    rules = list(dict.fromkeys(j.rule for j in parts))
    rule = (f"{rules[0]}, for each of {', '.join(labels)}" if len(rules) == 1 else
            "every part: " + "; ".join(f"{lab}: {j.rule}" for lab, j in zip(labels, parts, strict=True)))
    return Judgement(verdict, ours, rule)


def seeded(per_seed: Sequence[Judgement], seeds: Sequence[int], *, min_seeds: int = 3) -> Judgement:
    """A claim that rests on training randomness: judged with :func:`across_seeds` when at least
    ``min_seeds`` training seeds were run, otherwise inconclusive with the reason (one seed's
    verdict is shown, not given)."""
    if not per_seed or len(per_seed) != len(seeds):
        raise ValueError("give one judgement per seed")
    if len(seeds) >= min_seeds:
        return across_seeds(per_seed, seeds)
    ours = "; ".join(f"seed {s}: {j.ours}" for s, j in zip(seeds, per_seed, strict=True))
    why = f"rests on training randomness; {len(seeds)} training seed(s) run, {min_seeds} needed"
    return inconclusive(ours, per_seed[0].rule, why)


__all__ = ["COLUMNS", "FAILS", "HOLDS", "INCONCLUSIVE", "UNTESTABLE", "VERDICTS", "Claim", "Judgement",
           "Paper", "across_seeds", "all_of", "at_least", "at_most", "bootstrap_diff", "claim", "counts",
           "equals", "greater", "inconclusive", "newcombe", "not_run", "qualitative", "rate_at_least",
           "rate_at_most", "rate_between", "rate_greater", "rate_trend", "seeded", "similar",
           "slope_interval", "table", "trend", "untestable", "wilson", "within_factor"]
