"""The Keras trainer's steps per execution: the same learning, whole epochs, prompt progress and cancel."""

from __future__ import annotations

import threading
import time

import pytest

from fmnist_tui.engine.events import BatchProgress, EpochEnded
from fmnist_tui.engine.runner import Cancelled, CancelToken
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.keras_trainer import train_keras
from fmnist_tui.engine.training.network import seed_everything, steps_per_epoch
from fmnist_tui.engine.training.reporting import ModelReporter

from small_data import make_small_dataset  # noqa: E402  (tests/ is on sys.path via rootdir conftest)


def train(data, emit=None, token=None, **values):
    config = TrainConfig.parse({"epochs": 2, "batch_size": 32, "seed": 3, "models": "keras", **values})
    record: dict = {}
    events: list = []
    steps = steps_per_epoch(len(data.x_train), config.batch_size)
    reporter = ModelReporter("keras", config.epochs, steps, len(data.x_train), emit or events.append, record)
    seed_everything(config.seed)
    model = train_keras(data, config, reporter, token or CancelToken())
    return model, record, events


def test_several_steps_a_call_learn_as_one_step_a_call_and_keep_whole_epochs(small_data):
    # 640 samples at batch 32: 20 steps an epoch, which 7 does not divide
    _, one, _ = train(small_data, steps_per_execution=1)
    model, seven, events = train(small_data, steps_per_execution=7)
    assert int(model.optimizer.iterations.numpy()) == 2 * 20  # no epoch took the next one's batches
    for a, b in zip(one["epochs"], seven["epochs"], strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4, abs=1e-6)
        assert b["test_accuracy"] == pytest.approx(a["test_accuracy"], abs=1e-6)
    for epoch in (1, 2):
        steps = [e.step for e in events if isinstance(e, BatchProgress) and e.epoch == epoch]
        assert steps[-1] == 20 and steps == sorted(set(steps))
        assert set(steps) <= {7, 14, 20}  # one report per call at most, the last one cut at the epoch's end
    assert one["steps_per_execution"] == {"steps": 1, "auto": False}
    assert seven["steps_per_execution"] == {"steps": 7, "auto": False}
    assert [(r["steps_per_execution"], r["steps_per_execution_auto"]) for r in seven["epochs"]] == [(7, False)] * 2


def test_auto_calls_keep_progress_four_times_a_second_and_cancel_within_a_quarter_second():
    # 6,400 samples at batch 64: 100 steps an epoch, several calls of about 0.1 s each
    data = make_small_dataset(train=6400, test=640)
    token = CancelToken()
    events: list = []
    cancelled_at: list[float] = []
    timer = threading.Timer(0.03, lambda: (cancelled_at.append(time.monotonic()), token.cancel()))

    def emit(event):
        events.append((time.monotonic(), event))
        if isinstance(event, BatchProgress) and event.epoch == 3 and not timer.is_alive() and not cancelled_at:
            timer.start()  # in the middle of a call of epoch 3, most likely

    with pytest.raises(Cancelled):
        train(data, emit=emit, token=token, epochs=100, batch_size=64)
    latency = time.monotonic() - cancelled_at[0]
    assert latency < 0.25, f"stopped {latency:.3f} s after the cancel"

    second = [t for t, e in events if getattr(e, "epoch", None) == 2]  # its start, batches and end
    gaps = [b - a for a, b in zip(second, second[1:])]
    assert len(second) >= 4 and max(gaps) <= 0.25, [round(g, 3) for g in gaps]
    ended = next(e for _, e in events if isinstance(e, EpochEnded))
    assert ended.logs["steps_per_execution_auto"] is True and 1 < ended.logs["steps_per_execution"] <= 100
    print(f"cancel latency {latency * 1e3:.0f} ms; {ended.logs['steps_per_execution']} steps a call; "
          f"largest gap between progress reports {max(gaps) * 1e3:.0f} ms")


def _rows(**execution):
    return [{"epoch": 1, "loss": 0.5, "accuracy": 0.8, "test_loss": 0.6, "test_accuracy": 0.79, "seconds": 2.0,
             "seconds_per_sample": 2.0 / 640, **execution}]


def test_the_comparison_says_how_many_steps_each_call_ran():
    from fmnist_tui.engine.summary_check import check_summary
    from fmnist_tui.engine.training.reporting import model_totals
    from fmnist_tui.engine.training.summary import comparison_rows, render_train_markdown

    def record(rows):
        return {"status": "completed", "epochs": rows, **model_totals(rows, 640)}

    models = {
        "keras": record(_rows(steps_per_execution=32, steps_per_execution_auto=False)),
        "lowlevel": record(_rows(steps_per_execution=41, steps_per_execution_auto=True)),
        "older": record(_rows()),  # a run from before the setting
    }
    assert models["keras"]["steps_per_execution"] == {"steps": 32, "auto": False}
    assert comparison_rows(models)[-1] == ["Steps per execution", "32", "41 (auto)", "—"]
    summary = {"task": "train", "run_id": "r1", "status": "completed", "started_at": "2026-11-29T10:00:00+00:00",
               "config": {"epochs": 1, "steps_per_execution": 32}, "environment": {}, "models": models}
    assert check_summary(summary) == []
    markdown = render_train_markdown(summary)
    assert "| Steps per execution | 32 | 41 (auto) | — |" in markdown
    assert "| steps_per_execution | 32 |" in markdown  # the setting, in the configuration
    assert "Steps per execution is the number of training steps each compiled call ran" in markdown
    models["keras"]["steps_per_execution"] = {"steps": "many", "auto": "yes"}
    assert check_summary(summary) == ["models.keras.steps_per_execution.steps is a string, not an integer",
                                      "models.keras.steps_per_execution.auto is a string, not a boolean"]
