"""The Devices screen: time matrix products on the CPU, each GPU and NumPy, live."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button, DataTable, Header, Label, Log, ProgressBar, Static, TabbedContent, TabPane,
)

from fmnist_tui.engine.devices import DevicesConfig, DevicesDetected, TimingMeasured
from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.events import Progress, RunCancelled, RunFailed, RunFinished, RunStarted
from fmnist_tui.render.devices import (
    NO_GPU, RESULT_ALIGN, RESULT_HEADERS, ResultRow, device_panel, environment_panel, gpu_missing, method_line,
    result_rows, timing_line,
)
from fmnist_tui.render.run_endings import RunEnding
from fmnist_tui.render.table import RICH_JUSTIFY

from ..event_dispatch import handles
from ..widgets.bar_chart import GflopsChart
from ..widgets.footer import StableFooter
from ..widgets.system_panel import SystemPanel
from ..formatting import format_eta
from .task_screen import TaskScreen

COLUMN_KEYS = ("size", "device", "dtype", "median", "mean", "min", "stdev", "gflops", "speedup")


def table_cells(row: ResultRow) -> list[Text]:
    """One results row as DataTable cells, aligned and coloured as render/devices says."""
    return [
        Text(cell, style=row.style, justify=RICH_JUSTIFY[align]) for cell, align in zip(row.cells, RESULT_ALIGN)
    ]


class DevicesScreen(TaskScreen):
    AUTO_FOCUS = "#results-table"  # not an input, so the s and c keys work at once

    HELP = """\
## Devices

Times n×n matrix products (`tf.matmul`) for each size on TensorFlow's CPU, on every GPU,
and with NumPy as a reference. Inputs are created on each device before the clock starts;
a few warm-up products are discarded; every timed product is *finished* — a sum of the whole
result is fetched to the host — before the clock stops. The table shows the median, mean,
minimum and spread of the timed rounds, GFLOP/s (2n³ / median) and the speed relative to
TensorFlow's CPU:0. A row faster than the device could possibly be is rejected as not
synchronized instead of reported. Without a GPU the run completes on the CPU and says
"no GPU". Sizes: e.g. `500,1000,5000,10000`; devices: `cpu`, `gpu`, `gpu:1`, `cpu,gpu`;
TF32: `auto`, `on`, `off`. Summaries go to `runs/<run-id>/`.

Keys: **s** start · **c** cancel · **Esc** home · **?** help · **q** quit
"""

    TASK = "devices"
    CONFIG = DevicesConfig
    SETTINGS = ("devices.sizes", "devices.rounds", "devices.warmup", "devices.dtype", "devices.devices",
                "devices.tf32")
    STATUS_ID = "#devices-status"
    LOG_ID = "#devices-log"
    TASK_TITLE = "Devices"
    STARTED_STATUS = "Run [b]{run_id}[/b] started; detecting devices…"
    CANCELLING_TEXT = "Cancelling… (stops before the next product)"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.gpu_present: bool | None = None
        self._config: DevicesConfig | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="devices"):
            with Horizontal(id="devices-top"):
                with Vertical(id="devices-form"):
                    yield from self.form_fields()
                    with Horizontal(classes="form-buttons"):
                        yield Button("Start (s)", id="start", variant="success", compact=True)
                        yield Button("Cancel (c)", id="cancel", variant="error", compact=True, disabled=True)
                panel = Static("Devices are detected when a run starts.", id="device-panel")
                panel.border_title = "Devices"
                yield panel
            yield Static("Ready. Press [b]s[/b] to start timing.", id="devices-status")
            yield SystemPanel(id="devices-system")
            with Horizontal(id="devices-progress-row"):
                yield Label("", id="devices-progress-label")
                yield ProgressBar(total=1, show_eta=False, id="devices-progress")  # not animating while idle
                yield Label("", id="devices-eta")
            with TabbedContent(id="devices-tabs"):
                with TabPane("Results", id="tab-results"):
                    yield DataTable(id="results-table", cursor_type="none", zebra_stripes=True)
                    yield Static("", id="method-note")
                with TabPane("Chart", id="tab-chart"):
                    yield GflopsChart(id="gflops-chart")
                with TabPane("Log", id="tab-devices-log"):
                    yield Log(id="devices-log", highlight=False)
        yield StableFooter()

    # ---- the widgets used more than once --------------------------------------------

    @property
    def results_table(self) -> DataTable:
        return self.query_one("#results-table", DataTable)

    @property
    def devices_panel(self) -> Static:
        return self.query_one("#device-panel", Static)

    @property
    def progress_bar(self) -> ProgressBar:
        return self.query_one("#devices-progress", ProgressBar)

    @property
    def progress_label(self) -> Label:
        return self.query_one("#devices-progress-label", Label)

    @property
    def eta(self) -> Label:
        return self.query_one("#devices-eta", Label)

    @property
    def chart(self) -> GflopsChart:
        return self.query_one("#gflops-chart", GflopsChart)

    def on_mount(self) -> None:
        table = self.results_table
        for key, label, align in zip(COLUMN_KEYS, RESULT_HEADERS, RESULT_ALIGN):
            table.add_column(Text(label, justify=RICH_JUSTIFY[align]), key=key)
        self.progress_bar.display = False
        self._method_note(None)
        self._preview_environment()

    def on_screen_resume(self) -> None:
        self._preview_environment()

    def _preview_environment(self) -> None:
        """Before the first run, show what the app's background TensorFlow load found."""
        if self.gpu_present is not None or self.running:
            return
        env = getattr(self.app, "settings", None) and self.app.settings.environment
        if not env:
            return
        self.devices_panel.update(environment_panel(env).rich())

    # ---- the run -----------------------------------------------------------------------

    def run_started(self, event: RunStarted) -> None:
        try:
            config = DevicesConfig.parse(dict(event.config))
        except ConfigError:  # a run from another version
            config = DevicesConfig()
        self._prepare(config)

    def _prepare(self, config: DevicesConfig) -> None:
        self._config = config
        self.rows = []
        self.gpu_present = None
        self.results_table.clear()
        self.chart.clear()
        self.progress_bar.update(total=None, progress=0)
        self.progress_bar.display = True
        self.progress_label.update("loading TensorFlow…")
        self.eta.update("")
        self.devices_panel.update("Detecting devices…")
        self._method_note(None)

    @handles(Progress)
    def show_progress(self, event: Progress) -> None:
        self.progress_bar.update(total=event.total, progress=event.done)
        self.progress_label.update(event.label)
        self.eta.update(format_eta(event.eta_seconds))

    @handles(DevicesDetected)
    def show_devices_detected(self, event: DevicesDetected) -> None:
        self.gpu_present = event.gpu_present
        self.devices_panel.update(device_panel(
            event.devices, event.gpu_present, event.tensorflow, event.cuda_version, event.cudnn_version, event.tf32,
        ).rich())
        self._method_note([str(d.get("id")) for d in event.devices])
        self.write_log(
            "Devices: " + ", ".join(f"{d.get('id')} ({d.get('name')})" for d in event.devices)
            + ("" if event.gpu_present else " — no GPU")
        )

    def _method_note(self, devices: list[str] | None) -> None:
        cfg = self._config
        if cfg is None:
            text = method_line()
        else:
            text = method_line(cfg.rounds, cfg.warmup, cfg.dtype, devices or ())
        self.query_one("#method-note", Static).update(Text(text, style="dim"))

    @handles(TimingMeasured)
    def show_timing_measured(self, event: TimingMeasured) -> None:
        row = dict(event.row)
        self.rows.append(row)
        self._rebuild_table()
        note = NO_GPU if self._gpu_missing else None
        self.chart.set_rows(self.rows, note=note)
        self.write_log(timing_line(row))

    @property
    def _gpu_missing(self) -> bool:
        return gpu_missing(self.gpu_present, self._config.devices if self._config else ())

    def _rebuild_table(self) -> None:
        table = self.results_table
        table.clear()
        for row in result_rows(self.rows, self._gpu_missing):
            table.add_row(*table_cells(row), key=row.key)

    def run_ended(self, event: RunFinished | RunCancelled | RunFailed, ending: RunEnding) -> None:
        self.eta.update("done" if ending.outcome == "completed" else ending.outcome)
