"""`fmnist-tui run devices`: time matrix products on the CPU, each GPU and NumPy, headless."""

from __future__ import annotations

import argparse
from typing import Any, Mapping

from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from fmnist_tui.engine.devices import DevicesDetected, TimingMeasured
from fmnist_tui.engine.events import Log, Progress as ProgressEvent
from fmnist_tui.render.devices import (
    NO_GPU_RESULT, device_panel, method_line, result_row, results_table, results_title, summary_dtype,
    summary_method, summary_result_rows, timing_line,
)

from ..event_dispatch import handles
from ..formatting import format_eta
from ..headless import HeadlessRenderer
from . import add_setting_arguments, section_values

NAME = "devices"
HELP = "time n×n matrix products on the CPU, each GPU and NumPy (synchronized, with GFLOP/s)"
EPILOG = """\
examples:
  fmnist-tui run devices
  fmnist-tui run devices --sizes 500,1000,2000 --rounds 5
  fmnist-tui run devices --devices gpu:0 --dtype float16 --tf32 off
  fmnist-tui run devices --sizes 4096 --rounds 20 --warmup 5 --out ~/fmnist-runs

For each size the inputs are created on each device before the clock starts, warm-up
products are discarded, and every timed product is finished (a sum of the whole result is
fetched to the host) before the clock stops; the table reports the median of the rounds.
Without a GPU the run completes on the CPU and says "no GPU". Each run writes
runs/<run-id>/summary.md and summary.json. Ctrl-C cancels; the summary keeps the rows
that completed.
"""

SETTING_SECTIONS = ("devices",)


def add_arguments(parser: argparse.ArgumentParser, added: set[str] | None = None) -> None:
    add_setting_arguments(parser, "devices", added)
    parser.add_argument("--no-numpy", action="store_true", help="skip the NumPy reference rows")


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.devices import DevicesTask

    return DevicesTask(**section_values(args, "devices"), numpy=not args.no_numpy)


def results_renderable(summary: Mapping[str, Any]):
    """The results table as rich draws it: render/devices' table, rejected rows red, "no GPU" rows yellow."""
    rows = summary_result_rows(summary)
    table = results_table(rows).rich(
        title=results_title(summary_dtype(summary)), title_justify="left", box=box.SIMPLE_HEAD,
        pad_edge=False, collapse_padding=True,
    )
    for drawn, row in zip(table.rows, rows):
        drawn.style = row.style or None
    for column in table.columns[:2]:  # size, processor: narrow terminals wrap the other headers instead
        column.no_wrap = True
    return table


class Renderer(HeadlessRenderer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The engine's ETA weighs each remaining product by n³, unlike rich's linear estimate.
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[eta]}"),
            TextColumn("{task.fields[info]}"),
            console=self.console,
            transient=False,
        )
        self._bar = None

    @handles(ProgressEvent)
    def show_progress(self, event: ProgressEvent) -> None:
        eta = format_eta(event.eta_seconds)
        if self._bar is None:
            self._bar = self.progress.add_task("Timing", total=event.total, info="", eta=eta)
        self.progress.update(self._bar, completed=event.done, total=event.total, info=event.label, eta=eta)

    @handles(DevicesDetected)
    def show_devices_detected(self, event: DevicesDetected) -> None:
        out = self.progress.console
        out.print("[bold]Devices[/]")
        out.print(device_panel(
            event.devices, event.gpu_present, event.tensorflow, event.cuda_version, event.cudnn_version, event.tf32,
        ).rich())

    @handles(Log)
    def show_log(self, event: Log) -> None:
        if event.message.startswith("no GPU:"):
            return  # the device panel says so, in bold
        super().show_log(event)

    @handles(TimingMeasured)
    def show_timing_measured(self, event: TimingMeasured) -> None:
        self.progress.console.print(Text(timing_line(event.row), style=result_row(event.row).style))

    def show_result(self, summary) -> None:
        if summary.get("rows"):
            self.console.print(results_renderable(summary))
        if summary.get("method"):  # the run got as far as measuring
            self.console.print(Text(method_line(**summary_method(summary)), style="dim"))
        if summary.get("gpu_present") is False:
            self.console.print(Text(NO_GPU_RESULT, style="yellow"))
