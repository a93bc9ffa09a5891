"""Chapters 1-3 over training seeds (issue 28): how the seed-dependent verdicts move with the base seed
and with the attack sample size.

For each setting (base seed, ``n_attack``) it trains or loads chapter 1's banks for the three training
seeds ``base, base + 1, base + 2`` (``default`` profile), attacks each seed's networks as chapter 2
does, builds each seed's portability panels as chapter 3 does, and records the verdict and value of
every row N1-N4, R1-R9 and P1-P4, with the CPU seconds of each seed's attacks::

    .venv/bin/python tools/rozsa_seed_study.py                     # base seeds 0 and 1, n_attack 300
    .venv/bin/python tools/rozsa_seed_study.py --n-attack 1000     # the paper's 1000 images (R6, R8)

-> ``benchmarks/results/rozsa_seeds.json`` (or ``rozsa_seeds_n1000.json``). Everything goes through
the model and attack caches, so the chapters' own settings are the chapters' cache entries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
from dataclasses import replace
from pathlib import Path
from typing import Any

from facerobust import params, session
from facerobust.experiments.attributes import claims_table, portability, setup, tables


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(base: int, n_attack: int) -> dict[str, Any]:
    P = params.load("03_attribute_portability", "default", {"seed": base, "n_attack": n_attack})
    session.start(base, threads=P.threads)
    data = setup.attribute_data(setup.DataConfig.from_params(P), arch=P.arch)
    train = setup.TrainConfig.from_params(P)
    compute = setup.Compute(P.device, P.cluster, P.threads)
    attack = setup.AttackConfig(n_attack=P.n_attack, w0=P.w0, w_max=P.w_max, tol=P.tol, seed=P.attack_seed)
    seeds = setup.training_seeds(base, 3)
    banks = setup.seed_models(train, data, seeds, compute)
    res, cost = {}, {}
    for s in seeds:
        t = _cpu()
        res[s] = setup.attacked_seeds(replace(train, seed=s), attack, data, compute)[s]
        cost[s] = round(_cpu() - t, 1)
    conv = {s: banks[s]["euclidean"][0].converged for s in seeds}
    errs = {s: tables.error_table(banks[s], data) for s in seeds}
    rows = [*claims_table.network_claims(errs, len(data["test"])),
            *claims_table.attack_claims(res),
            *claims_table.portability_claims(portability.panels(res, conv, data["train"].names))]
    return {"base_seed": base, "seeds": seeds, "n_attack": n_attack, "attack_cpu_s": cost,
            "rows": {r.id: {"verdict": r.verdict, "ours": r.judgement.ours, "note": r.note} for r in rows}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bases", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--n-attack", type=int, default=300)
    a = ap.parse_args()
    runs = [measure(b, a.n_attack) for b in a.bases]
    flips = [k for k in runs[0]["rows"] if len({r["rows"][k]["verdict"] for r in runs}) > 1]
    out = {"date": dt.date.today().isoformat(), "runs": runs, "verdicts_that_differ": flips}
    name = "rozsa_seeds.json" if a.n_attack == 300 else f"rozsa_seeds_n{a.n_attack}.json"
    path = Path("benchmarks/results") / name
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}; verdicts that differ between base seeds: {flips or 'none'}")


if __name__ == "__main__":
    main()
