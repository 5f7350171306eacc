"""What a classifier gets wrong, class by class: confusion matrix, per-class scores, mistakes.

Pure NumPy (no TensorFlow), so the UI process can read what a worker wrote. The trainers
give the test set's predicted classes and their probabilities at the end of every epoch;
from those come the 10×10 confusion matrix (rows = true class, columns = predicted), each
class's precision, recall, F1 and support, and the misclassified test images, most
confident first, which the worker keeps in `mistakes/<model>.npz` in the run directory
(the run directory then holds all the Mistakes tab needs, wherever the data came from).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .summaries import ResultsWriteError

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CLASSES = len(CLASS_NAMES)
MISTAKES_DIR = "mistakes"


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """Counts of (true class, predicted class): rows true, columns predicted."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    return np.bincount(labels * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def per_class(matrix: Sequence[Sequence[int]], names: Sequence[str] = CLASS_NAMES) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of every class, from a confusion matrix.

    A class never predicted has precision 0 (as scikit-learn's default), one with no
    samples recall 0; F1 is then 0 too.
    """
    matrix = np.asarray(matrix, dtype=np.int64)
    correct = np.diag(matrix)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    scores = []
    for index in range(len(matrix)):
        precision = correct[index] / predicted[index] if predicted[index] else 0.0
        recall = correct[index] / support[index] if support[index] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append({
            "class": index,
            "name": names[index] if index < len(names) else str(index),
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(support[index]),
        })
    return scores


def matrix_lists(matrix: np.ndarray) -> list[list[int]]:
    """The JSON form of a confusion matrix (lists of ints)."""
    return [[int(count) for count in row] for row in np.asarray(matrix)]


@dataclass(frozen=True)
class Mistakes:
    """Misclassified test images, most confident first.

    `index` is each image's position in the test set; `confidence` the probability the
    model gave its (wrong) prediction; `images` uint8 pixels, shape (n, 28, 28).
    """

    model: str
    epoch: int
    index: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    images: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def pair(self, true: int | None = None, predicted: int | None = None) -> "Mistakes":
        """Only the mistakes of one true class and/or one predicted class."""
        keep = np.ones(len(self.index), dtype=bool)
        if true is not None:
            keep &= self.true == true
        if predicted is not None:
            keep &= self.predicted == predicted
        return Mistakes(self.model, self.epoch, self.index[keep], self.true[keep], self.predicted[keep],
                        self.confidence[keep], self.images[keep])


def find_mistakes(model: str, epoch: int, labels: np.ndarray, predicted: np.ndarray,
                  confidence: np.ndarray, images: np.ndarray) -> Mistakes:
    """The misclassified images among a test set's predictions, most confident first."""
    labels, predicted = np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    wrong = np.flatnonzero(labels != predicted)
    wrong = wrong[np.argsort(-np.asarray(confidence)[wrong], kind="stable")]
    pixels = np.asarray(images)[wrong]
    if pixels.dtype != np.uint8:  # the trainers' images are floats in [0, 1]
        pixels = np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    return Mistakes(model, int(epoch), wrong, labels[wrong], predicted[wrong],
                    np.asarray(confidence, dtype=np.float32)[wrong], pixels.reshape(len(wrong), 28, 28))


def mistakes_path(run_dir: Path, model: str) -> Path:
    return Path(run_dir) / MISTAKES_DIR / f"{model}.npz"


def save_mistakes(run_dir: Path, mistakes: Mistakes) -> Path:
    """Write the model's mistakes atomically (the last epoch's replace the previous)."""
    path = mistakes_path(run_dir, mistakes.model)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        with open(tmp, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps({"model": mistakes.model, "epoch": mistakes.epoch})),
                     index=mistakes.index, true=mistakes.true, predicted=mistakes.predicted,
                     confidence=mistakes.confidence, images=mistakes.images)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # e.g. "mistakes" is a file, so no tmp was made
            tmp.unlink()
        raise ResultsWriteError(path, exc) from None
    return path


def load_mistakes(run_dir: Path, model: str) -> Mistakes | None:
    """The model's last saved mistakes; None if there are none (yet) or the file is unreadable."""
    path = mistakes_path(run_dir, model)
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta: Mapping[str, Any] = json.loads(str(archive["meta"]))
            return Mistakes(str(meta["model"]), int(meta["epoch"]), archive["index"], archive["true"],
                            archive["predicted"], archive["confidence"], archive["images"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
