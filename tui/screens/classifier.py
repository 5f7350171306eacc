"""The Classifier screen: configure, start and cancel a training run, and watch it live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button, DataTable, Header, Log, Static, TabbedContent, TabPane,
)

from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.events import (
    BatchProgress, EpochEnded, EpochStarted, Event, Log as LogEvent, ModelFinished, ModelResumed,
    RunCancelled, RunFailed, RunFinished, RunStarted,
)
from fmnist_tui.engine.training.config import MODEL_NAMES, MODEL_TITLES, TrainConfig
from fmnist_tui.engine.training.reporting import model_totals
from fmnist_tui.engine.training.summary import COMPARISON_ROWS

from ..widgets.curves import TrainingCurves
from ..widgets.footer import StableFooter
from ..widgets.model_progress import ModelProgress
from .task_screen import TaskScreen

BATCH_REDRAW_SECONDS = 0.25  # batch bars move four times a second


class ClassifierScreen(TaskScreen):
    HELP = """\
## Classifier

Trains the same network — Flatten → Dense 512 relu → Dropout 0.2 → Dense 10 softmax,
Adam 0.001, batch 64 — twice: with Keras `compile`/`fit`, and low-level with
`tf.Variable`, `GradientTape` and an optimizer. Models run one after the other so their
timings are fair. The tabs show the comparison table, loss and accuracy curves, every
epoch, and a log. TensorBoard logs go to `logs/fit/<run-id>/` (`tensorboard --logdir logs`).
"""

    RUN_GROUP = "train"
    TASK = "train"
    CONFIG = TrainConfig
    SETTINGS = ("train.epochs", "train.batch_size", "train.learning_rate", "train.dropout", "train.hidden_units",
                "train.seed", "train.strategy", "train.steps_per_execution", "train.models")
    STATUS_ID = "#run-status"
    CANCELLING_TEXT = "Cancelling… (stops within a batch)"

    def __init__(self) -> None:
        super().__init__()
        self._epochs: dict[str, list[dict]] = {}
        self._samples: dict[str, int] = {}
        self._pending_batches: dict[str, BatchProgress] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="classifier"):
            with VerticalScroll(id="train-form", classes="task-form"):
                yield Static("[b]Settings[/b]", classes="form-title")
                yield from self.form_fields()
                with Horizontal(classes="form-buttons"):
                    yield Button("Start (s)", id="start", variant="success", compact=True)
                    yield Button("Cancel (c)", id="cancel", variant="error", compact=True, disabled=True)
            with Vertical(id="train-main"):
                yield Static("Ready. Press [b]s[/b] to start training.", id="run-status")
                for model in MODEL_NAMES:
                    yield ModelProgress(model, MODEL_TITLES[model])
                with TabbedContent(id="train-tabs"):
                    with TabPane("Comparison", id="tab-comparison"):
                        yield DataTable(id="comparison-table", cursor_type="none", zebra_stripes=True)
                    with TabPane("Curves", id="tab-curves"):
                        yield TrainingCurves(id="curves")
                    with TabPane("Epochs", id="tab-epochs"):
                        yield DataTable(id="epoch-table", cursor_type="row", zebra_stripes=True)
                    with TabPane("Log", id="tab-log"):
                        yield Log(id="run-log", highlight=False)
        yield StableFooter()

    def on_mount(self) -> None:
        self._reset_tables(MODEL_NAMES)
        epochs = self.query_one("#epoch-table", DataTable)
        epochs.add_columns("model", "epoch", "loss", "accuracy", "test loss", "test acc", "seconds")
        self.set_interval(BATCH_REDRAW_SECONDS, self._draw_batches)

    def _draw_batches(self) -> None:
        """Draw the newest batch progress of each model, when this screen is the one shown.

        Batch events arrive up to ten times a second per model; drawing each one cost the
        app (and so the training, on two cores) more than the bars are worth.
        """
        if not self._pending_batches or self.app.screen is not self:
            return
        for event in self._pending_batches.values():
            self.query_one(f"#progress-{event.model}", ModelProgress).batch_progress(
                event.epoch, event.epochs, event.step, dict(event.logs), event.eta_seconds
            )
        self._pending_batches.clear()

    # ---- the run -----------------------------------------------------------------------

    def task_options(self, config: TrainConfig) -> dict[str, Any]:
        settings = self.app.settings
        return {
            "config": config.to_dict(),
            "data_dir": str(settings.data_dir) if settings.data_dir else None,
            "logs_dir": str(Path(settings.logs_dir).resolve()),
        }

    def run_started(self, event: RunStarted) -> None:
        try:
            config = TrainConfig.parse(dict(event.config))
        except ConfigError:  # a run from another version: show it with the defaults' layout
            config = TrainConfig()
        self._prepare(config)

    def _prepare(self, config: TrainConfig) -> None:
        self._epochs = {m: [] for m in config.models}
        self._samples = {}
        self._reset_tables(config.models)
        self.query_one("#epoch-table", DataTable).clear()
        self.query_one("#curves", TrainingCurves).clear()
        for model in MODEL_NAMES:
            progress = self.query_one(f"#progress-{model}", ModelProgress)
            progress.display = model in config.models
            progress.reset(config.epochs)

    def _reset_tables(self, models) -> None:
        table = self.query_one("#comparison-table", DataTable)
        table.clear(columns=True)
        table.add_column("metric", key="metric")
        for model in models:
            table.add_column(MODEL_TITLES[model], key=model)
        for label, key, _ in COMPARISON_ROWS:
            table.add_row(label, *[Text("—", justify="right")] * len(models), key=key)

    def show_event(self, event: Event) -> None:
        """Render one engine event (called on the UI's event loop)."""
        status = self.query_one("#run-status", Static)
        log = self.query_one("#run-log", Log)
        if isinstance(event, RunStarted):
            self.run_id = event.run_id
            status.update(f"Run [b]{event.run_id}[/b] started.")
            log.write_line(f"Run {event.run_id} → {event.run_dir}")
        elif isinstance(event, LogEvent):
            status.update(escape(event.message))  # paths may hold [brackets]
            log.write_line(event.message)
        elif isinstance(event, EpochStarted):
            self._samples[event.model] = event.samples
            self.query_one(f"#progress-{event.model}", ModelProgress).epoch_started(event.epoch, event.epochs, event.steps)
        elif isinstance(event, BatchProgress):
            self._pending_batches[event.model] = event  # drawn by _draw_batches
        elif isinstance(event, EpochEnded):
            self._pending_batches.pop(event.model, None)
            self._epoch_ended(event)
        elif isinstance(event, ModelResumed):
            log.write_line(f"{event.model}: resumed after epoch {len(event.rows)}")
            if event.rows and event.rows[0].get("seconds_per_sample"):  # samples per epoch, for the totals
                self._samples[event.model] = round(event.rows[0]["seconds"] / event.rows[0]["seconds_per_sample"])
            for row in event.rows:
                self._epoch_ended(EpochEnded(model=event.model, epoch=int(row["epoch"]), epochs=event.epochs,
                                             logs=row))
        elif isinstance(event, ModelFinished):
            self.query_one(f"#progress-{event.model}", ModelProgress).finished(event.result.get("status", ""))
            log.write_line(f"{event.model}: {event.result.get('status')}")
        elif isinstance(event, (RunFinished, RunCancelled, RunFailed)):
            self._run_ended(event)

    def _epoch_ended(self, event: EpochEnded) -> None:
        logs = dict(event.logs)
        self._epochs.setdefault(event.model, []).append(logs)
        self.query_one(f"#progress-{event.model}", ModelProgress).epoch_ended(event.epoch, event.epochs, logs)
        self.query_one("#epoch-table", DataTable).add_row(
            event.model, str(event.epoch), f"{logs['loss']:.4f}", f"{logs['accuracy']:.4f}",
            f"{logs['test_loss']:.4f}", f"{logs['test_accuracy']:.4f}", f"{logs['seconds']:.2f}",
        )
        self.query_one("#curves", TrainingCurves).add_epoch(event.model, logs)
        self._update_comparison(event.model)
        self.query_one("#run-log", Log).write_line(
            f"{event.model} epoch {event.epoch}/{event.epochs}: loss {logs['loss']:.4f} acc {logs['accuracy']:.4f} "
            f"test loss {logs['test_loss']:.4f} test acc {logs['test_accuracy']:.4f} ({logs['seconds']:.1f} s)"
        )

    def _update_comparison(self, model: str) -> None:
        totals = model_totals(self._epochs[model], self._samples.get(model, 1))
        table = self.query_one("#comparison-table", DataTable)
        for _, key, render in COMPARISON_ROWS:
            table.update_cell(key, model, Text(render(totals.get(key)), justify="right"))

    def _run_ended(self, event: Event) -> None:
        status = self.query_one("#run-status", Static)
        log = self.query_one("#run-log", Log)
        outcome = type(event).__name__.removeprefix("Run").lower()
        self.last_summary_path = event.summary_path
        where = f" Summary: {escape(str(event.summary_path))}" if event.summary_path else ""
        if isinstance(event, RunFinished):
            status.update(f"[green]Run {self.run_id} completed.[/]{where}")
            self.notify("Training finished.", title="Classifier")
        elif isinstance(event, RunCancelled):
            status.update(f"[yellow]Run {self.run_id} cancelled.[/]{where}")
            self.notify("Run cancelled; completed epochs are kept.", severity="warning", title="Classifier")
        else:
            status.update(f"[red]Run failed:[/] {escape(event.error)}")
            self.notify(f"{event.error}\n{event.hint}", severity="error", title="Run failed", timeout=15)
            log.write_line(f"error: {event.error} {event.hint}")
        log.write_line(f"Run {self.run_id} {outcome}." + (f" Summary: {event.summary_path}" if event.summary_path else ""))
