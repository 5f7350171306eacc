"""Two training runs side by side: config differences, results, and overlaid curves."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from .base import WorkbenchScreen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from fmnist_tui.engine.history import RunRecord
from fmnist_tui.engine.training.summary import setting_text

from ..widgets.curves import TrainingCurves
from ..widgets.footer import StableFooter

# Run A in cool colours, run B in warm ones, so the two runs read apart when overlaid.
PALETTES = {"A": ("blue+", "cyan+", "green+", "white"), "B": ("red+", "orange+", "magenta+", "yellow")}


class OverlaidCurves(TrainingCurves):
    """`TrainingCurves` whose series ("A keras", "B lowlevel", …) get colours by run."""

    def series_color(self, label: str, index: int) -> str | None:
        run = label.split(" ", 1)[0]
        palette = PALETTES.get(run, PALETTES["A"])
        # each run's models take consecutive colours from its palette, train then test
        models = [name for name in self.history if name.split(" ", 1)[0] == run]
        return palette[(2 * models.index(label) + index) % len(palette)]


class RunCompareScreen(WorkbenchScreen[None]):

    HELP = """\
## Compare runs

Two training runs, **A** and **B**. *Tables* lists every configuration setting (those
that differ are highlighted) and the comparison table of both runs side by side, one
column per run and model. *Curves* overlays their loss and accuracy per epoch, train and
test. `t` / `c` switch tabs; `Esc` goes back to the list of runs.
"""

    BINDINGS = [
        Binding("escape", "close", "Back", id="close"),
        Binding("t", "show_tab('tab-tables')", "Tables", id="tables"),
        Binding("c", "show_tab('tab-curves')", "Curves", id="curves"),
    ]

    def __init__(self, a: RunRecord, b: RunRecord, comparison: dict[str, Any]) -> None:
        super().__init__()
        self.a, self.b, self.comparison = a, b, comparison

    def compose(self) -> ComposeResult:
        yield Header()
        differing = sum(1 for *_, differs in self.comparison["config"] if differs)
        yield Static(
            f"[b magenta]A[/] {escape(self.a.run_id)}  ·  [b magenta]B[/] {escape(self.b.run_id)}  ·  "
            + (f"[b yellow]{differing} setting{'s' if differing != 1 else ''} differ[/]" if differing
               else "same settings"),
            id="compare-title",
        )
        with TabbedContent(id="compare-tabs"):
            with TabPane("Tables", id="tab-tables"):
                with VerticalScroll(id="compare-tables"):
                    yield Static("[b]Configuration[/] [dim](differences highlighted)[/]", classes="compare-heading")
                    yield DataTable(id="compare-config", cursor_type="none", zebra_stripes=True)
                    yield Static("[b]Results[/]", classes="compare-heading")
                    yield DataTable(id="compare-table", cursor_type="none", zebra_stripes=True)
            with TabPane("Curves", id="tab-curves"):
                yield OverlaidCurves(id="compare-curves")
        yield StableFooter()

    def on_mount(self) -> None:
        config = self.query_one("#compare-config", DataTable)
        config.add_column("setting", key="setting")
        config.add_column(Text("A", style="bold magenta"), key="a")
        config.add_column(Text("B", style="bold magenta"), key="b")
        config.add_column("", key="differs")
        for key, va, vb, differs in self.comparison["config"]:
            style = "bold yellow" if differs else ""
            config.add_row(
                Text(key, style=style), Text(setting_text(va), style=style), Text(setting_text(vb), style=style),
                Text("≠" if differs else "", style=style), key=key,
            )

        table = self.query_one("#compare-table", DataTable)
        headers = self.comparison["table"]["headers"]
        for i, header in enumerate(headers):
            table.add_column(Text(header, justify="left" if i == 0 else "right"), key=header)
        for row in self.comparison["table"]["rows"]:
            table.add_row(*(Text(str(c), justify="left" if i == 0 else "right") for i, c in enumerate(row)))

        curves = self.query_one("#compare-curves", OverlaidCurves)
        for label, epochs in self.comparison["curves"].items():
            for logs in epochs:
                curves.add_epoch(label, logs)

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#compare-tabs", TabbedContent).active = tab

    def action_close(self) -> None:
        self.dismiss()
