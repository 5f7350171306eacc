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


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    """Runs and logs written with relative paths land in the test's own directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FMNIST_DATA", raising=False)
