"""The per-class figures: the confusion matrix, precision/recall/F1, and the saved mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from fmnist_tui.engine.class_figures import (
    CLASS_NAMES, confusion_matrix, find_mistakes, load_mistakes, matrix_lists, mistakes_path, per_class, save_mistakes,
)
from fmnist_tui.engine.summaries import ResultsWriteError

# Ten images of three classes: 0,0,0,1 | 1,1,1 | 2,2,2 predicted as below.
LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
PREDICTED = np.array([0, 0, 1, 2, 1, 1, 0, 2, 2, 2])


def test_the_matrix_counts_true_rows_against_predicted_columns():
    matrix = confusion_matrix(LABELS, PREDICTED, classes=3)
    assert matrix.tolist() == [[2, 1, 1], [1, 2, 0], [0, 0, 3]]
    assert matrix.sum() == len(LABELS)
    assert matrix.sum(axis=1).tolist() == [4, 3, 3]  # each true class's images
    assert np.trace(matrix) == np.sum(LABELS == PREDICTED)


def test_a_full_test_set_sums_to_its_size_with_each_class_in_its_row():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 1000)
    predicted = np.where(rng.random(10_000) < 0.85, labels, rng.integers(0, 10, 10_000))
    matrix = confusion_matrix(labels, predicted)
    assert matrix.shape == (10, 10) and matrix.sum() == 10_000
    assert matrix.sum(axis=1).tolist() == [1000] * 10
    assert np.trace(matrix) / 10_000 == pytest.approx(np.mean(labels == predicted))
    assert matrix_lists(matrix) == matrix.tolist() and type(matrix_lists(matrix)[0][0]) is int


def test_per_class_scores_agree_with_hand_computed_values():
    scores = per_class(confusion_matrix(LABELS, PREDICTED, classes=3), names=("a", "b", "c"))
    # class 0: 2 right of 4 true, predicted 3 times; class 1: 2 of 3, predicted 3 times;
    # class 2: 3 of 3, predicted 4 times
    assert scores[0] == {"class": 0, "name": "a", "precision": pytest.approx(2 / 3), "recall": 0.5,
                         "f1": pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5)), "support": 4}
    assert scores[1]["precision"] == pytest.approx(2 / 3) and scores[1]["recall"] == pytest.approx(2 / 3)
    assert scores[2]["precision"] == pytest.approx(0.75) and scores[2]["recall"] == 1.0
    assert scores[2]["f1"] == pytest.approx(2 * 0.75 / 1.75)


def test_a_class_never_predicted_or_never_present_scores_zero_not_nan():
    matrix = [[3, 0, 0], [2, 0, 0], [0, 0, 0]]
    scores = per_class(matrix)
    assert scores[1] == {"class": 1, "name": "Trouser", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert scores[2]["support"] == 0 and scores[2]["recall"] == 0.0
    assert [s["name"] for s in per_class(np.eye(10, dtype=int))] == list(CLASS_NAMES)


def mistakes_of_a_small_set():
    confidence = np.array([0.9, 0.8, 0.6, 0.95, 0.7, 0.5, 0.85, 0.99, 0.3, 0.4])
    images = np.linspace(0, 1, 10 * 784, dtype=np.float32).reshape(10, 28, 28)
    return find_mistakes("keras", 2, LABELS, PREDICTED, confidence, images), images


def test_mistakes_are_the_wrong_predictions_most_confident_first():
    mistakes, images = mistakes_of_a_small_set()
    assert mistakes.index.tolist() == [3, 6, 2]  # confidences 0.95, 0.85, 0.6
    assert mistakes.true.tolist() == [0, 1, 0] and mistakes.predicted.tolist() == [2, 0, 1]
    assert mistakes.confidence.tolist() == pytest.approx([0.95, 0.85, 0.6])
    assert mistakes.images.dtype == np.uint8 and mistakes.images.shape == (3, 28, 28)
    assert mistakes.images[0, 0, 0] == round(images[3, 0, 0] * 255)


def test_mistakes_filter_by_pair_keeping_the_order():
    mistakes, _ = mistakes_of_a_small_set()
    assert mistakes.pair(true=0).index.tolist() == [3, 2]
    assert mistakes.pair(true=0, predicted=1).index.tolist() == [2]
    assert mistakes.pair(predicted=0).index.tolist() == [6]
    assert len(mistakes.pair(true=2, predicted=0)) == 0
    assert len(mistakes.pair()) == len(mistakes) == 3


def test_mistakes_survive_a_save_and_load_and_the_latest_replaces_the_previous(tmp_path):
    mistakes, _ = mistakes_of_a_small_set()
    path = save_mistakes(tmp_path, mistakes)
    assert path == mistakes_path(tmp_path, "keras") and path.exists()
    loaded = load_mistakes(tmp_path, "keras")
    assert (loaded.model, loaded.epoch) == ("keras", 2)
    for field in ("index", "true", "predicted", "confidence", "images"):
        assert np.array_equal(getattr(loaded, field), getattr(mistakes, field))
    save_mistakes(tmp_path, mistakes.pair(true=1))
    assert load_mistakes(tmp_path, "keras").index.tolist() == [6]
    assert not list(path.parent.glob(".*.tmp"))


def test_loading_what_is_not_there_or_damaged_gives_none(tmp_path):
    assert load_mistakes(tmp_path, "keras") is None
    mistakes_path(tmp_path, "keras").parent.mkdir()
    mistakes_path(tmp_path, "keras").write_bytes(b"not an npz")
    assert load_mistakes(tmp_path, "keras") is None


def test_a_mistakes_file_that_cannot_be_written_is_a_results_error(tmp_path):
    mistakes, _ = mistakes_of_a_small_set()
    mistakes_path(tmp_path, "keras").mkdir(parents=True)  # a directory where the file should go
    with pytest.raises(ResultsWriteError):
        save_mistakes(tmp_path, mistakes)
    assert not list(mistakes_path(tmp_path, "keras").parent.glob(".*.tmp"))
