"""The trained-model cache: keyed by config, code and data, atomic, weights-only loading."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pytest
import torch
from facerobust import cache
from torch import nn


def _make() -> nn.Module:
    return nn.Linear(3, 2)


def test_fit_once_then_load(tmp_cache) -> None:
    calls = []

    def fit(m: nn.Module) -> dict:
        calls.append(1)
        with torch.no_grad():
            m.weight.fill_(1.5)
        return {"loss": 0.25}

    m1, meta1 = cache.cached_module("lin", {"w": 1}, _make, fit)
    m2, meta2 = cache.cached_module("lin", {"w": 1}, _make, fit)
    assert calls == [1]
    assert meta1 == meta2 == {"loss": 0.25}
    assert torch.equal(m2.weight, torch.full((2, 3), 1.5))
    assert not m2.training


def test_key_depends_on_config_code_and_data() -> None:
    a = cache.key("m", {"lr": 0.1}, _make)
    assert a == cache.key("m", {"lr": 0.1}, _make)
    assert a != cache.key("m", {"lr": 0.2}, _make)
    assert a != cache.key("m", {"lr": 0.1}, test_key_depends_on_config_code_and_data)
    x = torch.ones(3)
    fit = partial(_fit_on, x=x)
    assert cache.key("m", {}, fit) == cache.key("m", {}, partial(_fit_on, x=torch.ones(3)))
    assert cache.key("m", {}, fit) != cache.key("m", {}, partial(_fit_on, x=torch.zeros(3)))
    assert cache.key("m", {}, fit) != cache.key("m", {}, partial(_fit_on, x=torch.ones(3).double()))
    net = nn.Linear(2, 2)
    k = cache.key("m", {}, partial(_fit_on, x=net))
    with torch.no_grad():
        net.weight.add_(1)
    assert cache.key("m", {}, partial(_fit_on, x=net)) != k  # a model it holds: its weights count


def _fit_on(m: nn.Module, x: object) -> dict:
    return {}


def test_config_may_be_a_dataclass() -> None:
    @dataclass(frozen=True)
    class Cfg:
        lr: float

    assert cache.key("m", Cfg(0.1), _make) == cache.key("m", {"lr": 0.1}, _make)
    with pytest.raises(TypeError, match="dataclass or a mapping"):
        cache.key("m", [0.1], _make)


def test_seeded_and_recorded() -> None:
    make = cache.seeded(_make, 3)
    assert torch.equal(make().weight, make().weight)
    fit = cache.recorded("loss", lambda m: [1.0, 0.5])
    assert fit(_make()) == {"loss": [1.0, 0.5]}


def test_store_writes_the_entry_lookup_and_cached_module_read(tmp_cache) -> None:
    def fit(m: nn.Module) -> dict:
        raise AssertionError("trained elsewhere: never called")

    state = {k: torch.full_like(v, 0.25) for k, v in _make().state_dict().items()}
    m, meta = cache.store("lin", {"w": 4}, _make, fit, state, {"loss": 2.0})
    assert not m.training and meta == {"loss": 2.0} and torch.equal(m.weight, torch.full((2, 3), 0.25))
    hit = cache.lookup("lin", {"w": 4}, _make, fit)
    assert hit is not None and torch.equal(hit[0].weight, m.weight)
    again, meta2 = cache.cached_module("lin", {"w": 4}, _make, fit)
    assert meta2 == {"loss": 2.0} and torch.equal(again.weight, m.weight)


def test_no_partial_files_left(tmp_cache) -> None:
    cache.save_state(tmp_cache / "x.pt", {"a": torch.ones(2)})
    assert [p.name for p in tmp_cache.iterdir()] == ["x.pt"]
    assert torch.equal(cache.load_state(tmp_cache / "x.pt")["a"], torch.ones(2))


def test_truncated_entry_is_reported_with_its_path_and_retrained(tmp_cache, capsys) -> None:
    calls = []

    def fit(m: nn.Module) -> dict:
        calls.append(1)
        with torch.no_grad():
            m.weight.fill_(2.0)
        return {"loss": 0.5}

    cache.cached_module("lin", {"w": 2}, _make, fit)
    (wpath,) = (tmp_cache / "models").glob("*.pt")
    wpath.write_bytes(wpath.read_bytes()[:40])  # truncated, as after a crash or a full disk
    with pytest.raises(cache.CorruptCacheEntry, match=str(wpath.name)):
        cache.load_state(wpath)
    m, meta = cache.cached_module("lin", {"w": 2}, _make, fit)
    err = capsys.readouterr().err
    assert "corrupt cache entry" in err and str(wpath) in err and "retraining" in err
    assert calls == [1, 1] and meta == {"loss": 0.5} and torch.equal(m.weight, torch.full((2, 3), 2.0))
    assert torch.equal(cache.load_state(wpath)["weight"], torch.full((2, 3), 2.0))  # rewritten whole


def test_unreadable_metadata_is_retrained(tmp_cache, capsys) -> None:
    calls = []
    cache.cached_module("lin", {"w": 3}, _make, lambda m: calls.append(1) or {})
    (mpath,) = (tmp_cache / "models").glob("*.json")
    mpath.write_text("{not json")
    cache.cached_module("lin", {"w": 3}, _make, lambda m: calls.append(1) or {})
    assert calls == [1, 1] and str(mpath) in capsys.readouterr().err


def test_lookup_loads_what_cached_module_stored_and_trains_nothing(tmp_cache, capsys) -> None:

    def fit(m: nn.Module) -> dict:
        with torch.no_grad():
            m.weight.fill_(0.5)
        return {"loss": 1.0}

    assert cache.lookup("lin", {"w": 2}, _make, fit) is None
    cache.cached_module("lin", {"w": 2}, _make, fit)
    hit = cache.lookup("lin", {"w": 2}, _make, fit)
    assert hit is not None and hit[1] == {"loss": 1.0} and not hit[0].training
    assert torch.equal(hit[0].weight, torch.full((2, 3), 0.5))
    assert cache.lookup("lin", {"w": 3}, _make, fit) is None  # another config
    wpath = next((tmp_cache / "models").glob("*.pt"))
    wpath.write_bytes(wpath.read_bytes()[:20])  # a corrupt entry: reported, removed, a miss
    assert cache.lookup("lin", {"w": 2}, _make, fit) is None
    assert "corrupt cache entry" in capsys.readouterr().err and not wpath.exists()


def test_key_hashes_scalars_and_buffers_of_models_it_holds() -> None:
    """0-dim tensors (BatchNorm's num_batches_tracked) and empty ones are data too."""
    bn = nn.BatchNorm2d(3)
    k = cache.key("m", {}, partial(_fit_on, x=bn))
    bn.num_batches_tracked += 1
    assert cache.key("m", {}, partial(_fit_on, x=bn)) != k
    def k_of(x: torch.Tensor) -> str:
        return cache.key("m", {}, partial(_fit_on, x=x))

    assert k_of(torch.tensor(3)) != k_of(torch.tensor(4))
    assert k_of(torch.zeros(0)) != k_of(torch.zeros(0, 2))
