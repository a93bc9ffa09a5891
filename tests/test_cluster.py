"""Ray fan-out: argument checks, order of results, and chapter 01's ci training on a local Ray
instance giving bit-identical cached networks and identical tables to the in-process run."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from facerobust import cache, cluster, params, session
from facerobust.experiments.attributes import setup, tables, training


def _square(x: int) -> int:
    return x * x


def test_in_process_and_checks() -> None:
    assert cluster.run(_square, [(3,), (1,), (2,)]) == [9, 1, 4]
    assert cluster.run(_square, [], "local") == []
    for bad in ("", "head 6379", 5):
        with pytest.raises(ValueError, match="cluster must be null, 'local' or a Ray address"):
            cluster.run(_square, [(1,)], bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="num_cpus must be a positive integer"):
        cluster.run(_square, [(1,)], None, num_cpus=0)
    with pytest.raises(ValueError, match="num_gpus must be >= 0"):
        cluster.run(_square, [(1,)], None, num_gpus=float("nan"))


def _processes_mentioning(text: str) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and text.encode() in (p / "cmdline").read_bytes():
                out.append(int(p.name))
        except OSError:
            continue
    return out


def _weights(root: Path) -> dict[str, str]:
    files = sorted((root / "models").glob("*.pt"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _chapter1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str | None) -> tuple[dict, Any, float]:
    root = tmp_path / f"cache-{spec}"
    monkeypatch.setenv("FACEROBUST_CACHE", str(root))
    P = dict(params.load("01_attribute_networks", "ci")) | {"cluster": spec, "device": "auto"}
    session.start(P["seed"], threads=P["threads"])
    data = setup.attribute_data(setup.DataConfig.from_params(P), arch=P["arch"])
    t0 = time.perf_counter()
    compute = training.Compute(P["device"], P["cluster"], P["threads"])
    models = setup.attribute_models(training.TrainConfig.from_params(P), data, compute)
    seconds = time.perf_counter() - t0
    return _weights(root), tables.error_table(models, data), seconds


@pytest.mark.slow
def test_ray_local_gives_the_in_process_networks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ray

    w_null, err_null, t_null = _chapter1(tmp_path, monkeypatch, None)
    w_ray, err_ray, t_ray = _chapter1(tmp_path, monkeypatch, "local")
    assert len(w_null) == 2 and w_ray == w_null  # same cache keys, byte-identical weight files
    for name in w_null:
        a = cache.load_state(tmp_path / "cache-None" / "models" / name)
        b = cache.load_state(tmp_path / "cache-local" / "models" / name)
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert err_ray.equals(err_null)
    print(f"\nchapter 01 ci training: in-process {t_null:.1f} s, Ray local {t_ray:.1f} s")
    # a second call finds every bank in the cache and starts no Ray instance
    _, err_again, _ = _chapter1(tmp_path, monkeypatch, "local")
    assert err_again.equals(err_null) and not ray.is_initialized()


@pytest.mark.slow
def _burn(seconds: float) -> int:
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return 1


def test_cpu_ledger_sums_what_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = tmp_path / "ledger"
    assert cluster.ledger_seconds(ledger) == 0.0
    monkeypatch.delenv(cluster.CPU_LEDGER_VAR, raising=False)
    cluster.record_cpu(5.0)  # no ledger named: nothing written
    monkeypatch.setenv(cluster.CPU_LEDGER_VAR, str(ledger))
    cluster.record_cpu(1.25)
    cluster.record_cpu(0.5)
    assert cluster.ledger_seconds(ledger) == pytest.approx(1.75)
    assert cluster.run(_burn, [(0.01,)], None) == [1]  # in-process: its CPU is the kernel's own
    assert cluster.ledger_seconds(ledger) == pytest.approx(1.75)


@pytest.mark.slow
def test_ray_tasks_cpu_reaches_the_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's CPU column misses Ray's workers (they are outside the kernel's process tree):
    each task measures its own CPU and the driver adds it to the ledger the runner reads."""
    import sys

    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import a test module
    ledger = tmp_path / "ledger"
    monkeypatch.setenv(cluster.CPU_LEDGER_VAR, str(ledger))
    assert cluster.run(_burn, [(0.6,), (0.6,)], "local") == [1, 1]
    assert 1.2 <= cluster.ledger_seconds(ledger) < 3.0


def test_ray_session_leaves_no_process_behind(capfd: pytest.CaptureFixture[str]) -> None:
    import ray

    with cluster.ray_session("local", num_cpus=1) as r:
        session_dir = r.get_runtime_context().gcs_address  # unique to this instance
        assert r.get(r.remote(json.dumps).remote([4])) == "[4]"
        assert _processes_mentioning(session_dir)  # the instance's processes name its address
    assert not ray.is_initialized()
    deadline = time.time() + 20
    while _processes_mentioning(session_dir) and time.time() < deadline:
        time.sleep(0.5)
    assert _processes_mentioning(session_dir) == []
    # nothing of Ray's start-up reaches a chapter's page (its processes write to our stderr)
    err = capfd.readouterr().err
    assert "Token authentication" not in err and "IProgress" not in err and "Missing packages" not in err


def _crispr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str | None) -> list[dict]:
    from facerobust.experiments.crispr import setup as cs
    from facerobust.experiments.crispr import training as ct

    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path / f"crispr-{spec}"))
    canvas = torch.rand(40, 1, 32, 32)
    jobs = [("crispr-t", ct.CrisprConfig(width=4, hidden=8, iters=3, batch=4)),
            ("crispr-t-noadv", ct.CrisprConfig(width=4, hidden=8, iters=3, batch=4, adversaries=False))]
    got = ct.trained_many(jobs, cs.batch_sampler(canvas, 4), {"data": "random"}, None, spec)
    assert [len(m[1]["history"]["encoder"]) for m in got] == [3, 3]
    return [m[0].state_dict() for m in got]


@pytest.mark.slow
def test_crispr_pair_on_ray_equals_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chapter 05 trains CRISPR and its ablation side by side: the same weights and cache entries
    as one after the other, and the thread count of the caller is left as it was."""
    before = torch.get_num_threads()
    seq = _crispr(tmp_path, monkeypatch, None)
    par = _crispr(tmp_path, monkeypatch, "local")
    for a, b in zip(seq, par, strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert _weights(tmp_path / "crispr-None") == _weights(tmp_path / "crispr-local")
    assert torch.get_num_threads() == before


def _defense_gan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str | None) -> dict[str, str]:
    from facerobust.experiments.defense_gan import zoo

    root = tmp_path / f"dgan-{spec}"
    monkeypatch.setenv("FACEROBUST_CACHE", str(root))
    p = {"seed": 0, "n_train_mnist": 100, "n_train_fashion": 100, "n_test_mnist": 4, "n_test_fashion": 4,
         "mnist_root": None, "gan_width": 4, "gan_latent": 128, "gan_iters_mnist": 2, "gan_iters_fashion": 2,
         "budget_snapshots": [1], "classifiers": ["A"], "epochs": 1, "adv_eps": [0.3], "adv_epochs": 1,
         "n_rec_train": 8, "rec_train_L": 2, "rec_train_R": 1, "rec_epochs": 1, "substitutes": ["E"],
         "sub_rounds": 1, "sub_lambda": 0.1, "sub_epochs": 1, "magnet_epochs": 1, "device": "cpu",
         "cluster": spec}
    session.start(0, threads=1)  # the threads of a Ray task: the same numerics in-process
    b = zoo.prepare_all(["mnist5k"], zoo.ZooConfig.from_params(p))["mnist5k"]
    assert set(b.classifiers) == {"A", "A-adv0.3", "A-rec"} and set(b.substitutes) == {"E"}
    snaps = sorted((root / "snapshots").glob("*.pt"))
    return _weights(root) | {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in snaps}


@pytest.mark.slow
def test_defense_gan_zoo_on_ray_equals_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chapter 7 trains its generator, classifiers, substitutes and reformer as fan-out units: on a
    local Ray instance the same cache entries with byte-identical weights (and GAN snapshots)."""
    seq = _defense_gan(tmp_path, monkeypatch, None)
    par = _defense_gan(tmp_path, monkeypatch, "local")
    assert par == seq and len(seq) == 7  # six models and the one GAN snapshot
