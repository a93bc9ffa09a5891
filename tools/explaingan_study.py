"""ExplainGAN studies (issue 28): the GAN steps at which substitutability stops moving, and the
ablation rows over 3 training seeds.

``steps``: the chapter's ``default`` ExplainGAN trains 200 steps, and its MNIST substitutability row
(E7, "near the ceiling") does not hold. This trains the full model of every MNIST pair once, to the
largest of ``--steps``, exactly as the chapter's training loop does (same seeds, same batches: the
200-step snapshot is the chapter's model), and at each listed step count measures the pooled
substituted accuracy (the chapter's four columns, the black box's architecture retrained on each
substituted set) and judges E7 with the chapter's rule::

    .venv/bin/python tools/explaingan_study.py steps   # -> benchmarks/results/explaingan_steps.json

or one pair per process, pooled afterwards (``--pair 3 8 --out /tmp/p38.json`` ..., then
``merge /tmp/p38.json /tmp/p49.json ...``).

``seeds``: the ablation rows (E9-E11, "Both transformed": full beats norec / nomask / cyclegan)
rest on one training. This trains every variant on the chapter's ablation pairs with training seeds
0, 1 and 2 (seed 0 is the chapter's cache entry; the data split and the black box keep the
profile's seed), judges each row per seed and across seeds (``claims.across_seeds``)::

    .venv/bin/python tools/explaingan_study.py seeds   # -> benchmarks/results/explaingan_seeds.json

Both record the CPU they ran on and the CPU seconds they took.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime as dt
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from facerobust import cache, numerics, params, session
from facerobust.experiments import claims as C
from facerobust.experiments.explaingan import claims_table as eg_claims
from facerobust.experiments.explaingan import evaluate, stages, training, zoo
from facerobust.paths import repo_root

SUBST_COLS = ("Transformed 0", "Transformed 1", "Composite 0", "Composite 1")
VARIANTS = ("full", "norec", "nomask", "cyclegan")


def _header(P: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
        "cpu": numerics.cpu_kind(),
        "threads": torch.get_num_threads(),
        "load_avg_start": os.getloadavg(),
        "profile_seed": P["seed"],
    }


def _chosen(P: Mapping[str, Any]) -> dict[str, float]:
    """The coefficients the chapter chooses on the validation split (cached runs)."""
    SC = stages.Config.from_params(P)
    return stages.choose_weights(SC, stages.task(SC, "mnist5k", P["grid_pair"]))[0]


def fit_snapshots(t: stages.Task, cfg: training.TrainConfig, at: list[int]) -> dict[int, zoo.Trained]:
    """:func:`training.fit_gan` for ``max(at)`` steps with copies of the model after each step count
    in ``at`` (the same seeds and draws, so the snapshot at ``cfg.steps`` is the chapter's model)."""
    x0, x1 = training.split_by_prediction(t.bb, t.pair.gan_train.x)
    torch.manual_seed(cfg.seed)
    model = training.build(cfg, t.pair.gan_train.x.shape[1])
    torch.manual_seed(cfg.seed)
    draw = training._sampler(x0, x1, cfg.batch, cfg.seed)
    opt_g = torch.optim.Adam(model.generator_parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.disc.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    model.train()
    out: dict[int, zoo.Trained] = {}
    for step in range(max(at)):
        training.explaingan_step(model, t.bb, draw(), opt_g, opt_d, cfg.weights)  # type: ignore[arg-type]
        if step + 1 in at:
            snap = copy.deepcopy(model)  # not a fresh build: that would draw from the global generator
            out[step + 1] = zoo.Trained(snap.eval(), dataclasses.replace(cfg, steps=step + 1), {})
    return out


Key = tuple[str, tuple[str, ...]]


def _rows(
    subst: dict[int, dict[Key, dict[str, evaluate.Score]]], ceil: dict[Key, evaluate.Score]
) -> list[dict]:
    """Per step count: the pooled substituted accuracy of the MNIST pairs and E7 judged on it."""
    rows = []
    for s in sorted(subst):
        e7 = eg_claims._subst_rows(subst[s], ceil)[0]
        ks = sum(sc.correct for d in subst[s].values() for sc in d.values())
        ns = sum(sc.n for d in subst[s].values() for sc in d.values())
        per_pair = {"/".join(k[1]): {c: sc.accuracy for c, sc in d.items()} for k, d in subst[s].items()}
        rows.append(
            {
                "steps": s,
                "substituted_accuracy": ks / ns,
                "k": ks,
                "n": ns,
                "per_pair": per_pair,
                "E7": {"verdict": e7.verdict, "ours": e7.judgement.ours, "rule": e7.judgement.rule},
            }
        )
    return rows


def _result(subst: dict[int, dict[Key, dict[str, evaluate.Score]]], ceil: dict[Key, evaluate.Score]) -> dict:
    kc, nc = sum(c.correct for c in ceil.values()), sum(c.n for c in ceil.values())
    raw = {
        "/".join(k[1]): {
            "ceiling": [c.correct, c.n],
            "scores": {str(s): {col: [sc.correct, sc.n] for col, sc in subst[s][k].items()} for s in subst},
        }
        for k, c in ceil.items()
    }
    return {"steps": sorted(subst), "ceiling": kc / nc, "rows": _rows(subst, ceil), "raw": raw}


def steps_study(P: Mapping[str, Any], at: list[int], pairs: list[list[Any]] | None = None) -> dict[str, Any]:
    """The steps study on ``pairs`` (default: the profile's MNIST pairs; one pair per process, then
    ``merge``, spreads it over several cores)."""
    head, cpu0 = _header(P), time.process_time()
    chosen = _chosen(P)
    pairs = pairs or P["mnist_pairs"]
    SC = stages.Config.from_params(P)
    tasks = stages.tasks(SC, [("mnist5k", p) for p in pairs])
    ceil = {k: evaluate.ceiling(t.bb, t.pair) for k, t in tasks.items()}
    subst: dict[int, dict[Key, dict[str, evaluate.Score]]] = {s: {} for s in at}
    same = []
    for k, t in tasks.items():
        cfg = stages.config(SC, stages.weights(SC, "mnist5k", chosen))
        snaps = fit_snapshots(t, cfg, at)
        if cfg.steps in snaps:  # the snapshot at the chapter's step count is the chapter's model
            ref = zoo.explaingan(t.pair, t.bb, cfg, P["bb_epochs"], P["seed"]).model.state_dict()
            got = snaps[cfg.steps].model.state_dict()
            same.append(all(torch.equal(ref[n], got[n]) for n in ref))
        for s, tr in snaps.items():
            subst[s][k] = evaluate.substitutability(tr, t.pair, SUBST_COLS, P["bb_epochs"], P["seed"])
    return {
        **head,
        **_result(subst, ceil),
        "chapter_model_reproduced": same,
        "cpu_seconds": time.process_time() - cpu0,
        "load_avg_end": os.getloadavg(),
    }


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One steps study from per-pair runs: pooled again from their raw counts, CPU seconds summed."""
    subst: dict[int, dict[Key, dict[str, evaluate.Score]]] = {}
    ceil: dict[Key, evaluate.Score] = {}
    for part in parts:
        for pair, r in part["raw"].items():
            key = ("mnist5k", tuple(pair.split("/")))
            ceil[key] = evaluate.Score(*r["ceiling"])
            for s, cols in r["scores"].items():
                subst.setdefault(int(s), {})[key] = {c: evaluate.Score(*kn) for c, kn in cols.items()}
    head = {k: parts[0][k] for k in ("date", "cpu", "threads", "profile_seed", "load_avg_start")}
    return {
        **head,
        **_result(subst, ceil),
        "chapter_model_reproduced": [x for p in parts for x in p["chapter_model_reproduced"]],
        "cpu_seconds": sum(p["cpu_seconds"] for p in parts),
        "parts": len(parts),
    }


def seeds_study(P: Mapping[str, Any], seeds: list[int]) -> dict[str, Any]:
    head, cpu0 = _header(P), time.process_time()
    chosen, SC = _chosen(P), stages.Config.from_params(P)
    per_seed, judged = [], {}
    for s in seeds:
        abl: dict[Any, dict[str, evaluate.Score]] = {}
        for d, p in P["ablation_pairs"]:
            t = stages.task(SC, d, p)
            k = (d, tuple(map(str, p)))
            for v in VARIANTS:
                cfg = dataclasses.replace(stages.config(SC, stages.weights(SC, d, chosen), v), seed=s)
                tr = zoo.explaingan(t.pair, t.bb, cfg, P["bb_epochs"], P["seed"])
                abl[(k, v)] = evaluate.substitutability(tr, t.pair, ("Both transformed",), P["bb_epochs"], s)
        rows = eg_claims._ablation_rows(abl)
        judged[s] = {r.id: r.judgement for r in rows}
        per_seed.append(
            {
                "seed": s,
                "both_transformed": {
                    f"{'/'.join(k[1])} {v}": sc["Both transformed"].accuracy for (k, v), sc in abl.items()
                },
                "verdicts": {r.id: {"verdict": r.verdict, "ours": r.judgement.ours} for r in rows},
            }
        )
    decided = {cid: C.across_seeds([judged[s][cid] for s in seeds], seeds) for cid in judged[seeds[0]]}
    return {
        **head,
        "seeds": seeds,
        "per_seed": per_seed,
        "across_seeds": {
            cid: {"verdict": j.verdict, "ours": j.ours, "rule": j.rule} for cid, j in decided.items()
        },
        "cpu_seconds": time.process_time() - cpu0,
        "load_avg_end": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", choices=("steps", "seeds", "merge"))
    ap.add_argument("parts", nargs="*", help="merge: the per-pair steps results to pool")
    ap.add_argument("--pair", type=int, nargs=2, default=None, help="steps: one MNIST pair only")
    ap.add_argument("--profile", default="default")
    ap.add_argument("--steps", type=int, nargs="+", default=[200, 400, 800, 1600, 3200])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", default=None, help="default: benchmarks/results/explaingan_<study>.json")
    a = ap.parse_args(argv)
    P = dict(params.load("06_explaingan", a.profile))
    session.start(P["seed"], threads=P["threads"])
    if a.study == "merge":
        result = merge([json.loads(Path(f).read_text()) for f in a.parts])
    elif a.study == "steps":
        result = steps_study(P, sorted(a.steps), [list(a.pair)] if a.pair else None)
    else:
        result = seeds_study(P, a.seeds)
    study = "steps" if a.study == "merge" else a.study
    out = repo_root() / (a.out or f"benchmarks/results/explaingan_{study}.json")
    cache.atomic_write_bytes(out, (json.dumps(result, indent=1) + "\n").encode())
    print(
        json.dumps(
            {k: v for k, v in result.items() if k in ("rows", "across_seeds", "cpu_seconds")}, indent=1
        )
    )


if __name__ == "__main__":
    main()
