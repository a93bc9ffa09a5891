"""CRISPR's CelebA setting (full profile) on the generated CelebA fixture: the whole code path
(loader, streaming train split, oracle from the validation split, training, swaps, diverse swaps,
borrow) for a few iterations."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from facerobust.experiments.crispr import celeba as ce
from facerobust.experiments.crispr import training

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from celeba_fixture import write_celeba  # noqa: E402

P = {"seed": 0, "celeba_n_train": None, "celeba_n_test": 20, "celeba_n_oracle": 12,
     "celeba_n_oracle_valid": 8, "celeba_oracle_epochs": 2, "celeba_iters": 2, "div_scale": 1.0}


def test_celeba_setting_runs_on_the_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FACEROBUST_MAX_IN_MEMORY_MB", "0")  # the train split streams, as the real one does
    root = write_celeba(tmp_path / "celeba", 200)
    cfg = training.CrisprConfig(p=4, q=2, width=4, hidden=8, batch=4, iters=1)
    res = ce.run(P | {"celeba_root": str(root)}, cfg, torch.device("cpu"), n_show=3, n_samples=2)
    assert res is not None
    assert [s.attribute for s in res.swaps] == list(ce.ATTRIBUTES)
    for s in res.swaps:
        assert s.n == 20 and 0 <= s.target_reached <= 20 and 0 <= s.others_kept <= 20
        assert s.images.shape == (20, 3, 64, 64)
    x, samples = res.diverse["Eyeglasses"]
    assert samples.shape == (len(x), 2, 3, 64, 64)
    ref, query, out = res.borrow
    assert out.shape == query.shape and len(ref) == len(query)
    assert set(res.oracle_accuracy) == set(ce.ATTRIBUTES)
    assert len(list((tmp_path / "cache" / "models").glob("crispr-celeba-*.pt"))) == 1


def test_celeba_setting_is_skipped_without_a_root() -> None:
    assert ce.run(P | {"celeba_root": None}, training.CrisprConfig(), torch.device("cpu")) is None
    with pytest.raises(ValueError, match="celeba_root"):
        ce.setting(P | {"celeba_root": None}, torch.device("cpu"))
