"""The ExplainGAN chapter's two studies (issue 28), as the chapter reads them.

``tools/explaingan_study.py steps`` trains the MNIST pairs' full model past the chapter's budget and
measures, at each step count, the pooled substituted accuracy that row E7 judges;
``tools/explaingan_study.py seeds`` judges the ablation rows E9-E11 on three training seeds. The
chapter shows each beside its claims table (:func:`steps_table`, :func:`seeds_table`) and quotes
:func:`steps_summary` and :func:`seeds_summary`, complete sentences whatever the results.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from ...metrics.intervals import wilson
from ...paths import repo_root
from ..claims import FAILS, HOLDS, INCONCLUSIVE, UNTESTABLE, seed_table

RESULTS = {
    "steps": "benchmarks/results/explaingan_steps.json",
    "seeds": "benchmarks/results/explaingan_seeds.json",
}
HOW = {"steps": "`tools/explaingan_study.py steps`", "seeds": "`tools/explaingan_study.py seeds`"}


def read(study: str) -> dict[str, Any] | None:
    """The committed result of ``study`` ('steps' or 'seeds'), or None where it has not been run."""
    if study not in RESULTS:
        raise ValueError(f"study must be one of {sorted(RESULTS)}, got {study!r}")
    path = repo_root() / RESULTS[study]
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    need = "rows" if study == "steps" else "across_seeds"
    if not isinstance(data, dict) or not data.get(need):
        raise ValueError(f"{RESULTS[study]}: expected {need}")
    return data


def steps_table(study: dict[str, Any]) -> pd.DataFrame:
    """One row per step count: pooled substituted accuracy (MNIST pairs), its Wilson interval, E7."""
    rows = []
    for r in study["rows"]:
        lo, hi = wilson(r["k"], r["n"])
        rows.append(
            {
                "GAN steps": r["steps"],
                "substituted accuracy": r["substituted_accuracy"],
                "95% interval": f"[{lo:.3f}, {hi:.3f}]",
                "ceiling": study["ceiling"],
                "E7 verdict": r["E7"]["verdict"],
            }
        )
    return pd.DataFrame(rows).set_index("GAN steps").round(3)


def settled(study: dict[str, Any]) -> int | None:
    """The first step count from which the pooled substituted accuracy stays within the 95% interval
    of its value there at every larger count measured (it stops moving beyond noise); None when even
    the last two counts differ by more than that."""
    rows = study["rows"]
    for i, r in enumerate(rows[:-1]):
        lo, hi = wilson(r["k"], r["n"])
        if all(lo <= s["substituted_accuracy"] <= hi for s in rows[i + 1 :]):
            return int(r["steps"])
    return None


_VERDICT = {
    HOLDS: "holds",
    FAILS: "does not hold",
    INCONCLUSIVE: "is inconclusive",
    UNTESTABLE: "cannot be tested",
}


def steps_summary(study: dict[str, Any] | None, chapter_steps: int) -> str:
    """The chapter's sentence on the steps study (complete for every outcome)."""
    if study is None:
        return (
            f"The steps study has not been run for this commit ({HOW['steps']}), so E7 rests on "
            f"{chapter_steps} steps alone."
        )
    rows = study["rows"]
    first, last = rows[0], rows[-1]
    s = settled(study)
    where = (
        f"stops moving beyond noise from {s} steps on"
        if s is not None
        else f"is still moving at {last['steps']} steps, the most we trained"
    )
    cost = study.get("cpu_seconds")
    spent = (
        f" The study took {cost / 60:.0f} CPU-minutes." if cost is not None and math.isfinite(cost) else ""
    )
    return (
        f"Trained longer, the pooled substituted accuracy goes from {first['substituted_accuracy']:.3f} at "
        f"{first['steps']} steps to {last['substituted_accuracy']:.3f} at {last['steps']} (ceiling "
        f"{study['ceiling']:.3f}) and {where}; at {last['steps']} steps E7 {_VERDICT[last['E7']['verdict']]}."
        + spent
    )


def seeds_table(study: dict[str, Any]) -> pd.DataFrame:
    """One row per claim: its verdict on each seed and the verdict decided across seeds."""
    return seed_table(study["per_seed"], study["across_seeds"])


def seeds_summary(study: dict[str, Any] | None) -> str:
    """The chapter's sentence on the ablation rows over seeds (complete for every outcome)."""
    if study is None:
        return (
            f"The seed study has not been run for this commit ({HOW['seeds']}), so E9-E11 rest on "
            "one training seed."
        )
    n = len(study["per_seed"])
    verdicts = {cid: r["verdict"] for cid, r in study["across_seeds"].items()}
    parts = [f"{cid} {_VERDICT[v]}" for cid, v in verdicts.items()]
    return (
        f"Decided over {n} training seeds (a row holds, or does not, only where every seed agrees): "
        + "; ".join(parts)
        + "."
    )
