"""Small synthetic data for tests (imported by name: tests/ is on sys.path, and a module
named `conftest` would be ambiguous, as tests/tui has its own)."""

from __future__ import annotations

import numpy as np

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


def save_npz(data: Dataset, path) -> str:
    """The data set as the `.npz` file `--data-dir` accepts (how worker processes get small data)."""
    np.savez(path, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    return str(path)
