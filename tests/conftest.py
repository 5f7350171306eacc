"""Shared fixtures: small synthetic data, and TensorFlow kept quiet."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from fmnist_tui.engine.data import Dataset


def make_small_dataset(train: int = 640, test: int = 160, seed: int = 0) -> Dataset:
    """Learnable synthetic 28×28 images: each class lights up its own band of rows."""
    rng = np.random.default_rng(seed)

    def split(n: int):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.random((n, 28, 28), dtype=np.float32) * 0.3
        for i, label in enumerate(labels):
            images[i, 2 * label : 2 * label + 3, :] += 0.7
        return np.clip(images, 0, 1), labels

    x_train, y_train = split(train)
    x_test, y_test = split(test)
    return Dataset(x_train, y_train, x_test, y_test, source="synthetic")


@pytest.fixture
def small_data() -> Dataset:
    return make_small_dataset()


def save_npz(data: Dataset, path) -> str:
    """The data set as the `.npz` file `--data-dir` accepts (how worker processes get small data)."""
    np.savez(path, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    return str(path)


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
