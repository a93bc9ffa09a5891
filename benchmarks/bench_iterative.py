"""Speed and strength of the iterative attacks against the field's code (issue 26).

Same model, points, budget, steps and restarts for every implementation, side by side in one run:
PGD (ours vs torchattacks), APGD-CE (ours vs torchattacks vs the official AutoAttack code,
``pyautoattack`` 0.2.0), APGD-T and Square (ours vs both, at equal steps / queries). The model is
classifier A of the Defense-GAN chapter at reduced width (16 and 32 filters) trained two epochs on
4000 MNIST-5k digits (seed 0), attacked on 200 test digits at L-inf eps 0.1. One thread,
``OMP_WAIT_POLICY=PASSIVE``; each attack runs ``--repeats`` times after a warm-up and the median
wall and process CPU times are kept, with images per second and robust accuracy.

The attack's own overhead is the time outside the model's forward and backward passes: a wrapper
times every forward call, and the backward pass from the moment the gradient reaches the model's
output to the moment it leaves the model's input (an identity autograd node on the input);
``overhead = 1 - (forward + backward) / total`` (CPU time), the same wrapper for every peer.

Run: ``OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE .venv/bin/python benchmarks/bench_iterative.py``
Writes ``benchmarks/results/iterative.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from facerobust.attacks.apgd import apgd, apgd_t  # noqa: E402
from facerobust.attacks.pgd import pgd  # noqa: E402
from facerobust.attacks.square import square  # noqa: E402
from facerobust.data.digits import mnist5k  # noqa: E402
from facerobust.defenses.adversarial_training import train_classifier  # noqa: E402
from facerobust.models import classifiers  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "iterative.json"
EPS, STEP = 0.1, 0.01


class _Leave(torch.autograd.Function):
    """Identity; its backward marks when the gradient leaves the model."""

    @staticmethod
    def forward(ctx, x, timer):  # type: ignore[override]
        ctx.timer = timer
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        ctx.timer.leave()
        return g, None


class Timed(nn.Module):
    """The model, with the CPU time spent inside its forward and backward passes."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.fwd = self.bwd = 0.0
        self._entered: float | None = None

    def forward(self, x: Tensor) -> Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            x = _Leave.apply(x, self)
        t = time.process_time()
        z = self.model(x)
        self.fwd += time.process_time() - t
        if z.requires_grad:
            z.register_hook(self._enter)
        return z

    def _enter(self, g: Tensor) -> None:
        self._entered = time.process_time()

    def leave(self) -> None:
        if self._entered is not None:
            self.bwd += time.process_time() - self._entered
            self._entered = None

    def reset(self) -> None:
        self.fwd = self.bwd = 0.0


def setup() -> tuple[nn.Module, Tensor, Tensor]:
    torch.manual_seed(0)
    model = classifiers.DigitClassifier("A-narrow", classifiers._two_conv(16, 5, 32, 5, 12, True))
    tr, te = mnist5k("train"), mnist5k("test")
    train_classifier(model, tr.x[:4000], tr.y[:4000], epochs=2, seed=0)
    idx = torch.randperm(len(te), generator=torch.Generator().manual_seed(0))[:200]
    return model.eval().requires_grad_(False), te.x[idx], te.y[idx]


def implementations(m: nn.Module, x: Tensor, y: Tensor, steps: int, queries: int
                    ) -> dict[str, dict[str, Callable[[], Tensor]]]:
    """attack -> implementation -> a call returning the adversarial images."""
    import torchattacks as ta
    from pyautoattack.autopgd_base import APGDAttack, APGDAttack_targeted
    from pyautoattack.square import SquareAttack

    def g() -> torch.Generator:
        return torch.Generator().manual_seed(0)

    return {
        "PGD": {"ours": lambda: pgd(m, x, y, eps=EPS, steps=steps, step_size=STEP, generator=g()).x_adv,
                "torchattacks": lambda: ta.PGD(m, eps=EPS, alpha=STEP, steps=steps)(x, y)},
        "APGD-CE": {"ours": lambda: apgd(m, x, y, eps=EPS, steps=steps, generator=g()).x_adv,
                    "torchattacks": lambda: ta.APGD(m, eps=EPS, steps=steps)(x, y),
                    "official": lambda: APGDAttack(m, n_iter=steps, eps=EPS, seed=0).perturb(x, y)},
        "APGD-T": {"ours": lambda: apgd_t(m, x, y, eps=EPS, steps=steps, n_target_classes=3,
                                          generator=g()).x_adv,
                   "torchattacks": lambda: ta.APGDT(m, eps=EPS, steps=steps, n_classes=4)(x, y),
                   "official": lambda: APGDAttack_targeted(m, n_iter=steps, eps=EPS, seed=0,
                                                           n_target_classes=3).perturb(x, y)},
        "Square": {"ours": lambda: square(m, x, y, eps=EPS, queries=queries, generator=g()).x_adv,
                   "torchattacks": lambda: ta.Square(m, eps=EPS, n_queries=queries - 1,
                                                     resc_schedule=False)(x, y),
                   "official": lambda: SquareAttack(m, eps=EPS, n_queries=queries - 1, seed=0,
                                                    resc_schedule=False).perturb(x, y)},
    }


def measure(timed: Timed, fn: Callable[[], Tensor], x: Tensor, y: Tensor, repeats: int) -> dict[str, float]:
    fn()
    wall, cpu, inside, acc = [], [], [], []
    for _ in range(repeats):
        timed.reset()
        t, c = time.perf_counter(), time.process_time()
        adv = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        inside.append(timed.fwd + timed.bwd)
        with torch.no_grad():
            acc.append(float((timed.model(adv).argmax(1) == y).float().mean()))
    w, c = statistics.median(wall), statistics.median(cpu)
    over = statistics.median([1 - i / t for i, t in zip(inside, cpu, strict=True)])
    return {"wall_median_s": w, "cpu_median_s": c, "images_per_s_wall": len(x) / w,
            "images_per_s_cpu": len(x) / c, "overhead": over, "robust_accuracy": statistics.median(acc),
            "repeats": repeats}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--queries", type=int, default=500)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, x, y = setup()
    timed = Timed(model).eval()  # eval like the model: torchattacks restores the wrapper's mode to all of it
    load0 = os.getloadavg()
    res: dict[str, dict[str, dict[str, float]]] = {}
    for attack, impls in implementations(timed, x, y, args.steps, args.queries).items():
        res[attack] = {}
        for name, fn in impls.items():
            torch.manual_seed(0)
            r = res[attack][name] = measure(timed, fn, x, y, args.repeats)
            print(f"{attack:8s} {name:13s} {r['images_per_s_cpu']:8.1f} img/s (cpu) "
                  f"{r['images_per_s_wall']:8.1f} img/s (wall)  overhead {r['overhead']:6.1%}  "
                  f"robust acc {r['robust_accuracy']:.3f}", flush=True)
    record = {"load_avg_start": load0, "load_avg_end": os.getloadavg(), "threads": 1,
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "batch": len(x), "eps": EPS,
              "steps": args.steps, "queries": args.queries, "apgd_t_targets": 3,
              "model": "classifier A layout, 16/32 filters, 2 epochs on 4000 MNIST-5k digits",
              "torch": torch.__version__, "attacks": res}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(OUT)
    print("load", load0, os.getloadavg())


if __name__ == "__main__":
    main()
