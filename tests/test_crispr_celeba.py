"""CRISPR's CelebA setting (full profile) on the generated CelebA fixture: the whole code path
(loader, streaming train split, oracle from the validation split, training, swaps, diverse swaps,
borrow) for a few iterations."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from facerobust.experiments.crispr import celeba as ce
from facerobust.experiments.crispr import training

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from celeba_fixture import write_celeba  # noqa: E402

C = ce.CelebAConfig(root=None, n_train=None, n_test=20, n_oracle=12, n_oracle_valid=8, oracle_epochs=2,
                    iters=2, seed=0, div_scale=1.0)


def test_celeba_setting_runs_on_the_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FACEROBUST_MAX_IN_MEMORY_MB", "0")  # the train split streams, as the real one does
    root = write_celeba(tmp_path / "celeba", 200)
    cfg = training.CrisprConfig(p=4, q=2, width=4, hidden=8, batch=4, iters=1)
    res = ce.run(replace(C, root=str(root)), cfg, torch.device("cpu"), n_show=3, n_samples=2)
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
    assert ce.run(C, training.CrisprConfig(), torch.device("cpu")) is None
    with pytest.raises(ValueError, match="celeba_root"):
        ce.setting(C, torch.device("cpu"))
