"""The Classifier screen: configure, start and cancel a training run, and watch it live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button, DataTable, Header, Log, Static, TabbedContent, TabPane, Tabs,
)

from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.events import (
    BatchProgress, ClassesScored, EpochEnded, EpochStarted, ModelFinished, ModelResumed, RunStarted,
)
from fmnist_tui.engine.training.config import MODEL_NAMES, MODEL_TITLES, TrainConfig
from fmnist_tui.engine.training.reporting import model_totals
from fmnist_tui.engine.training.summary import COMPARISON_ROWS
from fmnist_tui.render.class_figures import diagonal_choice, record_figures
from fmnist_tui.render.training import EPOCH_HEADERS, epoch_cells, epoch_line, model_finished_line, resumed_line

from ..event_dispatch import handles
from ..widgets.confusion_matrix import ConfusionView
from ..widgets.curves import TrainingCurves
from ..widgets.footer import StableFooter
from ..widgets.system_panel import SystemPanel
from ..widgets.mistakes import MistakesView
from ..widgets.model_progress import ModelProgress
from .task_screen import TaskScreen

# Batch bars move twice a second: four times cost the training beside the app about 3% more
# on two cores (Keras epochs 1.06× headless against 1.03×, bench/app_session.py's method)
BATCH_REDRAW_SECONDS = 0.5
TABS = ("tab-comparison", "tab-curves", "tab-epochs", "tab-confusion", "tab-mistakes", "tab-log")


class ClassifierScreen(TaskScreen):
    HELP = """\
## Classifier

Trains the same network — Flatten → Dense 512 relu → Dropout 0.2 → Dense 10 softmax,
Adam 0.001, batch 64 — twice: with Keras `compile`/`fit`, and low-level with
`tf.Variable`, `GradientTape` and an optimizer. Models run one after the other so their
timings are fair. The tabs show the comparison table, loss and accuracy curves, every
epoch, each model's confusion matrix with per-class precision, recall and F1 (updated every
epoch), its misclassified test images, and a log. TensorBoard logs go to
`logs/fit/<run-id>/` (`tensorboard --logdir logs`).

| key | where | does |
| --- | --- | --- |
| `[` / `]` | anywhere on this screen | previous / next tab |
| `m` | Confusion, Mistakes tabs | the other model |
| arrows, `Enter` | Confusion tab | a count's images, on the Mistakes tab (a class's scores: all its mistakes) |
| `n` / `p`, `PgDn` / `PgUp` | Mistakes tab | next / previous page |
| `a` | Mistakes tab | all the model's mistakes again (clears the pair) |

Counts are shaded by their share of the row: green on the diagonal (correct), red off it
(mistaken). Mistakes are the test images of the last epoch, most confident first.
"""

    TASK = "train"
    CONFIG = TrainConfig
    SETTINGS = ("train.epochs", "train.batch_size", "train.learning_rate", "train.dropout", "train.hidden_units",
                "train.seed", "train.strategy", "train.steps_per_execution", "train.models")
    FIELDS_LEAVE = "[]"  # the tab keys: no training setting is written with brackets
    STATUS_ID = "#run-status"
    LOG_ID = "#run-log"
    TASK_TITLE = "Classifier"
    CANCELLING_TEXT = "Cancelling… (stops within a batch)"
    # priority: before the focused widget sees them (the form's inputs leave them: FIELDS_LEAVE)
    BINDINGS = [
        Binding("left_square_bracket", "switch_tab(-1)", "Prev tab", priority=True, id="tab-previous",
                group=Binding.Group("Tabs", compact=True)),
        Binding("right_square_bracket", "switch_tab(1)", "Next tab", priority=True, id="tab-next",
                group=Binding.Group("Tabs", compact=True)),
    ]

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
                yield SystemPanel(id="train-system")
                for model in MODEL_NAMES:
                    yield ModelProgress(model, MODEL_TITLES[model])
                with TabbedContent(id="train-tabs"):
                    with TabPane("Comparison", id="tab-comparison"):
                        yield DataTable(id="comparison-table", cursor_type="none", zebra_stripes=True)
                    with TabPane("Curves", id="tab-curves"):
                        yield TrainingCurves(id="curves")
                    with TabPane("Epochs", id="tab-epochs"):
                        yield DataTable(id="epoch-table", cursor_type="row", zebra_stripes=True)
                    with TabPane("Confusion", id="tab-confusion"):
                        yield ConfusionView(id="confusion")
                    with TabPane("Mistakes", id="tab-mistakes"):
                        yield MistakesView(id="mistakes")
                    with TabPane("Log", id="tab-log"):
                        yield Log(id="run-log", highlight=False)
        yield StableFooter()

    # ---- the widgets used more than once --------------------------------------------

    @property
    def epoch_table(self) -> DataTable:
        return self.query_one("#epoch-table", DataTable)

    @property
    def comparison_table(self) -> DataTable:
        return self.query_one("#comparison-table", DataTable)

    @property
    def curves(self) -> TrainingCurves:
        return self.query_one("#curves", TrainingCurves)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#train-tabs", TabbedContent)

    @property
    def confusion(self) -> ConfusionView:
        return self.query_one("#confusion", ConfusionView)

    @property
    def mistakes(self) -> MistakesView:
        return self.query_one("#mistakes", MistakesView)

    def model_progress(self, model: str) -> ModelProgress:
        return self.query_one(f"#progress-{model}", ModelProgress)

    def on_mount(self) -> None:
        self._reset_tables(MODEL_NAMES)
        self.epoch_table.add_columns(*EPOCH_HEADERS)
        self.set_interval(BATCH_REDRAW_SECONDS, self._draw_batches)

    def _draw_batches(self) -> None:
        """Draw the newest batch progress of each model, when this screen is the one shown.

        Batch events arrive up to ten times a second per model; drawing each one cost the
        app (and so the training, on two cores) more than the bars are worth.
        """
        if not self._pending_batches or not self.is_current:
            return
        for event in self._pending_batches.values():
            self.model_progress(event.model).batch_progress(
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
        self.confusion.reset(config.models)
        self.mistakes.reset(event.run_dir, config.models)

    def _prepare(self, config: TrainConfig) -> None:
        self._epochs = {m: [] for m in config.models}
        self._samples = {}
        self._reset_tables(config.models)
        self.epoch_table.clear()
        self.curves.clear()
        for model in MODEL_NAMES:
            progress = self.model_progress(model)
            progress.display = model in config.models
            progress.reset(config.epochs)

    def _reset_tables(self, models) -> None:
        table = self.comparison_table
        table.clear(columns=True)
        table.add_column("metric", key="metric")
        for model in models:
            table.add_column(MODEL_TITLES[model], key=model)
        for label, key, _ in COMPARISON_ROWS:
            table.add_row(label, *[Text("—", justify="right")] * len(models), key=key)

    @handles(EpochStarted)
    def show_epoch_started(self, event: EpochStarted) -> None:
        self._samples[event.model] = event.samples
        self.model_progress(event.model).epoch_started(event.epoch, event.epochs, event.steps)

    @handles(BatchProgress)
    def show_batch_progress(self, event: BatchProgress) -> None:
        self._pending_batches[event.model] = event  # drawn by _draw_batches

    @handles(EpochEnded)
    def show_epoch_ended(self, event: EpochEnded) -> None:
        self._pending_batches.pop(event.model, None)
        self._epoch_ended(event)

    @handles(ModelResumed)
    def show_model_resumed(self, event: ModelResumed) -> None:
        self.write_log(resumed_line(event.model, len(event.rows), event.epochs))
        if event.rows and event.rows[0].get("seconds_per_sample"):  # samples per epoch, for the totals
            self._samples[event.model] = round(event.rows[0]["seconds"] / event.rows[0]["seconds_per_sample"])
        for row in event.rows:
            self._epoch_ended(EpochEnded(model=event.model, epoch=int(row["epoch"]), epochs=event.epochs, logs=row))
        self._restore_figures(event.model, len(event.rows))

    @handles(ClassesScored)
    def show_classes_scored(self, event: ClassesScored) -> None:
        self.confusion.add_figures(event)
        self.mistakes.figures_changed(event.model)
        self.mistakes.show_model(self.confusion.model)  # both tabs show the same model

    def _restore_figures(self, model: str, epoch: int) -> None:
        """A resumed model's figures of its last completed epoch, from the run's summary: the
        resumed run does not announce them again (its mistakes file is still in the run)."""
        if self.confusion.has_figures(model) or self.run_dir is None:
            return
        from fmnist_tui.engine.launcher import read_summary

        figures = record_figures(((read_summary(self.run_dir) or {}).get("models") or {}).get(model))
        if figures is not None:
            matrix, scores = figures
            self.show_classes_scored(ClassesScored(model=model, epoch=epoch, per_class=tuple(scores),
                                                   confusion_matrix=tuple(tuple(row) for row in matrix)))

    @handles(ModelFinished)
    def show_model_finished(self, event: ModelFinished) -> None:
        self.model_progress(event.model).finished(event.result.get("status", ""))
        self.write_log(model_finished_line(event.model, event.result))

    def _epoch_ended(self, event: EpochEnded) -> None:
        logs = dict(event.logs)
        self._epochs.setdefault(event.model, []).append(logs)
        self.model_progress(event.model).epoch_ended(event.epoch, event.epochs, logs)
        self.epoch_table.add_row(*epoch_cells(event.model, event.epoch, logs))
        self.curves.add_epoch(event.model, logs)
        self._update_comparison(event.model)
        self.write_log(epoch_line(event.model, event.epoch, event.epochs, logs))

    def _update_comparison(self, model: str) -> None:
        totals = model_totals(self._epochs[model], self._samples.get(model, 1))
        table = self.comparison_table
        for _, key, render in COMPARISON_ROWS:
            table.update_cell(key, model, Text(render(totals.get(key)), justify="right"))

    # ---- the tabs ------------------------------------------------------------------------

    def action_switch_tab(self, step: int) -> None:
        """The previous or next tab (wrapping round), its main widget focused."""
        current = TABS.index(self.tabs.active) if self.tabs.active in TABS else 0
        self.show_tab(TABS[(current + step) % len(TABS)])

    def show_tab(self, pane: str) -> None:
        self.tabs.active = pane
        target = {"tab-confusion": self.confusion.table, "tab-mistakes": self.mistakes}.get(pane)
        if target is not None and target.display:
            target.focus()
        elif self.focused is not None and self.tabs in self.focused.ancestors:
            self.tabs.query_one(Tabs).focus()  # not a widget of the pane just hidden

    @on(ConfusionView.PairChosen)
    def _pair_chosen(self, event: ConfusionView.PairChosen) -> None:
        if event.true == event.predicted:
            self.notify(diagonal_choice(event.true), title="No mistakes", markup=False)
            return
        self.mistakes.show_pair(event.model, event.true, event.predicted)
        self.show_tab("tab-mistakes")

    @on(ConfusionView.ModelChosen)
    def _confusion_model_chosen(self, event: ConfusionView.ModelChosen) -> None:
        self.mistakes.show_model(event.model)

    @on(MistakesView.ModelChosen)
    def _mistakes_model_chosen(self, event: MistakesView.ModelChosen) -> None:
        self.confusion.show_model(event.model)

    def on_screen_resume(self) -> None:
        # Show events come only when the tab changes: figures that arrived while another
        # screen was shown are drawn now
        self.confusion.refresh_if_stale()
        self.mistakes.refresh_if_stale()
