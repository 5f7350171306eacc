"""What a real (small) training records beside its losses: per-class figures (summary.json,
events, mistakes, TensorBoard) and the worker's resources per model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fmnist_tui.engine.class_figures import CLASS_NAMES, load_mistakes
from fmnist_tui.engine.events import ClassesScored, EpochEnded, RunFinished
from fmnist_tui.engine.runner import run_collecting
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.task import TrainTask


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    from small_data import make_small_dataset

    data = make_small_dataset(train=640, test=200, seed=3)
    task = TrainTask(TrainConfig.parse({"epochs": 2, "batch_size": 32}),
                     logs_dir=tmp_path_factory.mktemp("logs"), data_loader=lambda: data)
    events = run_collecting(task, tmp_path_factory.mktemp("runs"))
    assert isinstance(events[-1], RunFinished)
    return data, events


def test_summary_holds_each_models_last_confusion_matrix_and_per_class_scores(small_run):
    data, events = small_run
    run_dir = events[-1].summary_path.parent
    summary = json.loads((run_dir / "summary.json").read_text())
    counts = np.bincount(data.y_test, minlength=10)
    for model in ("keras", "lowlevel"):
        record = summary["models"][model]
        matrix = np.array(record["confusion_matrix"])
        assert matrix.shape == (10, 10) and matrix.sum() == len(data.y_test)
        assert list(matrix.sum(axis=1)) == list(counts)  # rows are the true classes
        assert np.trace(matrix) / matrix.sum() == pytest.approx(record["test_accuracy"])
        scores = record["per_class"]
        assert [s["name"] for s in scores] == list(CLASS_NAMES)
        for index, score in enumerate(scores):
            assert score["support"] == counts[index]
            if matrix[:, index].sum():
                assert score["precision"] == pytest.approx(matrix[index, index] / matrix[:, index].sum())
            if counts[index]:
                assert score["recall"] == pytest.approx(matrix[index, index] / counts[index])


def test_every_epoch_is_scored_right_after_it_ends_and_its_mistakes_are_saved_first(small_run):
    data, events = small_run
    run_dir = events[-1].summary_path.parent
    for model in ("keras", "lowlevel"):
        mine = [e for e in events if getattr(e, "model", None) == model]
        ended = [i for i, e in enumerate(mine) if isinstance(e, EpochEnded)]
        assert [type(mine[i + 1]) for i in ended] == [ClassesScored, ClassesScored]
        last = mine[ended[-1] + 1]
        assert last.epoch == 2 and sum(map(sum, last.confusion_matrix)) == len(data.y_test)
        mistakes = load_mistakes(run_dir, model)
        assert mistakes is not None and mistakes.epoch == 2
        assert len(mistakes) == len(data.y_test) - sum(last.confusion_matrix[i][i] for i in range(10))
        assert np.all(mistakes.true != mistakes.predicted)
        assert np.all(np.diff(mistakes.confidence) <= 0)  # most confident first
        assert mistakes.images.shape == (len(mistakes), 28, 28) and mistakes.images.dtype == np.uint8
        # the saved pixels are the test images themselves
        np.testing.assert_allclose(mistakes.images / 255.0, data.x_test[mistakes.index], atol=1 / 255)


def test_tensorboard_gets_the_confusion_matrix_as_image_and_text(small_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, events = small_run
    summary = json.loads((events[-1].summary_path.parent / "summary.json").read_text())
    test_logs = Path(summary["tensorboard_logdir"]) / "lowlevel" / "test"
    accumulator = EventAccumulator(str(test_logs), size_guidance={"images": 0, "tensors": 0})
    accumulator.Reload()
    assert accumulator.SummaryMetadata("confusion_matrix").plugin_data.plugin_name == "images"
    assert [e.step for e in accumulator.Tensors("confusion_matrix")] == [1, 2]
    assert accumulator.SummaryMetadata("confusion_matrix_counts").plugin_data.plugin_name == "text"
    text = accumulator.Tensors("confusion_matrix_counts")[-1].tensor_proto.string_val[0].decode()
    assert "T-shirt/top" in text and "Ankle boot" in text


def test_each_model_records_the_resources_its_training_used(small_run):
    _, events = small_run
    summary = json.loads((events[-1].summary_path.parent / "summary.json").read_text())
    for model in ("keras", "lowlevel"):
        resources = summary["models"][model]["resources"]
        assert resources["samples"] >= 2, model  # one when it starts, one when it ends
        assert resources["peak_rss_bytes"] > 100 * 2**20, model  # TensorFlow is in this process
        assert resources["mean_cpu_percent"] is not None and resources["mean_cpu_percent"] >= 0, model
        assert resources["peak_gpu_memory_bytes"] is None, model  # no GPU on this machine
