"""Shared test settings: deterministic, two threads (one per xdist worker), no network, temp caches."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)
    # two threads alone; one per worker when pytest-xdist runs a worker on every core
    torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else 2)


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """A private FACEROBUST_CACHE for tests that train or cache something."""
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"
