"""Speed of one ExplainGAN training step and of one AOSPC evaluation per explanation method (issue 14).

    .venv/bin/python benchmarks/bench_explaingan.py [--threads 2] [--repeats 3] [--batch 16] [--n 32]

Training: one alternating D / (E, G) step at the chapter's default size (width 16, 32-d code,
``--batch`` images per class), in images per second (2 x batch per step). AOSPC: for each method,
the map of ``--n`` MNIST-sized images plus the AOSPC curve at t = 0.5 with K = 10 (11 black-box
passes per image), in images per second. Best wall time of ``--repeats`` runs after a warm-up; the
process CPU time is recorded too, and the 1-minute load average before and after: on a shared
machine the numbers are lower bounds. Writes ``benchmarks/results/explaingan.json``.
Random weights and random images: speed does not depend on training.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import torch
from _timing import best
from facerobust.experiments.explaingan import training, zoo
from facerobust.metrics import aospc as A
from facerobust.metrics.attribution import METHODS, attribute
from facerobust.models import explaingan_losses as L
from facerobust.models.explaingan import BlackBox, ExplainGAN

OUT = Path(__file__).parent / "results" / "explaingan.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--n", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    load0 = os.getloadavg()[0]
    bb = BlackBox().eval()
    for p in bb.parameters():
        p.requires_grad_(False)
    model = ExplainGAN()
    opt_g = torch.optim.Adam(model.generator_parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.disc.parameters(), 2e-4, betas=(0.5, 0.999))
    x = (torch.rand(a.batch, 1, 28, 28), torch.rand(a.batch, 1, 28, 28))
    w = L.LossWeights()
    wall, cpu = best(lambda: training.explaingan_step(model, bb, x, opt_g, opt_d, w), a.repeats)
    rows = {"train_step": {"img_per_s": 2 * a.batch / wall, "wall_s": wall, "cpu_s": cpu}}
    xs = torch.rand(a.n, 1, 28, 28)
    target = bb(xs).argmax(1)
    trained = zoo.Trained(model.eval(), training.TrainConfig(), {})

    def one(method: str) -> None:
        mp = (trained.explain(xs, 0).mask if method == "explaingan" else
              attribute(bb, xs, target, method, layer=bb.last_conv))
        A.aospc(bb, xs, mp, target, 0.5, 10)

    for m in (*METHODS, "explaingan"):
        wall, cpu = best(lambda m=m: one(m), a.repeats)  # type: ignore[misc]
        rows[f"aospc_{m}"] = {"img_per_s": a.n / wall, "wall_s": wall, "cpu_s": cpu}
    res = {"threads": a.threads, "batch": a.batch, "n": a.n, "torch": torch.__version__,
           "machine": platform.processor() or platform.machine(),
           "load_1min_before": load0, "load_1min_after": os.getloadavg()[0], "results": rows}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(res, indent=1))
    print(f"{'what':22s} {'img/s':>9s} {'wall s':>8s} {'cpu s':>8s}   (load {load0:.1f})")
    for k, r in rows.items():
        print(f"{k:22s} {r['img_per_s']:9.1f} {r['wall_s']:8.3f} {r['cpu_s']:8.3f}")


if __name__ == "__main__":
    main()
