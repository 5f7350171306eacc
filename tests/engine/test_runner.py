"""The event stream and run lifecycle: order, throttling, cancellation, failure, summaries."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from fmnist_tui.engine.errors import DataError
from fmnist_tui.engine.events import (
    BatchProgress, EpochEnded, EpochStarted, Log, ModelFinished, RunCancelled, RunFailed,
    RunFinished, RunStarted, Throttle,
)
from fmnist_tui.engine.runner import CancelToken, Task, run_collecting
from fmnist_tui.engine.summaries import atomic_write_text, markdown_table
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.task import TrainTask


def train_task(data, **overrides) -> TrainTask:
    values = {"epochs": 2, "batch_size": 32, **overrides}
    return TrainTask(TrainConfig.parse(values), logs_dir="logs", data_loader=lambda: data)


def test_events_arrive_in_order_and_summary_is_complete(small_data, tmp_path):
    events = run_collecting(train_task(small_data), tmp_path / "runs")
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert sum(k is RunFinished for k in kinds) == 1
    for model in ("keras", "lowlevel"):
        mine = [e for e in events if getattr(e, "model", None) == model]
        assert isinstance(mine[0], EpochStarted) and isinstance(mine[-1], ModelFinished)
        assert [e.epoch for e in mine if isinstance(e, EpochEnded)] == [1, 2]
        # every epoch ends with the final batch reported
        last_batches = [e for e in mine if isinstance(e, BatchProgress) and e.step == e.steps]
        assert len(last_batches) == 2
    # models run one after the other
    first_lowlevel = next(i for i, e in enumerate(events) if getattr(e, "model", None) == "lowlevel")
    last_keras = max(i for i, e in enumerate(events) if getattr(e, "model", None) == "keras")
    assert last_keras < first_lowlevel

    summary_path = events[-1].summary_path
    summary = json.loads((summary_path.parent / "summary.json").read_text())
    assert summary["task"] == "train" and summary["status"] == "completed"
    assert summary["run_id"] == events[0].run_id
    assert summary["config"]["epochs"] == 2 and summary["environment"]["tensorflow"]
    for model in ("keras", "lowlevel"):
        record = summary["models"][model]
        assert [e["epoch"] for e in record["epochs"]] == [1, 2]
        assert set(record["epochs"][0]) >= {"epoch", "loss", "accuracy", "test_loss", "test_accuracy", "seconds"}
        for key in ("test_accuracy", "test_loss", "train_accuracy", "train_loss", "seconds_total", "samples_per_second"):
            assert isinstance(record[key], float), key
        # time per sample is epoch seconds / samples seen, not the original's seconds*100/6
        epoch = record["epochs"][0]
        assert epoch["seconds_per_sample"] == pytest.approx(epoch["seconds"] / len(small_data.x_train))
        assert record["samples_per_second"] == pytest.approx(
            2 * len(small_data.x_train) / record["seconds_total"]
        )
    markdown = summary_path.read_text()
    assert "## Comparison" in markdown and "Keras fit" in markdown and "Test accuracy" in markdown
    # what ran, so the times compare like with like: the setting, and the steps per call it resolved to
    assert summary["config"]["steps_per_execution"] == "auto"
    executions = {m: summary["models"][m]["steps_per_execution"] for m in ("keras", "lowlevel")}
    for model, execution in executions.items():
        assert execution["auto"] is True and 1 <= execution["steps"] <= 20, model  # 640 / 32: 20 steps an epoch
        assert [e["steps_per_execution"] for e in summary["models"][model]["epochs"]][-1] == execution["steps"]
    assert f"| Steps per execution | {executions['keras']['steps']} (auto) | {executions['lowlevel']['steps']} (auto) |" in markdown


def test_the_models_learn(small_data, tmp_path):
    events = run_collecting(train_task(small_data, epochs=5), None)
    summary = events[-1].summary
    for model in ("keras", "lowlevel"):
        assert summary["models"][model]["test_accuracy"] > 0.9, model


def test_tensorboard_logs_per_model_and_split(small_data, tmp_path):
    events = run_collecting(train_task(small_data, epochs=1), tmp_path / "runs")
    run_id = events[0].run_id
    for model in ("keras", "lowlevel"):
        for split in ("train", "test"):
            directory = tmp_path / "logs" / "fit" / run_id / model / split
            assert any(p.name.startswith("events.out.tfevents") for p in directory.iterdir())


def test_batch_progress_is_throttled(small_data):
    # 640 samples at batch 1: 640 steps per epoch, far more than 20 events a second
    events = run_collecting(train_task(small_data, epochs=1, batch_size=1, models="lowlevel"), None)
    progress = [e for e in events if isinstance(e, BatchProgress)]
    ended = next(e for e in events if isinstance(e, EpochEnded))
    allowed = ended.logs["seconds"] / 0.05 + 2
    assert 2 <= len(progress) <= allowed
    assert progress[-1].step == progress[-1].steps == 640
    gaps = [b.at - a.at for a, b in zip(progress, progress[1:-1])]
    assert all(gap >= 0.045 for gap in gaps)


def test_throttle_lets_through_once_per_interval():
    now = [0]
    throttle = Throttle(5, clock=lambda: now[0])  # integer "milliseconds ×10": exact arithmetic
    passed = []
    for step in range(100):
        now[0] = step
        passed.append(throttle.ready())
    assert sum(passed) == 20


@pytest.mark.parametrize("model", ["keras", "lowlevel"])
def test_cancel_stops_within_a_second_and_keeps_completed_epochs(small_data, tmp_path, model):
    token = CancelToken()
    events = []
    cancel_sent = {}

    def emit(event):
        events.append(event)
        if isinstance(event, EpochEnded) and event.epoch == 2 and not token.cancelled:
            # ask to stop in the middle of epoch 3, from another thread as a UI would
            def later():
                time.sleep(0.05)
                cancel_sent["at"] = time.monotonic()
                token.cancel()
            threading.Thread(target=later).start()

    from fmnist_tui.engine.runner import execute

    task = train_task(small_data, epochs=500, batch_size=8, models=model)
    terminal = execute(task, emit, token, tmp_path / "runs")
    assert isinstance(terminal, RunCancelled)
    assert terminal.at - cancel_sent["at"] < 5.0  # at the next batch: prompt (the figure is a benchmark's)
    summary = json.loads((terminal.summary_path.parent / "summary.json").read_text())
    assert summary["status"] == "cancelled"
    record = summary["models"][model]
    assert record["status"] == "cancelled"
    assert len(record["epochs"]) >= 2 and record["test_accuracy"] is not None
    assert "cancelled" in terminal.summary_path.read_text()


def test_failure_is_reported_with_a_summary(tmp_path):
    def missing():
        raise DataError("The data directory /x does not exist.", "Pass --data-dir DIR.")

    task = TrainTask(TrainConfig.parse({"epochs": 1}), data_loader=missing)
    events = run_collecting(task, tmp_path / "runs")
    failed = events[-1]
    assert isinstance(failed, RunFailed)
    assert failed.error == "The data directory /x does not exist." and failed.hint == "Pass --data-dir DIR."
    summary = json.loads((failed.summary_path.parent / "summary.json").read_text())
    assert summary["status"] == "failed" and "does not exist" in summary["error"]
    assert "**Error:**" in failed.summary_path.read_text()


class ExplodingTask(Task):
    name = "explode"
    needs_environment = False

    def config_dict(self):
        return {}

    def run(self, ctx):
        ctx.emit(Log("about to fail"))
        raise ZeroDivisionError("boom")

    def render_markdown(self, summary):
        return f"# {summary['status']}\n"


def test_unexpected_error_becomes_run_failed_with_traceback_file(tmp_path):
    events = run_collecting(ExplodingTask(), tmp_path / "runs")
    failed = events[-1]
    assert isinstance(failed, RunFailed) and "ZeroDivisionError: boom" in failed.error
    run_dir = failed.summary_path.parent
    assert "Traceback" in (run_dir / "error.log").read_text()
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "failed"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    atomic_write_text(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary left behind


def test_markdown_table_escapes_pipes():
    table = markdown_table(["a", "b"], [["x|y", "line\nbreak"]])
    assert "x\\|y" in table and "line break" in table
