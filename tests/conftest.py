"""Shared fixtures: small synthetic data, and TensorFlow kept quiet."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

from fmnist_tui.engine.data import Dataset
from small_data import make_small_dataset, save_npz


@pytest.fixture
def small_data() -> Dataset:
    return make_small_dataset()


@pytest.fixture
def small_npz(small_data, tmp_path) -> str:
    return save_npz(small_data, tmp_path / "small.npz")


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    """Runs, logs and caches written with relative paths land in the test's own directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FMNIST_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def _no_stray_workers():
    """Worker processes a test started end with it (a failed test must not leave one training)."""
    yield
    from fmnist_tui.engine import launcher

    for process in list(launcher._children):
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        launcher._children.remove(process)
