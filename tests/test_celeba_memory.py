"""Peak memory of loading and training over a streaming CelebA split does not grow with the
number of images: 2,000 images peak within 10 % of 200 (each run in a fresh process)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from celeba_fixture import peak_of, write_celeba  # noqa: E402

EPOCH = """
import json, resource, sys, time
import torch
from facerobust.data.celeba import celeba
from facerobust import fanout
from facerobust.experiments.attributes import training

torch.set_num_threads(1)
root, names = sys.argv[1], ["Male", "Eyeglasses", "Smiling", "Young"]
train = celeba(root, "train", names, size=64, max_bytes=0)
valid = celeba(root, "valid", names, size=64, max_bytes=0, limit=20)  # the same for both
cfg = training.TrainConfig(arch="small", lr=1e-3, rms_decay=0.99, lr_gamma=1e-4, lr_power=0.75, batch=32,
                           max_epochs=1, patience=1, seed=0)
t0 = time.perf_counter()
u = training.unit("euclidean", train, valid, cfg, "cpu", 1)
state, hist = fanout.train_one(u.make, u.fit, 1)
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"type": type(train).__name__, "n": len(train), "self_mb": self_kb / 1024,
                  "worker_mb": child_kb / 1024, "seconds": time.perf_counter() - t0}))
"""


@pytest.mark.slow
def test_peak_rss_does_not_grow_with_images(tmp_path: Path) -> None:
    small = peak_of(EPOCH, write_celeba(tmp_path / "c200", 200))
    large = peak_of(EPOCH, write_celeba(tmp_path / "c2000", 2000))
    print(f"\npeak RSS, one training epoch (streaming, 64x64, batch 32): {small} vs {large}")
    assert small["type"] == large["type"] == "StreamingAttributeSet"
    assert (small["n"], large["n"]) == (160, 1600)
    assert abs(large["self_mb"] / small["self_mb"] - 1) <= 0.10
    assert abs(large["worker_mb"] / small["worker_mb"] - 1) <= 0.10
