"""Timing of every attack on fixed inputs, before and after the one-contract refactor (issue 12).

One thread, ``OMP_WAIT_POLICY=PASSIVE``; a LeNet-5 trained for three epochs on 1500 MNIST-5k
images (seed 0) and 32 fixed test images; each attack is run ``--repeats`` times and the
median wall time and the median ``time.process_time()`` CPU time are recorded with the load
average. The machine may be shared: CPU time is the fairer number.

Run: ``OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE .venv/bin/python benchmarks/bench_contract.py --tag before``
Writes (merges into) ``benchmarks/results/contract_before_after.json``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from _timing import runs  # noqa: E402
from facerobust.attacks import attribute_directions as dirs  # noqa: E402
from facerobust.attacks import blackbox, cw, deepfool, fgsm, k_anonymity, lbfgs  # noqa: E402
from facerobust.data.digits import mnist5k  # noqa: E402
from facerobust.models.small_nets import fit_classifier, lenet5  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "contract_before_after.json"


def _new_api(fn: Callable[..., object]) -> bool:
    return "targeted" in inspect.signature(fn).parameters


def setup() -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    data = mnist5k("train")
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    model = lenet5()
    fit_classifier(model, data.x[idx[:1500]], data.y[idx[:1500]], epochs=3, seed=0)
    sub = lenet5()
    fit_classifier(sub, data.x[idx[1500:2000]], data.y[idx[1500:2000]], epochs=3, seed=1)
    x, y = data.x[idx[2000:2032]], data.y[idx[2000:2032]]
    return model.eval(), sub.eval(), x, y


class Bank(torch.nn.Module):
    """Two 'attributes' (class 0 vs rest, class 1 vs rest) of the LeNet as a 2-logit bank."""

    n_out, n_attributes = 2, 2

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.model(x.flatten(0, 1)).view(*x.shape[:2], -1)
        f = torch.stack([z[:, 0, 0], z[:, 1, 1]], 1) - z.mean(-1)
        return torch.stack([torch.zeros_like(f), f], -1)


def attacks(model, sub, x, y):  # type: ignore[no-untyped-def]
    new = _new_api(fgsm.fgsm)
    with torch.no_grad():
        z = model(x)
    second = z.masked_fill(torch.nn.functional.one_hot(y, 10).bool(), -torch.inf).argmax(1)
    k = k_anonymity.assign_groups(len(x), 3, torch.Generator().manual_seed(0))
    bank = Bank(model)
    g = torch.Generator()
    if new:
        return {
            "fgsm": lambda: fgsm.fgsm(model, x, y, eps=0.1),
            "rand_fgsm": lambda: fgsm.rand_fgsm(model, x, y, eps=0.3, alpha=0.05, generator=g.manual_seed(0)),
            "blackbox_fgsm": lambda: blackbox.blackbox_fgsm(model, x, y, substitute=sub, eps=0.3),
            "deepfool": lambda: deepfool.deepfool(model, x, y, candidates=10, steps=50, overshoot=0.02),
            "cw_l2": lambda: cw.cw_l2(model, x, second, targeted=True, binary_steps=2, steps=50),
            "lbfgs": lambda: lbfgs.lbfgs(model, x[:8], second[:8], targeted=True, search_steps=2, iters=20),
            "k_anonymity": lambda: k_anonymity.k_anonymity(model, x, y, k=k, steps=100, lr=0.05),
            "flip_attack_ffa": lambda: dirs.flip_attack(bank, x, method="ffa"),
            "flip_attack_fgs": lambda: dirs.flip_attack(bank, x, method="fgs"),
        }
    return {
        "fgsm": lambda: fgsm.fgsm(model, x, y, 0.1),
        "rand_fgsm": lambda: fgsm.rand_fgsm(model, x, y, 0.3, 0.05, generator=g.manual_seed(0)),
        "blackbox_fgsm": lambda: blackbox.blackbox_fgsm(sub, model, x, y, 0.3),
        "deepfool": lambda: deepfool.deepfool(model, x, y, candidates=10, steps=50, overshoot=0.02),
        "cw_l2": lambda: cw.cw_l2(model, x, y, target=second, binary_steps=2, steps=50),
        "lbfgs": lambda: lbfgs.lbfgs(model, x[:8], second[:8], search_steps=2, iters=20),
        "k_anonymity": lambda: k_anonymity.k_anonymity(model, x, y, k, steps=100, lr=0.05),
        "flip_attack_ffa": lambda: dirs.flip_attack(bank, x, "ffa"),
        "flip_attack_fgs": lambda: dirs.flip_attack(bank, x, "fgs"),
    }


def measure(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    wall, cpu = runs(fn, repeats)
    return {"wall_median_s": statistics.median(wall), "cpu_median_s": statistics.median(cpu),
            "wall_min_s": min(wall), "cpu_min_s": min(cpu), "repeats": repeats}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", required=True, help="'before' or 'after'")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, sub, x, y = setup()
    load0 = os.getloadavg()
    res = {name: measure(fn, args.repeats) for name, fn in attacks(model, sub, x, y).items()}
    record = {"load_avg_start": load0, "load_avg_end": os.getloadavg(), "threads": 1,
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "batch": len(x), "attacks": res}
    old = json.loads(OUT.read_text()) if OUT.exists() else {}
    old[args.tag] = record
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(old, indent=1))
    tmp.replace(OUT)
    for name, r in res.items():
        print(f"{name:18s} wall {r['wall_median_s']:.3f}s  cpu {r['cpu_median_s']:.3f}s")
    print("load", load0, os.getloadavg())


if __name__ == "__main__":
    main()
