"""`fmnist-tui run train`: train and compare the two classifiers headless."""

from __future__ import annotations

import argparse
from typing import Any, Iterator, Mapping

from rich.table import Table

from fmnist_tui.engine.events import BatchProgress, EpochEnded, EpochStarted, ModelFinished, ModelResumed
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.render.class_figures import confusion_table, per_class_table, record_figures
from fmnist_tui.render.training import batch_note, epoch_line, epoch_note, model_title, resumed_line

from ..event_dispatch import handles
from ..headless import HeadlessRenderer
from . import add_setting_arguments, section_values

NAME = "train"
HELP = "train the Keras and the low-level classifier and compare them"
EPILOG = """\
examples:
  fmnist-tui run train --epochs 3
  fmnist-tui run train --epochs 10 --models lowlevel --lr 0.0005 --seed 7
  fmnist-tui run train --data-dir ~/data/fashion-mnist --out ~/fmnist-runs
  fmnist-tui run train --strategy mirrored        # every local GPU
  TF_CONFIG='{"cluster": …, "task": …}' fmnist-tui run train --strategy multiworker

Each run writes runs/<run-id>/summary.md and summary.json, and TensorBoard logs to
logs/fit/<run-id>/<model>/{train,test} (view with: tensorboard --logdir logs).
Ctrl-C cancels; the summary then records the epochs that completed.
"""


SETTING_SECTIONS = ("train",)


def add_arguments(parser: argparse.ArgumentParser, added: set[str] | None = None) -> None:
    add_setting_arguments(parser, "train", added)
    if isinstance(parser, argparse.ArgumentParser):  # not inside `run all`
        parser.add_argument(
            "--resume", metavar="RUN_ID", default=None,
            help="continue a cancelled or interrupted training in its own directory, from its last completed "
            "epoch, with its original settings",
        )
        parser.add_argument(
            "--workers", metavar="N", type=_worker_count, default=None,
            help="try multi-worker training on this machine: N local worker processes of one cluster "
            "(free ports, the cores shared between them), the chief's output shown; Ctrl-C stops them all",
        )


def _worker_count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of workers, got {text!r}") from None


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.data import check_data_dir
    from fmnist_tui.engine.errors import ConfigError
    from fmnist_tui.engine.training.cluster import outputs_of_this_worker
    from fmnist_tui.engine.training.task import TrainTask

    check_data_dir(args.data_dir)
    config = TrainConfig.parse(section_values(args, "train"))
    # A worker of a cluster other than the chief writes into a scratch directory of its own.
    outputs = outputs_of_this_worker(args.out, args.logs, config.strategy)
    if outputs.scratch is not None and getattr(args, "detach", False):
        outputs.remove_scratch()
        raise ConfigError("strategy", "Only the chief of a cluster (worker 0) can run in the background: "
                          "the other workers write nothing to keep.", "Drop --detach on this worker.")
    args.out, args.logs, args.scratch_outputs = str(outputs.out), outputs.logs, outputs
    return TrainTask(config, data_dir=args.data_dir, logs_dir=args.logs)


def comparison_table(models: Mapping[str, Mapping[str, Any]]) -> Table:
    from fmnist_tui.engine.training.summary import comparison_rows

    table = Table(title="Comparison", title_justify="left")
    table.add_column("metric")
    for name in models:
        table.add_column(model_title(name), justify="right")
    for row in comparison_rows(models):
        table.add_row(*row)
    return table


def class_figures(name: str, record: Mapping[str, Any]) -> Iterator[Any]:
    """The model's confusion matrix (shaded as on the screen) and per-class table, if it has them."""
    figures = record_figures(record)
    if figures is None:
        return
    matrix, scores = figures
    title = model_title(name)
    counts = confusion_table(matrix, short_columns=True)
    yield counts.rich(title=f"{title} — confusion matrix (last epoch)", title_justify="left")
    yield " ".join(counts.notes)
    yield per_class_table(scores).rich(title=f"{title} — per class (last epoch)", title_justify="left")


class Renderer(HeadlessRenderer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._epoch_bars: dict[str, Any] = {}
        self._batch_bars: dict[str, Any] = {}

    def _add_epoch_bar(self, model: str, epochs: int) -> None:
        if model not in self._epoch_bars:
            self._epoch_bars[model] = self.progress.add_task(f"{model_title(model)} epochs", total=epochs, info="")

    @handles(EpochStarted)
    def show_epoch_started(self, event: EpochStarted) -> None:
        self._add_epoch_bar(event.model, event.epochs)
        if event.model not in self._batch_bars:
            self._batch_bars[event.model] = self.progress.add_task(
                f"{model_title(event.model)} batches", total=event.steps, info="")
        self.progress.reset(self._batch_bars[event.model], total=event.steps, info=f"epoch {event.epoch}")

    @handles(BatchProgress)
    def show_batch_progress(self, event: BatchProgress) -> None:
        self.progress.update(self._batch_bars[event.model], completed=event.step, info=batch_note(event.epoch, event.logs))

    @handles(EpochEnded)
    def show_epoch_ended(self, event: EpochEnded) -> None:
        self.progress.update(self._epoch_bars[event.model], completed=event.epoch, info=epoch_note(event.logs))
        self.progress.console.print(epoch_line(event.model, event.epoch, event.epochs, event.logs), markup=False,
                                    highlight=False)

    @handles(ModelResumed)
    def show_model_resumed(self, event: ModelResumed) -> None:
        self._add_epoch_bar(event.model, event.epochs)
        self.progress.update(self._epoch_bars[event.model], completed=len(event.rows))
        self.progress.console.print(resumed_line(event.model, len(event.rows), event.epochs), markup=False,
                                    highlight=False)

    @handles(ModelFinished)
    def show_model_finished(self, event: ModelFinished) -> None:
        if event.model in self._batch_bars:
            self.progress.update(self._batch_bars[event.model], visible=False)

    def show_result(self, summary) -> None:
        models = {k: v for k, v in (summary.get("models") or {}).items() if v.get("epochs")}
        if models:
            self.console.print(comparison_table(models))
        for name, record in models.items():
            for renderable in class_figures(name, record):
                self.console.print(renderable, markup=False, highlight=False)
