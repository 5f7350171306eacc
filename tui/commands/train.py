"""`fmnist-tui run train`: train and compare the two classifiers headless."""

from __future__ import annotations

import argparse
from typing import Any, Mapping

from rich.table import Table

from fmnist_tui.engine.events import BatchProgress, EpochEnded, EpochStarted, ModelFinished, ModelResumed
from fmnist_tui.engine.training.config import MODEL_TITLES, TrainConfig

from ..headless import HeadlessRenderer

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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    parser.add_argument("--epochs", default=d.epochs, metavar="N", help=f"epochs per model (default {d.epochs})")
    parser.add_argument("--batch-size", default=d.batch_size, metavar="B", help=f"batch size (default {d.batch_size})")
    parser.add_argument("--lr", default=d.learning_rate, metavar="X", help=f"Adam learning rate (default {d.learning_rate})")
    parser.add_argument("--dropout", default=d.dropout, metavar="P", help=f"dropout rate in [0, 1) (default {d.dropout})")
    parser.add_argument("--hidden", default=d.hidden_units, metavar="H", help=f"hidden units (default {d.hidden_units})")
    parser.add_argument("--seed", default=d.seed, metavar="S", help=f"random seed, or 'none' (default {d.seed})")
    parser.add_argument(
        "--models", default=",".join(d.models), metavar="LIST",
        help="comma-separated models to train, in order: keras, lowlevel (default both)",
    )
    parser.add_argument(
        "--strategy", default=d.strategy, metavar="NAME",
        help="tf.distribute strategy: default (one device), mirrored (all local GPUs, or all logical "
        "CPUs), multiworker (machines in TF_CONFIG) (default: default)",
    )
    parser.add_argument(
        "--steps-per-execution", default=d.steps_per_execution, metavar="N",
        help="training steps per compiled call of the Keras trainer (Keras's steps_per_execution): auto "
        "(sized to about 0.1 s a call, so progress and cancel stay prompt) or a whole number; 1 is Keras's "
        "default, one step a call (default: auto)",
    )
    if isinstance(parser, argparse.ArgumentParser):  # not inside `run all`
        parser.add_argument(
            "--resume", metavar="RUN_ID", default=None,
            help="continue a cancelled or interrupted training in its own directory, from its last completed "
            "epoch, with its original settings",
        )


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.data import check_data_dir
    from fmnist_tui.engine.training.task import TrainTask

    check_data_dir(args.data_dir)
    config = TrainConfig.parse(
        {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.lr,
            "dropout": args.dropout,
            "hidden_units": args.hidden,
            "seed": args.seed,
            "models": args.models,
            "strategy": args.strategy,
            "steps_per_execution": args.steps_per_execution,
        }
    )
    return TrainTask(config, data_dir=args.data_dir, logs_dir=args.logs)


ARGUMENT_OF_FIELD = {
    "epochs": "--epochs", "batch_size": "--batch-size", "learning_rate": "--lr", "dropout": "--dropout",
    "hidden_units": "--hidden", "seed": "--seed", "models": "--models", "strategy": "--strategy",
    "steps_per_execution": "--steps-per-execution",
}


def comparison_table(models: Mapping[str, Mapping[str, Any]]) -> Table:
    from fmnist_tui.engine.training.summary import comparison_rows

    table = Table(title="Comparison", title_justify="left")
    table.add_column("metric")
    for name in models:
        table.add_column(MODEL_TITLES.get(name, name), justify="right")
    for row in comparison_rows(models):
        table.add_row(*row)
    return table


class Renderer(HeadlessRenderer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._epoch_bars: dict[str, Any] = {}
        self._batch_bars: dict[str, Any] = {}

    def on_epoch_started(self, event: EpochStarted) -> None:
        title = MODEL_TITLES.get(event.model, event.model)
        if event.model not in self._epoch_bars:
            self._epoch_bars[event.model] = self.progress.add_task(f"{title} epochs", total=event.epochs, info="")
            self._batch_bars[event.model] = self.progress.add_task(f"{title} batches", total=event.steps, info="")
        self.progress.reset(self._batch_bars[event.model], total=event.steps, info=f"epoch {event.epoch}")

    def on_batch_progress(self, event: BatchProgress) -> None:
        info = f"epoch {event.epoch}  loss {event.logs.get('loss', float('nan')):.4f}  acc {event.logs.get('accuracy', float('nan')):.4f}"
        self.progress.update(self._batch_bars[event.model], completed=event.step, info=info)

    def on_epoch_ended(self, event: EpochEnded) -> None:
        logs = event.logs
        self.progress.update(
            self._epoch_bars[event.model], completed=event.epoch,
            info=f"test acc {logs['test_accuracy']:.4f}",
        )
        self.progress.console.print(
            f"{event.model:>8} epoch {event.epoch:>3}/{event.epochs}  loss {logs['loss']:.4f}  acc {logs['accuracy']:.4f}"
            f"  test loss {logs['test_loss']:.4f}  test acc {logs['test_accuracy']:.4f}  {logs['seconds']:.1f} s"
        )

    def on_model_resumed(self, event: ModelResumed) -> None:
        title = MODEL_TITLES.get(event.model, event.model)
        if event.model not in self._epoch_bars:
            self._epoch_bars[event.model] = self.progress.add_task(f"{title} epochs", total=event.epochs, info="")
        self.progress.update(self._epoch_bars[event.model], completed=len(event.rows))
        self.progress.console.print(f"{event.model:>8} resumed after epoch {len(event.rows)} of {event.epochs}")

    def on_model_finished(self, event: ModelFinished) -> None:
        if event.model in self._batch_bars:
            self.progress.update(self._batch_bars[event.model], visible=False)

    def show_result(self, summary) -> None:
        models = {k: v for k, v in (summary.get("models") or {}).items() if v.get("epochs")}
        if models:
            self.console.print(comparison_table(models))
