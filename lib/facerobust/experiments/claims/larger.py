"""A chapter's claims at a larger setting than its profile affords, run once and kept (issue 28).

Where a row stays inconclusive because of a choice of ours (a sample size, a face count, L and R)
and lifting that choice in ``default`` does not fit the book's budget, ``tools/larger_setting.py``
runs the chapter once with the larger parameters and keeps every claim's value and verdict, with
the run's cost, machine and commit, in ``benchmarks/results/larger/<chapter>.json``.
:func:`beside` puts them next to this build's rows, so a reader sees where a verdict goes with more
compute. The rules are the same: nothing is loosened, only the setting grows.

The same record keeps a chapter's run at another training seed (``-p seed 1``, kept under a name:
``<chapter>.seed1.json``); :func:`over_seeds` decides each row over this build's seed and the kept
ones with :func:`~facerobust.experiments.claims.across_seeds`, the rule every seed study uses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ...paths import repo_root
from .records import FAILS, HOLDS, INCONCLUSIVE, Claim, Judgement
from .rules import across_seeds


@dataclass(frozen=True)
class LargerRun:
    """One run of ``chapter`` on ``profile`` with ``overrides``: at ``commit`` on ``date``, on the
    ``cpu`` with ``threads`` torch threads, taking ``cpu_s`` CPU and ``wall_s`` wall seconds;
    ``rows``: claim id -> (this book's value, verdict) as the run's claims tables show them."""

    chapter: str
    profile: str
    overrides: dict[str, Any]
    commit: str
    date: str
    cpu: str
    threads: int
    cpu_s: float
    wall_s: float
    rows: dict[str, tuple[str, str]]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["rows"] = {k: {"this book": v, "verdict": w} for k, (v, w) in self.rows.items()}
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LargerRun:
        rows = {k: (str(r["this book"]), str(r["verdict"])) for k, r in d["rows"].items()}
        return cls(**{**d, "rows": rows})

    @property
    def setting(self) -> str:
        """The overrides as the runner takes them, e.g. ``n_attack=225, face_n_attack=27``."""
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items())


def path_of(chapter: str, name: str | None = None) -> Path:
    """Where ``chapter``'s larger run is kept (``name``: a named run, e.g. ``"seed1"``)."""
    if name is not None and (not name or not name.replace("_", "").isalnum()):
        raise ValueError(f"a run's name is letters, digits and underscores, got {name!r}")
    stem = chapter if name is None else f"{chapter}.{name}"
    return repo_root() / "benchmarks" / "results" / "larger" / f"{stem}.json"


def read(chapter: str, name: str | None = None) -> LargerRun | None:
    """The kept larger (or named) run of ``chapter`` (None if none was run)."""
    p = path_of(chapter, name)
    return LargerRun.from_json(json.loads(p.read_text())) if p.exists() else None


def seed_runs(chapter: str, profile: str, seed: int, seeds: Sequence[int] = (0, 1, 2)) -> list[LargerRun]:
    """The kept runs of ``chapter`` at the other ``seeds`` (named ``seed<s>``) on ``profile``: a run
    on another profile is another computation, and this build's own ``seed`` is not another seed."""
    runs = [read(chapter, f"seed{s}") for s in seeds if s != seed]
    return [r for r in runs if r is not None and r.profile == profile]


def over_seeds(rows: Sequence[Claim], seed: int, runs: Sequence[LargerRun]) -> pd.DataFrame:
    """Each of this build's rows (trained with ``seed``) beside the kept runs at other seeds (their
    ``seed`` override), and the verdict decided across all of them: a row holds, or does not, only
    where every seed agrees (:func:`~facerobust.experiments.claims.across_seeds`); a row missing
    from a run is left undecided, and with no kept run no row is decided across seeds."""
    seeds = [int(r.overrides["seed"]) for r in runs]
    if seed in seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"one run per seed, none at this build's seed {seed}: got {seeds}")
    out = []
    for c in rows:
        per = {seed: c.verdict} | {s: r.rows.get(c.id, ("", ""))[1] for s, r in zip(seeds, runs, strict=True)}
        if not runs:  # one seed decides nothing across seeds
            across = "(no other seed run)"
        elif all(per.values()):
            judged = [Judgement(v, "", "") for v in per.values()]
            across = across_seeds(judged, list(per)).verdict
        else:
            across = "(not in every run)"
        out.append({"id": c.id, **{f"seed {s}": v for s, v in per.items()}, "across seeds": across})
    return pd.DataFrame(out).set_index("id")


def values_over_seeds(rows: Sequence[Claim], seed: int, runs: Sequence[LargerRun],
                      ids: Sequence[str]) -> pd.DataFrame:
    """How far the headline numbers move across seeds: the rows ``ids`` (in that order), each with
    its value as the claims table shows it at this build's ``seed`` and at every kept run's seed. An
    id that is not one of this build's rows is refused; a row missing from a run reads
    "(not in this run)"."""
    here = {c.id: c for c in rows}
    if missing := [i for i in ids if i not in here]:
        raise KeyError(f"not rows of this build's claims table: {', '.join(missing)}")
    out = []
    for cid in ids:
        per = {f"seed {seed}": here[cid].judgement.ours}
        per |= {f"seed {r.overrides['seed']}": r.rows.get(cid, ("(not in this run)", ""))[0] for r in runs}
        out.append({"id": cid, "claim": here[cid].statement, **per})
    return pd.DataFrame(out).set_index("id")


def beside(rows: Sequence[Claim], run: LargerRun, *, all_rows: bool = False) -> pd.DataFrame:
    """This build's rows next to the larger run's: id, claim, verdict here, verdict and value at the
    larger setting. By default only the rows that do not hold here or whose verdict moves."""
    out = []
    for c in rows:
        value, verdict = run.rows.get(c.id, ("(not in the larger run)", ""))
        if all_rows or c.verdict != HOLDS or verdict != c.verdict:
            out.append({"id": c.id, "claim": c.statement, "this build": c.verdict,
                        f"at {run.setting}": verdict, "value there": value})
    return pd.DataFrame(out, columns=["id", "claim", "this build", f"at {run.setting}", "value there"])


def seeds_summary(table: pd.DataFrame) -> str:
    """A sentence on an :func:`over_seeds` table, complete for every outcome: how many rows each
    verdict across seeds has, and whether any row holds on one seed and does not on another."""
    seeds = [c for c in table.columns if c.startswith("seed ")]
    if len(seeds) < 2:
        return "No run at another seed is kept, so this chapter's rows rest on one seed."
    across = table["across seeds"]
    n = {v: int((across == v).sum()) for v in (HOLDS, FAILS, INCONCLUSIVE)}
    missing = len(across) - sum(n.values())
    flips = [cid for cid, r in table[seeds].iterrows() if {HOLDS, FAILS} <= set(r)]
    said = (f"Over {', '.join(seeds)}: {n[HOLDS]} of {len(across)} rows hold on every seed, "
            f"{n[FAILS]} do not hold on every seed and {n[INCONCLUSIVE]} are inconclusive across seeds")
    said += f" ({missing} not in every run)" if missing else ""
    said += (f"; {len(flips)} row(s) hold on one seed and do not on another ({', '.join(flips)})." if flips
             else "; no row holds on one seed and fails on another.")
    return said


__all__ = ["LargerRun", "beside", "over_seeds", "path_of", "read", "seed_runs", "seeds_summary",
           "values_over_seeds"]
