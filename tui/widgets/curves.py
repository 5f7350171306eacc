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

    def series_color(self, label: str, index: int) -> str | None:
        """The colour of a series (`index` counts a label's series); None: plotext's own."""
        return None

    def redraw(self) -> None:
        for metric in ("loss", "accuracy"):
            plot = self.query_one(f"#curve-{metric}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(metric.capitalize())
            plt.xlabel("epoch")
            for label, epochs in self.history.items():
                xs = [e["epoch"] for e in epochs]
                for index, (kind, key) in enumerate((("train", metric), ("test", f"test_{metric}"))):
                    color = self.series_color(label, index)
                    style = {"color": color} if color else {}
                    plt.plot(xs, [e[key] for e in epochs], label=f"{label} {kind}", marker="braille", **style)
            plot.refresh()
