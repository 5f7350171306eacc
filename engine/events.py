"""Typed events that every task publishes, and that both front ends consume.

Events are frozen dataclasses. Static facts about a run arrive once, in `RunStarted`;
metrics travel as flat `logs` mappings of name to float, as in Keras callbacks. Every run
ends with exactly one terminal event: `RunFinished`, `RunFailed` or `RunCancelled`.
Tasks may define their own event classes (subclasses of `Event`) next to the task.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


@dataclass(frozen=True)
class Event:
    """Base class of all engine events; `at` is a monotonic timestamp in seconds."""

    at: float = field(default_factory=time.monotonic, kw_only=True, compare=False)


@dataclass(frozen=True)
class RunStarted(Event):
    task: str
    run_id: str
    run_dir: Path | None
    config: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Log(Event):
    """A line of narration for the user ("loading data from …")."""

    message: str
    level: str = "info"


@dataclass(frozen=True)
class Progress(Event):
    """Generic progress of a task that is not organised in epochs."""

    done: int
    total: int
    label: str = ""
    eta_seconds: float | None = None


@dataclass(frozen=True)
class EpochStarted(Event):
    model: str
    epoch: int  # 1-based
    epochs: int
    steps: int  # batches in this epoch
    samples: int  # training samples in this epoch


@dataclass(frozen=True)
class BatchProgress(Event):
    """Throttled: at most ~20 per second per model, plus the last batch of each epoch."""

    model: str
    epoch: int
    epochs: int
    step: int  # batches done in this epoch
    steps: int
    logs: Mapping[str, float]
    eta_seconds: float | None  # for the rest of this epoch


@dataclass(frozen=True)
class EpochEnded(Event):
    """`logs` holds loss, accuracy, test_loss, test_accuracy, seconds, seconds_per_sample."""

    model: str
    epoch: int
    epochs: int
    logs: Mapping[str, float]


@dataclass(frozen=True)
class ClassesScored(Event):
    """A model's test-set figures per class at the end of an epoch (see `class_figures`).

    `confusion_matrix` counts (true class, predicted class), rows true; `per_class` holds
    one mapping per class: class, name, precision, recall, f1, support.
    """

    model: str
    epoch: int
    confusion_matrix: tuple[tuple[int, ...], ...]
    per_class: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class ModelResumed(Event):
    """A resumed run restored a model at the end of its last completed epoch.

    `rows` are that model's completed epochs (as in `EpochEnded.logs`), so a screen can
    rebuild its tables and curves; training continues with epoch `len(rows) + 1`.
    """

    model: str
    epochs: int
    rows: tuple[Mapping[str, float], ...]


@dataclass(frozen=True)
class ModelFinished(Event):
    """One model is done; `result` is its entry in the summary's `models` mapping."""

    model: str
    result: Mapping[str, Any]


@dataclass(frozen=True)
class RunFinished(Event):
    summary: Mapping[str, Any]
    summary_path: Path | None


@dataclass(frozen=True)
class RunFailed(Event):
    error: str
    hint: str
    summary: Mapping[str, Any]
    summary_path: Path | None
    field: str | None = None  # the setting at fault, when the input was refused


@dataclass(frozen=True)
class RunInterrupted(RunFailed):
    """The run's worker process ended without finishing the run (killed, or its machine died).

    Nobody else can write its ending, so this is not in the journal: a reader that finds the
    worker gone publishes it.
    """


@dataclass(frozen=True)
class RunCancelled(Event):
    summary: Mapping[str, Any]
    summary_path: Path | None


TERMINAL_EVENTS = (RunFinished, RunFailed, RunCancelled)  # RunInterrupted is a RunFailed


def is_terminal(event: Event) -> bool:
    return isinstance(event, TERMINAL_EVENTS)


class Throttle:
    """Lets an action through at most once per `interval` seconds (first call always passes)."""

    def __init__(self, interval: float = 0.05, clock=time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None

    def ready(self) -> bool:
        now = self._clock()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            return True
        return False

    def reset(self) -> None:
        self._last = None
