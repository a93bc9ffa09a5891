"""The rule constructors of the claims module. Each returns a :class:`~.records.Judgement` whose
``rule`` text is the rule it applied, with every threshold, margin and interval it used."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ...metrics.intervals import Z95, bootstrap_diff, newcombe, slope_interval, wilson
from .deciding import interval_factor, wilson_factor
from .records import FAILS, HOLDS, INCONCLUSIVE, UNTESTABLE, Judgement


def _num(v: float, fmt: str) -> str:
    return "nan" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _side(lo: float, hi: float, threshold: float, above: bool, strict: bool = False) -> str:
    """The verdict ladder of every one-sided rule: HOLDS if the interval [lo, hi] lies on the claimed
    side of ``threshold`` (``above`` or below it; beyond it if ``strict``, else at or beyond), FAILS if
    it lies wholly on the other side, INCONCLUSIVE if it straddles the threshold."""
    if not above:  # below t is above -t for the mirrored interval
        lo, hi, threshold = -hi, -lo, -threshold
    holds = lo > threshold if strict else lo >= threshold
    fails = hi <= threshold if strict else hi < threshold
    return HOLDS if holds else (FAILS if fails else INCONCLUSIVE)


Undecided = tuple[tuple[str, float], ...]


def _open(verdict: str, lo: float, hi: float, estimate: float, threshold: float) -> Undecided:
    """:attr:`Judgement.undecided` of a single interval judged against ``threshold`` (none for an
    interval with a missing bound: no sample size can be read from it)."""
    if (verdict != INCONCLUSIVE or not all(map(math.isfinite, (lo, hi, estimate, threshold)))
            or not lo <= estimate <= hi):
        return ()
    return (("", interval_factor(lo, hi, estimate, threshold)),)


def _nearer_edge(estimate: float, low: float, high: float) -> float:
    """The edge of a band that decides an interval around ``estimate``: the nearer one."""
    return low if abs(estimate - low) <= abs(estimate - high) else high


def _open_band(verdict: str, lo: float, hi: float, estimate: float, low: float,
               high: float) -> Undecided:
    """:attr:`Judgement.undecided` of an interval judged against a band: the nearer edge decides."""
    return _open(verdict, lo, hi, estimate, _nearer_edge(estimate, low, high))


def _within(lo: float, hi: float, low: float, high: float) -> str:
    """The verdict ladder of an equivalence band: HOLDS if [lo, hi] lies inside [low, high], FAILS if
    it lies wholly outside, INCONCLUSIVE if it overlaps an edge."""
    if low <= lo and hi <= high:
        return HOLDS
    return FAILS if hi < low or lo > high else INCONCLUSIVE


def _bound(value: float, threshold: float, above: bool, interval: tuple[float, float] | None,
           fmt: str, what: str) -> Judgement:
    op = ">=" if above else "<="
    if value is None or math.isnan(value):
        return not_run(f"{what} {op} {threshold:{fmt}}", "no value")
    if interval is None:
        verdict = HOLDS if (value >= threshold if above else value <= threshold) else FAILS
        return Judgement(verdict, _num(value, fmt), f"{what} {op} {threshold:{fmt}}")
    lo, hi = interval
    verdict = _side(lo, hi, threshold, above)
    return Judgement(verdict, f"{_num(value, fmt)} [{_num(lo, fmt)}, {_num(hi, fmt)}]",
                     f"95% interval of {what} {op} {threshold:{fmt}}",
                     _open(verdict, lo, hi, value, threshold))


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
    j = at_least(k / n, threshold, interval=wilson(k, n), what=f"{what} (n={n})")
    return _rate_open(j, k, n, threshold)


def rate_at_most(k: int, n: int, threshold: float, *, what: str = "rate") -> Judgement:
    """A rate k/n at most ``threshold``, judged on its Wilson 95% interval."""
    if n == 0:
        return not_run(f"Wilson 95% interval of {what} <= {threshold:.3f}", "no samples")
    j = at_most(k / n, threshold, interval=wilson(k, n), what=f"{what} (n={n})")
    return _rate_open(j, k, n, threshold)


def _rate_open(j: Judgement, k: int, n: int, threshold: float) -> Judgement:
    """A rate's judgement with its sample factor from the Wilson formula itself (a rate's interval
    is lopsided near 0 and 1, which the symmetric estimate of :func:`_open` misjudges)."""
    return replace(j, undecided=(("", wilson_factor(k, n, threshold)),)) if j.undecided else j


def rate_greater(k1: int, n1: int, k2: int, n2: int, *, margin: float = 0.0,
                 names: tuple[str, str] = ("a", "b")) -> Judgement:
    """Rate k1/n1 exceeds rate k2/n2 by more than ``margin`` (Newcombe 95% interval of the difference)."""
    a, b = names
    rule = f"95% interval of {a} - {b} > {margin:g} (Newcombe)"
    if n1 == 0 or n2 == 0:
        return not_run(rule, "no samples")
    d = k1 / n1 - k2 / n2
    lo, hi = newcombe(k1, n1, k2, n2)
    verdict = _side(lo, hi, margin, above=True, strict=True)
    return Judgement(verdict, f"{k1 / n1:.3f} vs {k2 / n2:.3f}: {d:+.3f} [{lo:+.3f}, {hi:+.3f}]", rule,
                     _open(verdict, lo, hi, d, margin))


def greater(a: Sequence[float], b: Sequence[float], *, paired: bool, margin: float = 0.0,
            names: tuple[str, str] = ("a", "b"), fmt: str = ".3g", seed: int = 0) -> Judgement:
    """mean(a) exceeds mean(b) by more than ``margin``, on a bootstrap 95% interval of the difference."""
    na, nb = names
    kind = "paired " if paired else ""
    rule = f"{kind}bootstrap 95% interval of mean {na} - mean {nb} > {margin:g}"
    if len(a) == 0 or len(b) == 0:
        return not_run(rule, "no samples")
    d, lo, hi = bootstrap_diff(a, b, paired=paired, seed=seed)
    verdict = _side(lo, hi, margin, above=True, strict=True)
    ours = (f"{np.mean(a):{fmt}} vs {np.mean(b):{fmt}}: {d:+{fmt}} "
            f"[{lo:+{fmt}}, {hi:+{fmt}}] (n={len(a)}, {len(b)})")
    return Judgement(verdict, ours, rule, _open(verdict, lo, hi, d, margin))


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
    verdict = _side(lo, hi, 0.0, above=up, strict=True)
    series = " -> ".join(format(v, fmt) for v in y)
    return Judgement(verdict, f"{series} (slope {b:+.3g} [{lo:+.3g}, {hi:+.3g}])", rule,
                     _open(verdict, lo, hi, b, 0.0))


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
    return Judgement(verdict, ours, f"{judgements[0].rule}, on every one of {len(seeds)} seeds",
                     _labelled(verdict, [f"seed {s}" for s in seeds], judgements))


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

# ---------------------------------------------------------------- compound and equivalence rules


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
    verdict = _within(lo, hi, -margin, margin)
    ours = (f"{np.mean(a):{fmt}} vs {np.mean(b):{fmt}}: {d:+{fmt}} "
            f"[{lo:+{fmt}}, {hi:+{fmt}}] (n={len(a)}, {len(b)})")
    return Judgement(verdict, ours, rule, _open_band(verdict, lo, hi, d, -margin, margin))


def rate_between(k: int, n: int, low: float, high: float, *, what: str = "rate") -> Judgement:
    """A rate k/n lies in [low, high] (a printed "about half" with a visible band): its Wilson 95%
    interval inside the band holds, wholly outside it does not hold, overlapping is inconclusive."""
    if not 0 <= low <= high <= 1:
        raise ValueError(f"need 0 <= low <= high <= 1, got {low}, {high}")
    rule = f"Wilson 95% interval of {what} (n={n}) inside [{low:.2f}, {high:.2f}]"
    if n == 0:
        return not_run(rule, "no samples")
    lo, hi = wilson(k, n)
    verdict = _within(lo, hi, low, high)
    return Judgement(verdict, f"{k / n:.3f} [{lo:.3f}, {hi:.3f}] ({k}/{n})", rule,
                     (("", wilson_factor(k, n, _nearer_edge(k / n, low, high))),)
                     if verdict == INCONCLUSIVE else ())


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
    return Judgement(verdict, ours, rule, _labelled(verdict, labels, parts))


def _labelled(verdict: str, labels: Sequence[str], parts: Sequence[Judgement]) -> Undecided:
    """The undecided intervals of an inconclusive compound judgement, each under its part's label."""
    if verdict != INCONCLUSIVE:
        return ()
    return tuple((f"{lab} {sub}".strip(), f) for lab, j in zip(labels, parts, strict=True)
                 if j.verdict == INCONCLUSIVE for sub, f in j.undecided)


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
