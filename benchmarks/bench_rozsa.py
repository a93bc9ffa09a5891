"""Benchmark of the Rozsa et al. attacks (chapters 01-03): FGS / FFA line search vs ART.

Measures, on one small attribute CNN (the softmax twin, 2 logits, trained briefly on the
Fashion-MNIST Upper_Body attribute), batch 256, 2 threads:
- our FGS and FFA doubling + bisection line search (integer images), images per second;
- ART's ``FastGradientMethod(norm=inf, minimal=True, eps_step=1/255, eps=1)`` on the same
  model and images (ART's minimal search scans eps upward one grey level at a time);
- the mean L-inf perturbation (grey levels) each finds, over images both turn;
- PASS throughput (images per second, 2 worker threads).
Target (issue 4): ours >= 5x ART's throughput at an equal or smaller mean perturbation.
Writes ``benchmarks/results/rozsa.json``. Run: ``.venv/bin/python benchmarks/bench_rozsa.py``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from facerobust.attacks import attribute_directions as dirs  # noqa: E402
from facerobust.data.fashion_attributes import fashion_attributes  # noqa: E402
from facerobust.metrics.pass_score import pass_score  # noqa: E402
from facerobust.models import attribute_nets as nets  # noqa: E402


def small_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    data = fashion_attributes("train", ("Upper_Body",), 3000)
    bank = nets.SmallAttributeCNN(1, 2)
    opt = torch.optim.RMSprop(bank.parameters(), lr=1e-3)
    for _ in range(2):
        for i in torch.randperm(3000).split(64):
            loss = dirs.pair_loss(bank(data.x[i]), data.a[i]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return bank.eval()


class Flat(torch.nn.Module):
    """The bank as a plain 2-class classifier (N, 2) for ART."""

    def __init__(self, bank: torch.nn.Module) -> None:
        super().__init__()
        self.bank = bank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bank(x)[:, 0, :]


def timed(fn, repeats: int = 2):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    torch.set_num_threads(2)
    bank = small_model()
    x = fashion_attributes("test", ("Upper_Body",), 256).x
    n = len(x)
    with torch.no_grad():
        pred = (dirs.score_of(bank(x))[:, 0] > 0).long()
    out: dict[str, object] = {
        "batch": n,
        "threads": 2,
        "model": "SmallAttributeCNN(1 attribute, 2 logits)",
        "load_average": os.getloadavg(),
    }
    ours = {}
    for method in ("fgs", "ffa"):
        t, res = timed(lambda m=method: dirs.flip_attack(bank, x, method=m, w0=1.0, w_max=256.0, tol=0.25))
        success = res.success[:, 0]  # one attribute
        linf = (res.x_adv[:, 0] - x).flatten(1).abs().amax(1) * 255
        ours[method] = (success, linf)
        out[f"ours_{method}"] = {
            "img_per_s": n / t,
            "success": float(success.float().mean()),
            "mean_linf_grey": float(linf[success].mean()),
            "queries": int(res.info["queries"].max()),
        }

    from art.attacks.evasion import FastGradientMethod
    from art.estimators.classification import PyTorchClassifier

    clf = PyTorchClassifier(
        Flat(bank),
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=(1, 28, 28),
        nb_classes=2,
        clip_values=(0.0, 1.0),
    )
    fgm = FastGradientMethod(clf, norm=np.inf, eps=1.0, eps_step=1 / 255, minimal=True, batch_size=n)
    labels = np.eye(2, dtype=np.float32)[pred.numpy()]
    t, xa = timed(lambda: fgm.generate(x.numpy(), y=labels))
    xa_t = torch.from_numpy(xa)
    with torch.no_grad():
        art_ok = (dirs.score_of(bank(xa_t))[:, 0] > 0).long() != pred
    art_linf = (xa_t - x).flatten(1).abs().amax(1) * 255
    out["art_fgm_minimal"] = {
        "img_per_s": n / t,
        "success": float(art_ok.float().mean()),
        "mean_linf_grey": float(art_linf[art_ok].mean()),
    }
    ok_f, linf_f = ours["fgs"]
    both = ok_f & art_ok
    out["fgs_vs_art"] = {
        "throughput_ratio": out["ours_fgs"]["img_per_s"] / out["art_fgm_minimal"]["img_per_s"],  # type: ignore[index]
        "both_turned": int(both.sum()),
        "mean_linf_ours_grey": float(linf_f[both].mean()),
        "mean_linf_art_grey": float(art_linf[both].mean()),
    }
    out["ffa_vs_art_throughput_ratio"] = out["ours_ffa"]["img_per_s"] / out["art_fgm_minimal"]["img_per_s"]  # type: ignore[index]
    r = out["fgs_vs_art"]
    out["target_met"] = bool(
        r["throughput_ratio"] >= 5 and r["mean_linf_ours_grey"] <= r["mean_linf_art_grey"]
    )  # type: ignore[index]

    xs = x.repeat(2, 1, 1, 1)[:n]
    noisy = ((xs * 255 + torch.randn_like(xs) * 4).round().clamp(0, 255)) / 255
    t, _ = timed(lambda: pass_score(noisy, xs, threads=2))
    out["pass_img_per_s"] = n / t
    path = ROOT / "benchmarks" / "results" / "rozsa.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
