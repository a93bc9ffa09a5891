"""The trained-model cache: keyed by config and code, atomic, weights-only loading."""

from __future__ import annotations

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

    m1, meta1 = cache.cached_module("lin", {"w": 1}, _make, fit, code=[_make])
    m2, meta2 = cache.cached_module("lin", {"w": 1}, _make, fit, code=[_make])
    assert calls == [1]
    assert meta1 == meta2 == {"loss": 0.25}
    assert torch.equal(m2.weight, torch.full((2, 3), 1.5))
    assert not m2.training


def test_key_depends_on_config_and_code() -> None:
    a = cache.key("m", {"lr": 0.1}, [_make])
    assert a == cache.key("m", {"lr": 0.1}, [_make])
    assert a != cache.key("m", {"lr": 0.2}, [_make])
    assert a != cache.key("m", {"lr": 0.1}, [test_key_depends_on_config_and_code])


def test_no_partial_files_left(tmp_cache) -> None:
    cache.save_state(tmp_cache / "x.pt", {"a": torch.ones(2)})
    assert [p.name for p in tmp_cache.iterdir()] == ["x.pt"]
    assert torch.equal(cache.load_state(tmp_cache / "x.pt")["a"], torch.ones(2))


def test_truncated_entry_is_reported_with_its_path_and_retrained(tmp_cache, capsys) -> None:
    import pytest

    calls = []

    def fit(m: nn.Module) -> dict:
        calls.append(1)
        with torch.no_grad():
            m.weight.fill_(2.0)
        return {"loss": 0.5}

    cache.cached_module("lin", {"w": 2}, _make, fit, code=[_make])
    (wpath,) = (tmp_cache / "models").glob("*.pt")
    wpath.write_bytes(wpath.read_bytes()[:40])  # truncated, as after a crash or a full disk
    with pytest.raises(cache.CorruptCacheEntry, match=str(wpath.name)):
        cache.load_state(wpath)
    m, meta = cache.cached_module("lin", {"w": 2}, _make, fit, code=[_make])
    err = capsys.readouterr().err
    assert "corrupt cache entry" in err and str(wpath) in err and "retraining" in err
    assert calls == [1, 1] and meta == {"loss": 0.5} and torch.equal(m.weight, torch.full((2, 3), 2.0))
    assert torch.equal(cache.load_state(wpath)["weight"], torch.full((2, 3), 2.0))  # rewritten whole


def test_unreadable_metadata_is_retrained(tmp_cache, capsys) -> None:
    calls = []
    cache.cached_module("lin", {"w": 3}, _make, lambda m: calls.append(1) or {}, code=[_make])
    (mpath,) = (tmp_cache / "models").glob("*.json")
    mpath.write_text("{not json")
    cache.cached_module("lin", {"w": 3}, _make, lambda m: calls.append(1) or {}, code=[_make])
    assert calls == [1, 1] and str(mpath) in capsys.readouterr().err


def test_lookup_loads_what_cached_module_stored_and_trains_nothing(tmp_cache, capsys) -> None:
    assert cache.lookup("lin", {"w": 2}, _make, code=[_make]) is None

    def fit(m: nn.Module) -> dict:
        with torch.no_grad():
            m.weight.fill_(0.5)
        return {"loss": 1.0}

    cache.cached_module("lin", {"w": 2}, _make, fit, code=[_make])
    hit = cache.lookup("lin", {"w": 2}, _make, code=[_make])
    assert hit is not None and hit[1] == {"loss": 1.0} and not hit[0].training
    assert torch.equal(hit[0].weight, torch.full((2, 3), 0.5))
    assert cache.lookup("lin", {"w": 3}, _make, code=[_make]) is None  # another config
    wpath = next((tmp_cache / "models").glob("*.pt"))
    wpath.write_bytes(wpath.read_bytes()[:20])  # a corrupt entry: reported, removed, a miss
    assert cache.lookup("lin", {"w": 2}, _make, code=[_make]) is None
    assert "corrupt cache entry" in capsys.readouterr().err and not wpath.exists()
