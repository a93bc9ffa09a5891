"""CRISPR training-budget study (issue 15): what caps "digit kept" after a Swap.

A Swap decodes the image's own z with one a_i replaced, so it can keep the digit no better than
the round trip G(E(x)) does. This tool trains the chapter's styled-digit CRISPR (``default``
profile) at a few budgets and measures, on the chapter's test stylings with the chapter's judge:
the round trip (digit kept, each true style kept, pixel MSE), the Swap of each attribute (target
reached, digit kept, other attribute kept, Wilson 95% intervals; how many lost swaps the round trip
had already lost) and the Borrow (exemplar's style, digit kept), as the chapter draws it::

    .venv/bin/python tools/crispr_budget_study.py      # -> benchmarks/results/crispr_budget.json

Runs (``RUNS``) train side by side on a local Ray instance, one core each, and go through the
model cache: the chapter's own configuration (3000 iterations) is the chapter's cache entry.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from facerobust import cache, params, session
from facerobust.data import synthetic_styles as ss
from facerobust.experiments.crispr import evaluate as ev
from facerobust.experiments.crispr import setup, stages, training
from facerobust.metrics.intervals import wilson
from facerobust.paths import repo_root

OUT = Path("benchmarks/results/crispr_budget.json")
Change = Callable[[training.CrisprConfig], training.CrisprConfig]
RUNS: dict[str, Change] = {
    "1500 iterations, width 16": lambda c: dataclasses.replace(c, iters=1500, width=16),
    "3000 iterations, width 16": lambda c: dataclasses.replace(c, iters=3000, width=16),
    "1500 iterations, width 32": lambda c: dataclasses.replace(c, iters=1500, width=32),
}


def _rate(k: int, n: int) -> dict[str, float]:
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n, "lo": lo, "hi": hi}


def _styles(rt: ev.RoundTrip, S: stages.Setting) -> dict[str, dict[str, dict[str, float]]]:
    """Round trip: share of test images whose true style the judge reads again, per style."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for k, name in enumerate(ss.ATTRIBUTES):
        out[name] = {}
        for st, style in enumerate(ss.STYLES[name]):
            sel = S.test.styles[:, k] == st
            out[name][style] = _rate(int(rt.style_same[sel, k].sum()), int(sel.sum()))
    return out


def measure(P: Mapping[str, Any], cluster: str | None) -> list[dict[str, Any]]:
    """Train (or load) every run and measure it (see the module docstring)."""
    S = stages.styled_setting(stages.SettingConfig(seed=P["seed"], n_test=P["n_test"], n_probe=P["n_probe"],
                                                   oracle_iters=P["oracle_iters"]))
    load0 = os.getloadavg()
    base = training.CrisprConfig.from_params(P)
    jobs = [("crispr-styled", change(base)) for change in RUNS.values()]  # keys differ by config
    models = training.trained_many(jobs, setup.batch_sampler(S.canvas, jobs[0][1].batch),
                                   stages._key(S), None, cluster)
    out = []
    for label, (_, cfg), (model, meta) in zip(RUNS, jobs, models, strict=True):
        rt = ev.round_trip_eval(model, S.oracle, S.test)
        row: dict[str, Any] = {"run": label, "iters": cfg.iters, "width": cfg.width, "threads": cfg.threads,
                               "train_seconds": meta["seconds"], "round_trip_mse": rt.mse,
                               "round_trip_digit_kept": _rate(rt.digit_kept, rt.n),
                               "round_trip_style_kept": _styles(rt, S), "swaps": [], "borrows": []}
        for i in range(2):
            s = ev.swap_eval(model, S.oracle, S.test, i)
            lost = ~s.digit_same
            row["swaps"].append({
                "attribute": s.attribute, "target_reached": _rate(s.target_reached, s.n),
                "digit_kept": _rate(s.digit_kept, s.n), "other_kept": _rate(s.other_kept, s.n),
                "lost": int(lost.sum()), "lost_already_by_round_trip": int((lost & ~rt.digit_same).sum())})
        g_b = torch.Generator().manual_seed(P["seed"] + 1)  # as the chapter draws the exemplars
        for i in range(2):
            b = ev.borrow_eval(model, S.oracle, S.test, i, g_b)
            row["borrows"].append({"attribute": b.attribute, "style_matched": _rate(b.style_matched, b.n),
                                   "digit_kept": _rate(b.digit_kept, b.n)})
        out.append(row)
    for row in out:
        row.update(load_avg_start=load0, load_avg_end=os.getloadavg(),
                   date=dt.datetime.now(dt.UTC).isoformat(timespec="minutes"))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="default")
    ap.add_argument("--cluster", default="local", help="null: one after the other in this process")
    a = ap.parse_args(argv)
    P = dict(params.load("05_crispr", a.profile))
    session.start(P["seed"], threads=P["threads"])
    rows = measure(P, None if a.cluster == "null" else a.cluster)
    cache.atomic_write_bytes(repo_root() / OUT, (json.dumps(rows, indent=1) + "\n").encode())
    for r in rows:
        sw = " | ".join(f"{s['attribute']} digit {s['digit_kept']['rate']:.3f} "
                        f"({s['lost_already_by_round_trip']}/{s['lost']} lost already)" for s in r["swaps"])
        rt = r["round_trip_digit_kept"]["rate"]
        print(f"{r['run']}: round trip {rt:.3f}, mse {r['round_trip_mse']:.4f}; {sw}")


if __name__ == "__main__":
    main()
