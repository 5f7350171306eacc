"""A prepared subset of Fashion-MNIST in one `.npz` file, for quick experiments and tests.

`--data-dir subset.npz` trains on the arrays `x_train`, `y_train`, `x_test`, `y_test` of the
file (images 28×28, as uint8 0–255 or floats in [0, 1]; labels 0–9), checked like the IDX
files are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import Dataset
from .errors import DataError

KEYS = ("x_train", "y_train", "x_test", "y_test")
HINT = "Save the four arrays with numpy.savez(path, x_train=…, y_train=…, x_test=…, y_test=…)."


def is_npz_path(data_dir: object) -> bool:
    return data_dir is not None and str(data_dir).lower().endswith(".npz")


def load_npz_dataset(path: str | Path) -> Dataset:
    path = Path(path).expanduser()
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in KEYS if k not in archive.files]
            if missing:
                raise DataError(f"{path} lacks the array(s) {', '.join(missing)}.", HINT)
            arrays = {k: archive[k] for k in KEYS}
    except FileNotFoundError:
        raise DataError(f"{path} does not exist.", HINT) from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a readable .npz file ({exc}).", HINT) from None
    images = {k: _images(arrays[k], path, k) for k in ("x_train", "x_test")}
    labels = {k: _labels(arrays[k], path, k) for k in ("y_train", "y_test")}
    return Dataset(images["x_train"], labels["y_train"], images["x_test"], labels["y_test"], source=str(path))


def _images(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    if array.ndim != 3 or array.shape[1:] != (28, 28) or len(array) == 0:
        raise DataError(f"{path}: {key} has shape {array.shape}, expected (n, 28, 28).", HINT)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255.0)
    array = array.astype(np.float32)
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
        raise DataError(f"{path}: {key} must hold uint8 pixels or floats in [0, 1].", HINT)
    return array


def _labels(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer) or array.min(initial=0) < 0 or array.max(initial=0) > 9:
        raise DataError(f"{path}: {key} must be a vector of integer labels 0–9.", HINT)
    return array.astype(np.uint8)
