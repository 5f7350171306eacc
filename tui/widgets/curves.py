"""Loss and accuracy curves, train and test, for every model, drawn with plotext."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot


class TrainingCurves(Horizontal):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history: dict[str, list[dict]] = {}

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="curve-loss")
        yield PlotextPlot(id="curve-accuracy")

    def on_mount(self) -> None:
        self.redraw()

    def clear(self) -> None:
        self.history.clear()
        self.redraw()

    def add_epoch(self, model: str, logs: dict) -> None:
        self.history.setdefault(model, []).append(dict(logs))
        self.redraw()

    def redraw(self) -> None:
        for metric in ("loss", "accuracy"):
            plot = self.query_one(f"#curve-{metric}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(metric.capitalize())
            plt.xlabel("epoch")
            for model, epochs in self.history.items():
                xs = [e["epoch"] for e in epochs]
                plt.plot(xs, [e[metric] for e in epochs], label=f"{model} train", marker="braille")
                plt.plot(xs, [e[f"test_{metric}"] for e in epochs], label=f"{model} test", marker="braille")
            plot.refresh()
