"""Speed and peak memory of the pretrained face-model ports (issue 3, section 3).

    .venv/bin/python benchmarks/bench_models.py [--batch 16] [--threads 2] [--repeats 3]

For every model: forward img/s (``torch.no_grad``) and forward+backward img/s (gradient of a
scalar of the outputs with respect to the input, as an attack needs), at the given batch size and
thread count, best of ``--repeats`` timed runs after one warm-up; and the peak resident memory
of a fresh process that loads the model and runs both (``resource.getrusage``, ru_maxrss).
The process CPU time per image (all threads) is recorded too: it is much less sensitive to
other jobs on the machine than the wall-clock img/s.
Each model runs in its own subprocess so the memory peaks do not mix. Writes
``benchmarks/results/models.json`` and prints a table. The 1-minute load average before and
after is recorded: on a shared machine the numbers are lower bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
from _timing import best

OUT = Path(__file__).parent / "results" / "models.json"
MODELS = ["FaceDescriptor", "AgeGender", "FaceRes", "Expression", "DlibGender", "DlibAge"]


def _scalar(name: str, out) -> torch.Tensor:
    if name == "AgeGender":
        return out[0].sum() + out[1].sum()
    if name == "FaceRes":
        return out.gender_logit.sum() + out.age_probs.sum() + out.descriptor.sum()
    return out.sum()


def bench_one(name: str, batch: int, threads: int, repeats: int) -> dict[str, object]:
    import facerobust.models as fm

    torch.set_num_threads(threads)
    loader = {"FaceDescriptor": fm.face_descriptor, "AgeGender": fm.age_gender, "FaceRes": fm.faceres,
              "Expression": fm.expression, "DlibGender": fm.dlib_gender, "DlibAge": fm.dlib_age}[name]
    t = time.perf_counter()
    model = loader()
    load_s = time.perf_counter() - t
    x = torch.rand(batch, 3, model.size, model.size, generator=torch.Generator().manual_seed(0))

    def fwd() -> None:
        with torch.no_grad():
            model(x)

    def fwd_bwd() -> None:
        xg = x.clone().requires_grad_(True)
        torch.autograd.grad(_scalar(name, model(xg)), xg)

    (f, f_cpu), (fb, fb_cpu) = best(fwd, repeats), best(fwd_bwd, repeats)
    return {"model": name, "input": model.size, "batch": batch, "threads": threads,
            "load_s": round(load_s, 2),
            "forward_img_s": round(batch / f, 1), "forward_backward_img_s": round(batch / fb, 1),
            "forward_ms_per_batch": round(1e3 * f, 1), "forward_backward_ms_per_batch": round(1e3 * fb, 1),
            "forward_cpu_ms_per_img": round(1e3 * f_cpu / batch, 1),
            "forward_backward_cpu_ms_per_img": round(1e3 * fb_cpu / batch, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark the face-model ports.")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one", choices=MODELS, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(bench_one(a.one, a.batch, a.threads, a.repeats)))
        return
    load_before = os.getloadavg()[0]
    rows = []
    for name in MODELS:
        cmd = [sys.executable, __file__, "--one", name, "--batch", str(a.batch), "--threads", str(a.threads),
               "--repeats", str(a.repeats)]
        rows.append(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))
    result = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                          "torch": torch.__version__, "load_avg_1min_before": round(load_before, 2),
                          "load_avg_1min_after": round(os.getloadavg()[0], 2)},
              "rows": rows}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    head = (f"{'model':15} {'size':>4} {'fwd img/s':>10} {'fwd+bwd img/s':>14} {'fwd cpu ms/img':>15} "
            f"{'f+b cpu ms/img':>15} {'peak MB':>8}")
    print(head + "\n" + "-" * len(head))
    for r in rows:
        print(f"{r['model']:15} {r['input']:>4} {r['forward_img_s']:>10} {r['forward_backward_img_s']:>14} "
              f"{r['forward_cpu_ms_per_img']:>15} {r['forward_backward_cpu_ms_per_img']:>15} "
              f"{r['peak_rss_mb']:>8}")
    print(f"batch {a.batch}, {a.threads} threads; load average {result['machine']['load_avg_1min_before']} "
          f"-> {result['machine']['load_avg_1min_after']} on {os.cpu_count()} cores -> {OUT}")


if __name__ == "__main__":
    main()
