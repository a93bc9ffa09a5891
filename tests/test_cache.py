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
