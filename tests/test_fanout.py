"""Cached units trained in-process (facerobust.fanout; the Ray path: tests/test_cluster.py) and the
checkpoint/resume of a training loop (facerobust.checkpoint)."""

from __future__ import annotations

from functools import partial

import pytest
import torch
from facerobust import cache, fanout
from facerobust.checkpoint import Checkpoint
from torch import nn


def _fit(m: nn.Module, value: float, calls: list[int]) -> dict:
    calls.append(1)
    with torch.no_grad():
        m.weight.fill_(value)
    return {"value": value}


def test_trained_units_are_cached_and_loaded(tmp_cache) -> None:
    calls: list[int] = []
    make = cache.seeded(partial(nn.Linear, 2, 2), 0)
    units = [fanout.Unit(f"u{v}", {"v": v}, make, partial(_fit, value=v, calls=calls)) for v in (1.0, 2.0)]
    first = fanout.trained(units)
    again = fanout.trained(units)
    assert len(calls) == 2  # the second call trains nothing
    for (m1, meta1), (m2, meta2), v in zip(first, again, (1.0, 2.0), strict=True):
        assert meta1 == meta2 == {"value": v} and not m2.training
        assert torch.equal(m1.weight, m2.weight) and torch.equal(m2.weight, torch.full((2, 2), v))


def test_train_one_gives_what_the_cache_stores(tmp_cache) -> None:
    """A unit trained as a Ray task would be (train_one) and stored gives the in-process entry."""
    calls: list[int] = []
    make = cache.seeded(partial(nn.Linear, 2, 2), 0)
    u = fanout.Unit("u", {"v": 3}, make, partial(_fit, value=3.0, calls=calls))
    state, meta = fanout.train_one(u.make, u.fit, 1)
    stored, _ = cache.store(u.name, u.config, u.make, u.fit, state, meta)
    ((loaded, meta2),) = fanout.trained([u])
    assert len(calls) == 1 and meta2 == {"value": 3.0} and torch.equal(loaded.weight, stored.weight)


def test_train_one_refuses_a_task_in_another_numerics_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry keyed for portable numerics is never trained by a worker that runs native kernels."""
    from facerobust import numerics

    monkeypatch.setenv(numerics.MODE_VAR, "native")
    calls: list[int] = []
    make = cache.seeded(partial(nn.Linear, 2, 2), 0)
    with pytest.raises(numerics.NumericsError, match="portable"):
        fanout.train_one(make, partial(_fit, value=1.0, calls=calls), 1, "portable")
    assert not calls
    state, _ = fanout.train_one(make, partial(_fit, value=1.0, calls=calls), 1, "native")
    assert calls == [1] and torch.equal(state["weight"], torch.ones(2, 2))


def test_checkpoint_saves_resumes_and_finishes(tmp_path) -> None:
    path = tmp_path / "ck.pt"
    net, opt_net = nn.Linear(2, 1), nn.Linear(2, 1)
    opt = torch.optim.Adam(opt_net.parameters())
    rng = torch.Generator().manual_seed(0)
    ck = Checkpoint(path, every=2)
    assert ck.resume({"net": net, "opt": opt}, rng, {"loss": []}) == (0, {"loss": []})  # nothing yet
    hist = {"loss": [1.0, 0.5]}
    ck.step(1, 5, {"net": net, "opt": opt}, rng, hist)
    assert not path.exists()  # only every 2 iterations
    ck.step(2, 5, {"net": net, "opt": opt}, rng, hist)
    assert path.exists()
    draw = torch.rand(3, generator=rng)  # the generator moves on after the checkpoint
    other = nn.Linear(2, 1)
    rng2 = torch.Generator().manual_seed(1)
    start, got = ck.resume({"net": other, "opt": opt}, rng2, {"loss": []})
    assert start == 2 and got == hist and torch.equal(other.weight, net.weight)
    assert torch.equal(torch.rand(3, generator=rng2), draw)  # the generator's state came back
    ck.step(4, 4, {"net": net, "opt": opt}, rng, hist)  # the last iteration: no checkpoint
    ck.finish()
    assert not path.exists()
    with pytest.raises(ValueError, match="every"):
        Checkpoint(path, every=0)
