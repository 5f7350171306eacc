"""Turns one model's training into events, TensorBoard scalars and its summary entry.

Both trainers drive a `ModelReporter` the same way (as Keras drives `CallbackList` in a
custom loop): `epoch_started`, `batch_done` for every batch, `epoch_ended`. The reporter
throttles batch events, computes timings, and keeps `summary["models"][name]` current so a
cancelled or failed run still records every epoch that completed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from fmnist_tui.render.class_figures import confusion_table

from ..class_figures import confusion_matrix, find_mistakes, matrix_lists, per_class, save_mistakes
from ..events import BatchProgress, ClassesScored, EpochEnded, EpochStarted, Event, ModelResumed, Throttle
from ..summaries import ResultsWriteError
from .checkpoints import ModelCheckpoint
from .evaluation import TestPredictions

BATCH_EVENT_INTERVAL = 0.05  # seconds: at most ~20 progress events per second per model


class TensorBoardWriter:
    """Per-epoch loss/accuracy scalars under `<logs>/<model>/{train,test}` (created lazily)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._writers: dict[str, Any] = {}

    def _writer(self, split: str):
        if split not in self._writers:
            from .._tf import tensorflow

            self._writers[split] = tensorflow().summary.create_file_writer(str(self.directory / split))
        return self._writers[split]

    def write_epoch(self, epoch: int, logs: Mapping[str, float]) -> None:
        from .._tf import tensorflow

        tf = tensorflow()
        for split, prefix in (("train", ""), ("test", "test_")):
            writer = self._writer(split)
            with writer.as_default():
                tf.summary.scalar("loss", logs[f"{prefix}loss"], step=epoch)
                tf.summary.scalar("accuracy", logs[f"{prefix}accuracy"], step=epoch)
            writer.flush()

    def write_confusion(self, epoch: int, matrix: np.ndarray) -> None:
        """The test set's confusion matrix as an image (shaded by share of its row) and as text."""
        from .._tf import tensorflow

        tf = tensorflow()
        with self._writer("test").as_default():
            tf.summary.image("confusion_matrix", confusion_image(matrix)[np.newaxis], step=epoch)
            # the counts as the summary shows them (a Markdown table with class names)
            tf.summary.text("confusion_matrix_counts", confusion_table(matrix_lists(matrix)).markdown(), step=epoch)
        self._writer("test").flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


CELL_PIXELS = 16  # side of one matrix cell in the TensorBoard image


def confusion_image(matrix: np.ndarray) -> np.ndarray:
    """An RGB image of a confusion matrix: each cell's blue shade is its share of the row
    (white: none of the class, dark blue: all of it); rows true, columns predicted."""
    matrix = np.asarray(matrix, dtype=np.float64)
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    white, blue = np.array([255.0, 255.0, 255.0]), np.array([8.0, 48.0, 107.0])
    cells = white + share[..., np.newaxis] * (blue - white)
    return np.kron(cells, np.ones((CELL_PIXELS, CELL_PIXELS, 1))).astype(np.uint8)


class ModelReporter:
    def __init__(
        self,
        model: str,
        epochs: int,
        steps: int,
        samples: int,
        emit: Callable[[Event], None],
        record: dict[str, Any],
        tensorboard: TensorBoardWriter | None = None,
        on_epoch: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        checkpoint: ModelCheckpoint | None = None,
    ) -> None:
        self.model = model
        self.epochs = epochs
        self.steps = steps
        self.samples = samples
        self._emit = emit
        self._record = record
        self._tensorboard = tensorboard
        self._on_epoch = on_epoch
        self._clock = clock
        self.checkpoint = checkpoint or ModelCheckpoint(None, model)
        self._throttle = Throttle(BATCH_EVENT_INTERVAL)
        self._epoch = 0
        self._epoch_start = 0.0
        self._last_step = 0
        self._execution: tuple[int, bool] | None = None
        record.update({"status": "running", "epochs": []})

    @property
    def epoch(self) -> int:
        """The epoch started last (1-based; 0 before the first)."""
        return self._epoch

    def set_steps_per_execution(self, steps: int, auto: bool) -> None:
        """The training steps per compiled call the trainer runs (and whether it sized them
        itself): recorded in the model's record now, and in every epoch's row from now on."""
        self._execution = (int(steps), bool(auto))
        self._record["steps_per_execution"] = {"steps": int(steps), "auto": bool(auto)}

    def restore(self) -> int:
        """Load the model's last checkpoint (if any) into its tracked variables; returns the
        epochs already completed. Call after the trainer has built its model and optimizer."""
        rows = self.checkpoint.restore()
        if rows:
            self._record["epochs"] = rows
            self._record.update(model_totals(rows, self.samples))
            self._emit(ModelResumed(model=self.model, epochs=self.epochs, rows=tuple(rows)))
        return len(rows)

    def epoch_started(self, epoch: int) -> None:
        self._epoch = epoch
        self._epoch_start = self._clock()
        self._last_step = 0
        self._throttle.reset()
        self._emit(
            EpochStarted(model=self.model, epoch=epoch, epochs=self.epochs, steps=self.steps, samples=self.samples)
        )

    def wants_batch_event(self, step: int) -> bool:
        """Whether to publish this step now (lets trainers skip reading metrics otherwise).

        Steps must move forward: Keras may run batch hooks on several threads, and an
        older step arriving late is dropped.
        """
        if step <= self._last_step:
            return False
        if step >= self.steps or self._throttle.ready():
            self._last_step = step
            return True
        return False

    def batch_done(self, step: int, logs: Mapping[str, float]) -> None:
        elapsed = self._clock() - self._epoch_start
        eta = elapsed / step * (self.steps - step) if step else None
        self._emit(
            BatchProgress(
                model=self.model, epoch=self._epoch, epochs=self.epochs, step=step,
                steps=self.steps, logs=dict(logs), eta_seconds=eta,
            )
        )

    def epoch_ended(self, logs: Mapping[str, float], test: TestPredictions | None = None) -> dict[str, float]:
        """Record the epoch; with the test set's predictions, its test figures come from them
        and so do its per-class figures (`ClassesScored`, after `EpochEnded`)."""
        seconds = self._clock() - self._epoch_start
        if test is not None:
            logs = {**logs, "test_loss": test.loss, "test_accuracy": test.accuracy}
        row = self._epoch_row(logs, seconds)
        # The state first: a kill between the two leaves a checkpoint one epoch ahead of the
        # summary, and the checkpoint carries that epoch's row. If the state cannot be saved
        # (a full disk), the epoch is still recorded, then the run stops.
        unsaved: ResultsWriteError | None = None
        try:
            self.checkpoint.save([*self._record["epochs"], row])
        except ResultsWriteError as exc:
            unsaved = exc
        self._record["epochs"].append(row)
        self._record.update(model_totals(self._record["epochs"], self.samples))
        if self._tensorboard is not None:
            self._tensorboard.write_epoch(self._epoch, row)
        self._emit(EpochEnded(model=self.model, epoch=self._epoch, epochs=self.epochs, logs=dict(row)))
        if test is not None and unsaved is None:
            unsaved = self._score_classes(test)
        if self._on_epoch is not None:
            self._on_epoch()
        if unsaved is not None:
            raise unsaved
        return row

    def _epoch_row(self, logs: Mapping[str, float], seconds: float) -> dict[str, Any]:
        row = {
            "epoch": self._epoch,
            "loss": float(logs["loss"]),
            "accuracy": float(logs["accuracy"]),
            "test_loss": float(logs["test_loss"]),
            "test_accuracy": float(logs["test_accuracy"]),
            "seconds": seconds,
            # Seconds per training sample seen this epoch (the original multiplied by 100/6).
            "seconds_per_sample": seconds / self.samples,
        }
        if self._execution is not None:
            row["steps_per_execution"], row["steps_per_execution_auto"] = self._execution
        return row

    def _score_classes(self, test: TestPredictions) -> ResultsWriteError | None:
        """The epoch's confusion matrix and per-class scores: in the record, TensorBoard and a
        `ClassesScored` event; its mistakes in the run directory (written before the event,
        so a screen that hears of them can read them)."""
        matrix = confusion_matrix(test.labels, test.predicted)
        scores = per_class(matrix)
        self._record["confusion_matrix"] = matrix_lists(matrix)
        self._record["per_class"] = scores
        if self._tensorboard is not None:
            self._tensorboard.write_confusion(self._epoch, matrix)
        unsaved = None
        if self.checkpoint.run_dir is not None:
            mistakes = find_mistakes(self.model, self._epoch, test.labels, test.predicted, test.confidence, test.images)
            try:
                save_mistakes(self.checkpoint.run_dir, mistakes)
            except ResultsWriteError as exc:
                unsaved = exc
        self._emit(ClassesScored(model=self.model, epoch=self._epoch,
                                 confusion_matrix=tuple(tuple(row) for row in matrix_lists(matrix)),
                                 per_class=tuple(scores)))
        return unsaved

    def close(self, status: str) -> None:
        self._record["status"] = status
        if self._tensorboard is not None:
            self._tensorboard.close()


def model_totals(epochs: list[Mapping[str, float]], samples_per_epoch: int) -> dict[str, Any]:
    """The comparison-table figures for one model, from its per-epoch rows."""
    if not epochs:
        return {}
    last = epochs[-1]
    best = max(epochs, key=lambda e: e["test_accuracy"])
    seconds = sum(e["seconds"] for e in epochs)
    samples = samples_per_epoch * len(epochs)
    # what the last epoch ran: an auto value is measured anew by a resumed run
    execution = {}
    if last.get("steps_per_execution") is not None:
        execution = {"steps_per_execution": {"steps": last["steps_per_execution"],
                                             "auto": bool(last.get("steps_per_execution_auto"))}}
    return {
        "epochs_completed": len(epochs),
        "test_accuracy": last["test_accuracy"],
        "test_loss": last["test_loss"],
        "train_accuracy": last["accuracy"],
        "train_loss": last["loss"],
        "best_test_accuracy": best["test_accuracy"],
        "best_epoch": best["epoch"],
        "seconds_total": seconds,
        "seconds_per_epoch": seconds / len(epochs),
        "seconds_per_sample": seconds / samples,
        "samples_per_second": samples / seconds if seconds > 0 else None,
        **execution,
    }
