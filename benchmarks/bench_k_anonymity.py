"""Speed of our DeepFool and C&W-L2 beside torchattacks, Foolbox and ART (K-anonymity chapter).

Same LeNet-5 (trained on MNIST-5k, cached), same correctly classified images, 2 threads, median of
repeated runs; success rate and median L2 of each run are recorded beside the images per second.
Run: ``.venv/bin/python benchmarks/bench_k_anonymity.py [--n 100] [--repeats 3]``.
Writes ``benchmarks/results/k_anonymity.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from facerobust.attacks.cw import cw_l2
from facerobust.attacks.deepfool import deepfool
from facerobust.data.digits import mnist5k
from facerobust.experiments.k_anonymity.run import _train
from facerobust.models import small_nets

Attack = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def _ours_df(m, x, y):
    return deepfool(m, x, y, candidates=10, steps=50, overshoot=0.02).x_adv


def _ours_cw(m, x, y):
    return cw_l2(m, x, y, c=1.0, binary_steps=5, steps=100, lr=0.05, abort_early=True).x_adv


def _ta(name: str) -> Attack:
    import torchattacks as ta

    def run(m, x, y):
        atk = (
            ta.DeepFool(m, steps=50, overshoot=0.02)
            if name == "df"
            else ta.CW(m, c=1.0, kappa=0, steps=100, lr=0.05)
        )
        return atk(x, y)

    return run


def _fb(name: str) -> Attack:
    import foolbox as fb

    def run(m, x, y):
        fm = fb.PyTorchModel(m, bounds=(0, 1))
        atk = (
            fb.attacks.L2DeepFoolAttack(steps=50, candidates=10, overshoot=0.02)
            if name == "df"
            else fb.attacks.L2CarliniWagnerAttack(
                binary_search_steps=5, steps=100, stepsize=0.05, initial_const=1.0
            )
        )
        return atk(fm, x, y, epsilons=None)[1]

    return run


def _art(name: str) -> Attack:
    from art.attacks.evasion import CarliniL2Method, DeepFool
    from art.estimators.classification import PyTorchClassifier

    def run(m, x, y):
        clf = PyTorchClassifier(
            m,
            loss=torch.nn.CrossEntropyLoss(),
            input_shape=tuple(x.shape[1:]),
            nb_classes=10,
            clip_values=(0.0, 1.0),
        )
        atk = (
            DeepFool(clf, max_iter=50, epsilon=0.02, nb_grads=10, batch_size=len(x), verbose=False)
            if name == "df"
            else CarliniL2Method(
                clf,
                confidence=0.0,
                learning_rate=0.05,
                binary_search_steps=5,
                max_iter=100,
                initial_const=1.0,
                batch_size=len(x),
                verbose=False,
            )
        )
        return torch.from_numpy(atk.generate(x.numpy(), y=y.numpy())).float()

    return run


def measure(fn: Attack, m, x, y, repeats: int) -> dict[str, float]:
    times, succ, l2 = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        adv = fn(m, x, y)
        times.append(time.perf_counter() - t0)
        with torch.no_grad():
            ok = m(adv).argmax(1) != y
        succ.append(float(ok.float().mean()))
        l2.append(float((adv - x).flatten(1).norm(dim=1)[ok].median()) if ok.any() else float("nan"))
    t = statistics.median(times)
    return {
        "img_per_s": len(x) / t,
        "seconds": t,
        "success": statistics.median(succ),
        "median_l2": statistics.median(l2),
        "runs": repeats,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    tr = mnist5k("train")
    model = _train(
        "k-anon-lenet5", small_nets.lenet5, tr, {"n_train": 4000, "epochs": 20, "lr": 2e-3, "seed": 0}
    )
    idx = torch.randperm(len(tr), generator=torch.Generator().manual_seed(1))[: 2 * args.n]
    with torch.no_grad():
        ok = model(tr.x[idx]).argmax(1) == tr.y[idx]
    x, y = tr.x[idx][ok][: args.n], tr.y[idx][ok][: args.n]
    runs = {
        "DeepFool": {"ours": _ours_df, "torchattacks": _ta("df"), "foolbox": _fb("df"), "ART": _art("df")},
        "C&W-L2": {"ours": _ours_cw, "torchattacks": _ta("cw"), "foolbox": _fb("cw"), "ART": _art("cw")},
    }
    out: dict[str, object] = {
        "n_images": len(x),
        "threads": 2,
        "model": "LeNet-5 (MNIST-5k)",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "note": "timed on a shared 2-core machine under contention from other jobs",
        "settings": {
            "DeepFool": "steps 50, 10 candidates, overshoot 0.02",
            "C&W-L2": "c0 = 1, 5 binary-search steps (torchattacks: none), 100 Adam steps at lr 0.05",
        },
    }
    for attack, libs in runs.items():
        res = {}
        for lib, fn in libs.items():
            if args.only and lib not in args.only.split(","):
                continue
            res[lib] = measure(fn, model, x, y, args.repeats)
            print(attack, lib, {k: round(v, 3) for k, v in res[lib].items()}, flush=True)
        peers = {k: v for k, v in res.items() if k != "ours"}
        if "ours" in res and peers:
            fastest = max(peers, key=lambda k: peers[k]["img_per_s"])
            o, f = res["ours"], peers[fastest]
            res["verdict"] = {
                "fastest_peer": fastest,
                "speed_ratio": o["img_per_s"] / f["img_per_s"],
                "target_met": bool(
                    o["img_per_s"] >= f["img_per_s"]
                    and o["success"] >= f["success"]
                    and (np.isnan(f["median_l2"]) or o["median_l2"] <= 1.01 * f["median_l2"])
                ),
            }
        out[attack] = res
    path = Path(__file__).parent / "results" / "k_anonymity.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print("wrote", path)


if __name__ == "__main__":
    main()
