"""GFLOP/s of matrix products by size and device, as grouped bars drawn with plotext."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from textual_plotext import PlotextPlot


def chart_series(rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str], list[list[float]]]:
    """(size labels, device ids, GFLOP/s per device per size); missing or rejected rows give 0."""
    rows = list(rows)
    sizes = list(dict.fromkeys(int(r["size"]) for r in rows))
    devices = list(dict.fromkeys(str(r["device"]) for r in rows))
    values = {(int(r["size"]), str(r["device"])): r.get("gflops") for r in rows if not r.get("rejected")}
    series = [[float(values.get((n, d)) or 0.0) for n in sizes] for d in devices]
    return [str(n) for n in sizes], devices, series


class GflopsChart(PlotextPlot):
    """Grouped bars: one group per matrix size, one bar per device (higher is faster)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[dict[str, Any]] = []
        self.note: str | None = None

    def on_mount(self) -> None:
        self.redraw()

    def clear(self) -> None:
        self.rows = []
        self.note = None
        self.redraw()

    def set_rows(self, rows: Iterable[Mapping[str, Any]], note: str | None = None) -> None:
        """Show these `TimingMeasured` rows; `note` ("no GPU") is added to the title."""
        self.rows = [dict(r) for r in rows]
        self.note = note
        self.redraw()

    def redraw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        title = "GFLOP/s by matrix size (higher is faster)"
        plt.title(f"{title} · {self.note}" if self.note else title)
        plt.xlabel("n (n×n matrices)")
        sizes, devices, series = chart_series(self.rows)
        if sizes:
            if len(devices) == 1:
                plt.bar(sizes, series[0], label=devices[0])
            else:
                plt.multiple_bar(sizes, series, labels=devices)
        self.refresh()
