"""The home screen: the workbench's tasks, picked with number keys or arrows and Enter."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from .base import WorkbenchScreen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.footer import StableFooter


@dataclass(frozen=True)
class TaskEntry:
    key: str
    mode: str
    title: str
    description: str


TASKS = (
    TaskEntry("1", "classifier", "Classifier", "Train Keras fit and a low-level GradientTape loop on Fashion-MNIST; compare them live."),
    TaskEntry("2", "devices", "Devices", "Time matrix products on CPU and GPU, synchronized, with GFLOP/s."),
    TaskEntry("3", "jacobian", "Jacobian", "Check GradientTape's Jacobian against SymPy's exact derivative."),
    TaskEntry("4", "eigen", "Eigen", "Check numeric eigenpairs against the exact characteristic polynomial."),
    TaskEntry("5", "runs", "Runs", "Browse, open and compare past runs."),
)


class HomeScreen(WorkbenchScreen[None]):
    BINDINGS = [
        Binding(entry.key, f"open_task('{entry.mode}')", entry.title, id=f"task-{entry.mode}")
        for entry in TASKS
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static("[b]fmnist-tui[/b] — the Fashion-MNIST deep-learning workbench", id="home-title")
            yield OptionList(*(self._option(entry) for entry in TASKS), id="task-list")
            yield Static(
                "Press a number or use ↑/↓ and Enter. [b]?[/b] help · [b]Esc[/b] back here · [b]q[/b] quit",
                id="home-hint",
            )
        yield StableFooter()

    def _option(self, entry: TaskEntry) -> Option:
        available = entry.mode in self.app.MODES
        status = "" if available else "  [dim](not available yet)[/dim]"
        return Option(
            f"[b]{entry.key}[/b]  [b]{entry.title}[/b]{status}\n    [dim]{entry.description}[/dim]",
            id=entry.mode,
            disabled=not available,
        )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#task-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open_task(event.option.id or "")

    def action_open_task(self, mode: str) -> None:
        if mode in self.app.MODES:
            self.app.switch_mode(mode)
        else:
            title = next((t.title for t in TASKS if t.mode == mode), mode)
            self.notify(f"{title} is not available yet.", severity="warning")
