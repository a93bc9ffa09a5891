"""The card's tables, built from :class:`~.results.TargetResult` s, and the words of its verdicts.

* :func:`card` - one row per (model, budget): clean and robust accuracy with Wilson 95% intervals,
  the attacks that broke the points, CPU seconds and queries per point;
* :func:`overview` - one row per model: clean accuracy, robust accuracy at the standard budget,
  median minimal perturbations (L2 by DeepFool / C&W, L-inf from the curve), sanity checks failed;
* :func:`curves` - the accuracy-perturbation curves as a long table (one figure per family);
* :func:`short_answer` - the introduction's table: per family and model, clean, robust at the
  standard budget and a verdict in words (:func:`verdict`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from ...metrics.intervals import wilson
from .. import claims
from .results import TargetResult
from .sanity import sanity_claims

KEEPS = "keeps at least half its clean accuracy"
LOSES = "loses more than half its clean accuracy"
UNCLEAR = "cannot tell whether it keeps half its clean accuracy"


def verdict(k: int, n: int, clean: float, failed: Sequence[str] = ()) -> str:
    """The short answer for one model: whether robust accuracy ``k / n`` (Wilson 95% interval) keeps
    half of the ``clean`` accuracy, and, when sanity checks ``failed``, that the evaluation is
    flagged. Every branch makes a sentence after "the model ...".

    Example::

        verdict(0, 100, 0.99)  # "loses more than half its clean accuracy"
    """
    if n <= 0 or not 0 <= k <= n or not 0 <= clean <= 1:
        raise ValueError(f"need 0 <= k <= n, n > 0 and clean in [0, 1]; got k={k}, n={n}, clean={clean}")
    lo, hi = wilson(k, n)
    half = clean / 2
    words = KEEPS if lo >= half and clean > 0 else (LOSES if hi < half else UNCLEAR)
    if failed:
        words += f" (evaluation flagged: {', '.join(failed)})"
    return words


def _rate(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k / n:.2f} [{lo:.2f}, {hi:.2f}]"


def _broken_by(r: TargetResult, label: str) -> str:
    wc = r.by_budget[label]
    counts = [(s, int((wc.broken_by == i).sum())) for i, s in enumerate(wc.stages) if i > 0]
    return ", ".join(f"{s} {c}" for s, c in counts if c) or "none"


def card(results: Sequence[TargetResult]) -> pd.DataFrame:
    """One row per (model, budget); ``robust`` is the per-point worst case over every attack run at
    that budget (at the standard budget the sanity checks' attacks too)."""
    rows = []
    for r in results:
        for b in r.plan.budgets:
            wc = r.by_budget[b.label]
            q = wc.queries[wc.queries >= 0]
            rows.append({"family": r.target.family, "model": r.target.name, "budget": b.label,
                         "standard": b == r.standard_budget, "n": wc.n,
                         "clean": _rate(int((wc.broken_by != 0).sum()), wc.n), "robust": _rate(wc.k, wc.n),
                         "broken by": _broken_by(r, b.label), "CPU s": round(sum(wc.cpu_seconds), 1),
                         "queries / point": round(float(q.float().mean()), 0) if len(q) else math.nan})
    return pd.DataFrame(rows)


def failed_checks(r: TargetResult) -> list[str]:
    """Names of the target's sanity checks that do not hold."""
    return [c.id.removeprefix(f"S-{r.target.key}-") for c in sanity_claims(r) if c.verdict == claims.FAILS]


REMEDIED = ("deterministic", "static")
"""Checks whose remedy (EOT, BPDA) the card applies to a target attacked through a surrogate."""


def flags(r: TargetResult) -> list[str]:
    """The failed checks that flag the target's verdict: all of :func:`failed_checks`, except, for a
    target attacked through a surrogate, those in :data:`REMEDIED` (the attack already does what the
    check asks for)."""
    return [c for c in failed_checks(r) if not (r.target.adaptive and c in REMEDIED)]


def overview(results: Sequence[TargetResult]) -> pd.DataFrame:
    """One row per model (see the module docstring); medians over clean-correct points."""
    rows = []
    for r in results:
        wc = r.standard
        rows.append({"family": r.target.family, "model": r.target.name, "trained in": r.target.source,
                     "n": wc.n, "clean": round(r.clean_k / wc.n, 3),
                     "robust (standard budget)": _rate(wc.k, wc.n),
                     "standard budget": r.standard_budget.label,
                     "median min L2": round(r.median_l2(), 3), "median min L-inf": r.curve.median_min_eps(),
                     "checks failed": ", ".join(failed_checks(r)) or "none", "CPU s": round(r.cpu_total, 1)})
    return pd.DataFrame(rows)


def curves(results: Sequence[TargetResult]) -> pd.DataFrame:
    """Long table: family, model, eps, robust accuracy and its Wilson interval, one row per grid radius."""
    rows = []
    for r in results:
        c = r.curve
        for eps, k in zip(c.eps, c.robust, strict=True):
            lo, hi = wilson(k, c.n)
            rows.append({"family": r.target.family, "model": r.target.name, "eps": eps, "accuracy": k / c.n,
                         "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def short_answer(results: Sequence[TargetResult]) -> pd.DataFrame:
    """The introduction's table: per model, clean accuracy, robust accuracy at the standard budget
    (with its interval) and :func:`verdict`."""
    rows = []
    for r in results:
        wc, clean = r.standard, r.clean_k / r.standard.n
        rows.append({"family": r.target.family, "model": r.target.name, "key": r.target.key,
                     "budget": r.standard_budget.label, "clean": clean, "robust": wc.accuracy,
                     "interval": "[{:.2f}, {:.2f}]".format(*wc.interval()),
                     "verdict": verdict(wc.k, wc.n, clean, flags(r))})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> str:
    """One sentence over the rows of :func:`short_answer`: how many models keep at least half their
    clean accuracy at their standard budget, and which (a clause that reads after "In short:")."""
    total = len(frame)
    if total == 0:
        raise ValueError("summary: no models")
    keeps = [str(m) for m, v in zip(frame.model, frame.verdict, strict=True) if str(v).startswith(KEEPS)]
    if not keeps:
        return f"none of the {total} models keeps half its clean accuracy at its standard budget"
    if len(keeps) == total:
        return f"all {total} models keep at least half their clean accuracy at their standard budget"
    verb = "keeps" if len(keeps) == 1 else "keep"
    return (f"{len(keeps)} of the {total} models {verb} at least half of their clean accuracy at their "
            f"standard budget ({'; '.join(keeps)})")


def glue_key(key: str) -> str:
    """A target key as a glue name: letters, digits and underscores ("Male/faceapi" -> "Male_faceapi")."""
    return "".join(c if c.isalnum() else "_" for c in key)


def short_answer_glue(frame: pd.DataFrame) -> dict[str, object]:
    """The values the introduction's short answer reads, per row of :func:`short_answer`:
    ``sa_<key>_{name, budget, clean, robust, interval, verdict}``, and ``sa_summary`` (:func:`summary`)."""
    out: dict[str, object] = {"sa_summary": summary(frame)}
    for row in frame.itertuples():
        k = glue_key(str(row.key))
        out.update({f"sa_{k}_name": row.model, f"sa_{k}_budget": row.budget,
                    f"sa_{k}_clean": float(row.clean), f"sa_{k}_robust": float(row.robust),
                    f"sa_{k}_interval": row.interval, f"sa_{k}_verdict": row.verdict})
    return out


def check_matrix(results: Sequence[TargetResult]) -> pd.DataFrame:
    """Models x sanity checks: each cell the check's verdict."""
    rows = {r.target.name: {c.id.removeprefix(f"S-{r.target.key}-"): c.verdict for c in sanity_claims(r)}
            for r in results}
    return pd.DataFrame(rows).T


__all__ = ["KEEPS", "LOSES", "REMEDIED", "UNCLEAR", "card", "check_matrix", "curves", "failed_checks",
           "flags", "glue_key", "overview", "short_answer", "short_answer_glue", "summary", "verdict"]
