"""The skeleton the Jacobian and Eigen screens share.

A task screen with a form on the left and, on the right, a status line, the big match
badge and a scrollable derivation (the sections `render.jacobian` and `render.eigen`
build, as the headless commands print them and summary.md reads). The form is the
settings a subclass names (`SETTINGS`), checked by its task's config (`CONFIG`) in a thread
(the first check imports SymPy); errors are shown next to their fields and nothing runs.
The exact work itself happens in the run's worker process, where it can be cancelled; a
value it refuses (a point outside the domain) comes back as a failed run naming its field.
Nothing here imports TensorFlow or SymPy at import time.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Header, Input, Static

from fmnist_tui.engine.events import (
    Event, Log as LogEvent, Progress, RunCancelled, RunFailed, RunFinished, RunStarted,
)
from fmnist_tui.engine.setting_specs import setting_named
from fmnist_tui.render.calculus import Section, rich_sections

from ..widgets.footer import StableFooter
from ..widgets.calculus import MatchBadge, short_path, plain_text
from .task_screen import TaskScreen


class CalculusScreen(TaskScreen):
    """Skeleton of a calculus task screen; subclasses set the class attributes and hooks."""

    AUTO_FOCUS = "#calc-results"  # not an input, so the s and c keys work at once
    STATUS_ID = "#calc-status"

    VALIDATE_IN_THREAD = True  # the first check imports SymPy (about a second)
    INVALID_TITLE = "Invalid input"
    FORM_TITLE: ClassVar[str] = ""
    INTRO: ClassVar[str] = ""  # markup shown before the first run
    RESULT_EVENT: ClassVar[str] = ""  # the engine event carrying `result`
    # from render/: the sections of a result (its summary, and the result for drawings), its headline
    SECTIONS: ClassVar[Callable[[Mapping[str, Any], Any], list[Section]]]
    HEADLINE: ClassVar[Callable[[Mapping[str, Any]], str]]

    def __init__(self) -> None:
        super().__init__()
        self.result: Any = None
        self.summary: Mapping[str, Any] | None = None
        self._badge_before: Any = None
        self._renderable: RenderableType = Text("")

    # ---- hooks -------------------------------------------------------------------------

    def sections(self, result: Any) -> list[Section]:
        """The derivation of `result` (an engine result object)."""
        return type(self).SECTIONS(result.to_summary(), result)

    def headline(self, result: Any) -> str:
        """One line for the status: the answer in brief."""
        return type(self).HEADLINE(result.to_summary())

    # ---- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="calc"):
            with VerticalScroll(classes="task-form calc-form"):
                yield Static(f"[b]{self.FORM_TITLE}[/b]", classes="form-title")
                yield from self.form_fields()
                with Horizontal(classes="form-buttons"):
                    yield Button("Start (s)", id="start", variant="success", compact=True)
                    yield Button("Cancel (c)", id="cancel", variant="error", compact=True, disabled=True)
                yield Static("[dim]Enter in a field or [b]s[/b] computes; [b]?[/b] help.[/dim]", classes="calc-hint")
            with Vertical(classes="calc-main"):
                with Horizontal(classes="calc-top"):
                    yield Static("Ready. Press [b]s[/b] to compute.", id="calc-status", classes="calc-status")
                    yield MatchBadge(id="calc-badge")
                with VerticalScroll(id="calc-results", classes="calc-results"):
                    yield Static(self.INTRO, id="calc-output", classes="calc-output")
        yield StableFooter()

    # ---- form --------------------------------------------------------------------------

    def field_of(self, name: str | None) -> str:
        """The form field for an engine field name (the first field when it has none)."""
        names = [setting_named(name).key for name in self.SETTINGS]
        aliases = {"expression": "expr", "point": "at", "variables": "vars"}
        name = aliases.get(name or "", name or "")
        return name if name in names else names[0]

    # ---- the run -----------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        if not self.running:
            self.set_status("computing…")
            badge = self.query_one(MatchBadge)
            self._badge_before = badge.state
            badge.set_state("computing")
        super().action_start()

    async def create_options(self) -> dict[str, Any] | None:
        """The badge and status say what became of the start: nothing ran, or it was cancelled."""
        badge = self.query_one(MatchBadge)
        try:
            config = await self.read_form()
        except Exception as exc:  # never leave the screen stuck in "computing…"
            badge.set_state("failed")
            self.set_status(f"[red]Failed:[/] {escape(str(exc))}")
            raise
        if config is None:
            badge.set_state(self._badge_before)  # the result shown (if any) is still the last run's
            self.set_status("[red]Fix the highlighted input first.[/] Nothing was run.")
            self.notify("Fix the highlighted input first.", severity="error", title=self.INVALID_TITLE)
            return None
        if self._cancel_requested:
            badge.set_state("cancelled")
        return self.task_options(config)

    def set_status(self, markup: str) -> None:
        self.query_one("#calc-status", Static).update(markup)

    def set_output(self, renderable: RenderableType) -> None:
        self._renderable = renderable
        self.query_one("#calc-output", Static).update(renderable)

    def output_text(self, width: int = 100) -> str:
        """The derivation area as plain text."""
        return plain_text(self._renderable, width)

    @property
    def status_text(self) -> str:
        return str(self.query_one("#calc-status", Static).content)

    @property
    def badge_text(self) -> str:
        return self.query_one(MatchBadge).text

    def show_event(self, event: Event) -> None:
        """Render one engine event (called on the UI's event loop)."""
        badge = self.query_one(MatchBadge)
        if isinstance(event, RunStarted):
            self.result = None
            badge.set_state("computing")
            self.set_status(f"Run [b]{event.run_id}[/b]: computing…")
        elif isinstance(event, Progress):
            self.set_status(f"Run [b]{self.run_id}[/b]: computing… {escape(event.label)} ({event.done}/{event.total})")
        elif isinstance(event, LogEvent):
            self.log(event.message)
        elif type(event).__name__ == self.RESULT_EVENT:
            self.result = event.result
            self.set_output(rich_sections(self.sections(event.result)))
            self.query_one("#calc-results", VerticalScroll).scroll_home(animate=False)
        elif isinstance(event, (RunFinished, RunCancelled, RunFailed)):
            self.summary = event.summary
            self.last_summary_path = event.summary_path
            where = f"\nSummary: {escape(short_path(event.summary_path))}" if event.summary_path else ""
            if isinstance(event, RunFinished):
                match = bool(event.summary.get("match", False))
                badge.set_state(match)
                verdict = "[green]✓ match[/]" if match else "[b red]✗ mismatch[/]"
                line = f"\n{escape(self.headline(self.result))}" if self.result is not None else ""
                self.set_status(f"{verdict} · run {self.run_id}{line}{where}")
                if not match:
                    self.notify("The numeric result disagrees with the exact one.", severity="warning",
                                title=self.FORM_TITLE)
            elif isinstance(event, RunCancelled):
                badge.set_state("cancelled")
                self.set_status(f"[yellow]Run {self.run_id} cancelled.[/]{where}")
            elif event.field is not None:  # the worker refused an input: show it at its field
                badge.set_state(self._badge_before)
                self.show_errors({self.field_of(event.field): event.error})
                self.set_status(f"[red]Fix the highlighted input first.[/] {escape(event.error)}{where}")
                self.notify(event.error, severity="error", title="Invalid input")
            else:
                badge.set_state("failed")
                self.set_status(f"[red]Run failed:[/] {escape(event.error)}{where}")
                self.set_output(Group(
                    Text("The run failed:", style="bold red"), Text(event.error), Text(event.hint or "", style="dim"),
                ))
                self.notify(f"{event.error}\n{event.hint}", severity="error", title="Run failed", timeout=15)
