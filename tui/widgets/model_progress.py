"""Live progress of one model: an epoch bar, a batch bar with ETA, and the latest metrics."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Static

from ..formatting import format_eta


class ModelProgress(Vertical):
    def __init__(self, model: str, title: str) -> None:
        super().__init__(id=f"progress-{model}", classes="model-progress")
        self.model = model
        self.title = title

    def compose(self) -> ComposeResult:
        with Horizontal(classes="progress-row"):
            yield Label(self.title, classes="progress-title")
            yield Label("epochs", classes="progress-kind")
            # A known total from the start: an indeterminate bar animates (redraws 15 times a
            # second) for as long as it waits, on screens nobody is looking at too.
            yield ProgressBar(total=1, show_eta=False, id=f"epochs-{self.model}", classes="epoch-bar")
            yield Label("", classes="progress-eta")
        with Horizontal(classes="progress-row"):
            yield Label("", classes="progress-title")
            yield Label("batches", classes="progress-kind")
            yield ProgressBar(total=1, show_eta=False, id=f"batches-{self.model}", classes="batch-bar")
            yield Label("", classes="progress-eta", id=f"eta-{self.model}")
        yield Static("waiting", classes="progress-metrics", id=f"metrics-{self.model}")

    def reset(self, epochs: int) -> None:
        self.query_one(".epoch-bar", ProgressBar).update(total=epochs, progress=0)
        self.query_one(".batch-bar", ProgressBar).update(total=1, progress=0)
        self.query_one(".progress-metrics", Static).update("waiting")
        self.query_one(f"#eta-{self.model}", Label).update("")

    def epoch_started(self, epoch: int, epochs: int, steps: int) -> None:
        self.query_one(".epoch-bar", ProgressBar).update(total=epochs, progress=epoch - 1)
        self.query_one(".batch-bar", ProgressBar).update(total=steps, progress=0)
        self.query_one(".progress-metrics", Static).update(f"epoch {epoch}/{epochs}", layout=False)

    def batch_progress(self, epoch: int, epochs: int, step: int, logs: dict, eta: float | None) -> None:
        self.query_one(".batch-bar", ProgressBar).update(progress=step)
        loss, accuracy = logs.get("loss"), logs.get("accuracy")
        metrics = f"epoch {epoch}/{epochs}"
        if loss is not None and accuracy is not None:
            metrics += f"  loss {loss:.4f}  acc {accuracy:.4f}"
        # Their sizes are fixed in CSS (so here and below, no layout): a layout pass of the
        # whole screen at every redraw was most of what the app cost a training beside it.
        self.query_one(".progress-metrics", Static).update(metrics, layout=False)
        self.query_one(f"#eta-{self.model}", Label).update(format_eta(eta), layout=False)

    def epoch_ended(self, epoch: int, epochs: int, logs: dict) -> None:
        self.query_one(".epoch-bar", ProgressBar).update(total=epochs, progress=epoch)
        self.query_one(".progress-metrics", Static).update(
            f"epoch {epoch}/{epochs}  test acc {logs['test_accuracy']:.4f}  ({logs['seconds']:.1f} s)", layout=False
        )

    def finished(self, status: str) -> None:
        self.query_one(f"#eta-{self.model}", Label).update(status, layout=False)
