"""The run journal: every event class survives JSON, and readers cope with what a kill leaves."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from pathlib import Path

import pytest

from fmnist_tui.engine import events as events_module
from fmnist_tui.engine.calculus.tasks import EigenComputed, EigenTask, JacobianComputed, JacobianTask
from fmnist_tui.engine.codec import DecodeError, decode, encode
from fmnist_tui.engine.devices import DevicesDetected, TimingMeasured
from fmnist_tui.engine.events import (
    BatchProgress, EpochEnded, Event, Log, RunFailed, RunInterrupted, RunStarted,
)
from fmnist_tui.engine.journal import (
    JournalReader, JournalWriter, compact_backlog, event_line, parse_line,
)
from fmnist_tui.engine.runner import run_collecting

ENGINE_EVENTS = [
    cls for _, cls in inspect.getmembers(events_module, inspect.isclass)
    if issubclass(cls, Event) and cls is not Event
]


def sample(cls: type) -> Event:
    """An instance of `cls` with a value of each field's kind (nested tuples, NaN, paths…)."""
    values = {
        "task": "train", "run_id": "20261129-101500-train", "run_dir": Path("/runs/20261129-101500-train"),
        "config": {"epochs": 3, "models": ["keras", "lowlevel"], "seed": None},
        "params": {"models": ["keras"], "epochs": 3}, "message": "Loading… ünïcode", "level": "warning",
        "done": 2, "total": 5, "label": "symbolic", "eta_seconds": 1.5, "model": "keras", "epoch": 2,
        "epochs": 3, "steps": 938, "samples": 60000, "step": 400,
        "logs": {"loss": 0.25, "accuracy": float("nan"), "test_loss": float("inf")},
        "result": {"status": "completed", "epochs": [{"epoch": 1, "loss": 0.5}]},
        "rows": ({"epoch": 1, "loss": 0.5, "seconds": 1.0, "seconds_per_sample": 1e-5},),
        "summary": {"status": "failed", "models": {"keras": {"epochs": []}}, "x": (1, 2)},
        "confusion_matrix": ((95, 5), (12, 88)),
        "per_class": ({"class": 0, "name": "T-shirt/top", "precision": 0.8879, "recall": 0.95, "f1": 0.9179,
                       "support": 100},),
        "summary_path": Path("/runs/x/summary.md"), "error": "boom", "hint": "do this", "field": "epochs",
    }
    fields = [f.name for f in dataclasses.fields(cls) if f.init and f.name != "at"]
    return cls(**{name: values[name] for name in fields})


def same(a, b) -> bool:
    """Equality that takes NaN as equal to itself."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("cls", ENGINE_EVENTS, ids=lambda c: c.__name__)
def test_every_event_class_round_trips_through_a_journal_line(cls):
    event = sample(cls)
    line = event_line(event)
    assert "\n" not in line and json.loads(line)["event"] == cls.__name__
    assert same(parse_line(line), event)


def test_device_events_round_trip():
    detected = DevicesDetected(devices=({"id": "CPU:0", "name": "Xeon", "peak_gflops": 499.0},), gpu_present=False,
                               tensorflow="2.21.0", tf32=None)
    timing = TimingMeasured(row={"size": 500, "device": "CPU:0", "median_ms": 1.25, "rejected": False},
                            speedups=({"size": 500, "ratio": 2.5},))
    for event in (detected, timing):
        assert same(parse_line(event_line(event)), event)


def test_calculus_results_round_trip_with_their_sympy_objects():
    jacobian = next(e for e in run_collecting(JacobianTask("[x*y, sin(x) + y**2]", "1/2, 2"), None)
                    if isinstance(e, JacobianComputed))
    eigen = next(e for e in run_collecting(EigenTask("[[2,1,0],[1,2,1],[0,1,2]]"), None)
                 if isinstance(e, EigenComputed))
    for event in (jacobian, eigen):
        decoded = parse_line(event_line(event))
        assert same(decoded, event)
    decoded = parse_line(event_line(jacobian))
    assert decoded.result.problem.point_text() == jacobian.result.problem.point_text()
    assert decoded.result.symbolic.formula == jacobian.result.symbolic.formula


def test_decoding_refuses_what_the_encoder_never_writes():
    with pytest.raises(DecodeError):
        decode({"__dataclass__": "os:system", "fields": {}})
    with pytest.raises(DecodeError):
        decode({"__sympy__": "__import__('os').system('true')"})
    with pytest.raises(DecodeError):
        decode({"__sympy__": "Symbol('x').__class__"})
    assert decode(encode({"__tuple__": 1, 2: "two"})) == {"__tuple__": 1, 2: "two"}


def test_a_reader_skips_a_torn_last_line_until_it_is_complete_and_flags_a_damaged_one(tmp_path):
    path = tmp_path / "events.jsonl"
    first, second = event_line(Log("one")), event_line(Log("two"))
    path.write_text(first + "\n" + "{not json\n" + second[:20])
    reader = JournalReader(path)
    events = reader.read()
    assert [type(e) for e in events] == [Log, Log] and events[0].message == "one"
    assert "damaged line" in events[1].message and reader.damaged_lines == 1
    assert reader.read() == []  # the torn line is not read as an event
    with open(path, "a") as handle:
        handle.write(second[20:] + "\n")
    assert [e.message for e in reader.read()] == ["two"]


def test_the_writer_thins_batch_events_but_keeps_each_epochs_last_and_every_other_event(tmp_path):
    writer = JournalWriter(tmp_path / "events.jsonl", batch_interval=3600)
    writer.write(RunStarted(task="train", run_id="r", run_dir=None, config={}))
    for step in range(1, 101):
        writer.write(BatchProgress(model="keras", epoch=1, epochs=1, step=step, steps=100, logs={}, eta_seconds=None))
    writer.write(EpochEnded(model="keras", epoch=1, epochs=1, logs={"loss": 1.0}))
    writer.close()
    events = JournalReader(tmp_path / "events.jsonl").read_all()
    steps = [e.step for e in events if isinstance(e, BatchProgress)]
    assert steps == [1, 100] and isinstance(events[-1], EpochEnded)


def test_a_late_reader_gets_every_event_but_only_the_newest_batch_progress():
    batches = [BatchProgress(model="keras", epoch=1, epochs=2, step=s, steps=9, logs={}, eta_seconds=None)
               for s in (3, 6, 9)]
    ended = EpochEnded(model="keras", epoch=1, epochs=2, logs={})
    compacted = compact_backlog([Log("a"), *batches, ended, Log("b")])
    assert compacted == [Log("a"), batches[-1], ended, Log("b")]


def test_an_interrupted_run_is_a_failure_to_every_front_end():
    event = RunInterrupted(error="gone", hint="resume", summary={}, summary_path=None)
    assert isinstance(event, RunFailed) and events_module.is_terminal(event)
