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

from fmnist_tui.engine.calculus.tasks import EigenComputed, JacobianComputed
from fmnist_tui.engine.events import Log as LogEvent, Progress, RunCancelled, RunFailed, RunFinished, RunStarted
from fmnist_tui.engine.setting_specs import setting_named
from fmnist_tui.render.calculus import Section, rich_sections
from fmnist_tui.render.run_endings import RunEnding

from ..event_dispatch import handles
from ..widgets.footer import StableFooter
from ..widgets.calculus import MatchBadge, plain_text
from .task_screen import RunEnd, TaskScreen


class CalculusScreen(TaskScreen):
    """Skeleton of a calculus task screen; subclasses set the class attributes and hooks."""

    AUTO_FOCUS = "#calc-results"  # not an input, so the s and c keys work at once
    STATUS_ID = "#calc-status"
    STARTED_STATUS = "Run [b]{run_id}[/b]: computing…"

    VALIDATE_IN_THREAD = True  # the first check imports SymPy (about a second)
    INVALID_TITLE = "Invalid input"
    INTRO: ClassVar[str] = ""  # markup shown before the first run
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
                yield Static(f"[b]{self.TASK_TITLE}[/b]", classes="form-title")
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
            self._badge_before = self.badge.state
            self.badge.set_state("computing")
        super().action_start()

    async def create_options(self) -> dict[str, Any] | None:
        """The badge and status say what became of the start: nothing ran, or it was cancelled."""
        badge = self.badge
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

    @property
    def badge(self) -> MatchBadge:
        return self.query_one(MatchBadge)

    def set_output(self, renderable: RenderableType) -> None:
        self._renderable = renderable
        self.query_one("#calc-output", Static).update(renderable)

    def output_text(self, width: int = 100) -> str:
        """The derivation area as plain text."""
        return plain_text(self._renderable, width)

    @property
    def status_text(self) -> str:
        return str(self.status.content)

    @property
    def badge_text(self) -> str:
        return self.badge.text

    # ---- events ------------------------------------------------------------------------

    def run_started(self, event: RunStarted) -> None:
        self.result = None
        self.badge.set_state("computing")

    @handles(Progress)
    def show_progress(self, event: Progress) -> None:
        self.set_status(f"Run [b]{self.run_id}[/b]: computing… {escape(event.label)} ({event.done}/{event.total})")

    def show_log(self, event: LogEvent) -> None:
        self.log(event.message)  # the derivation says it all; the status keeps "computing…"

    @handles(JacobianComputed, EigenComputed)
    def show_result(self, event: JacobianComputed | EigenComputed) -> None:
        self.result = event.result
        self.set_output(rich_sections(self.sections(event.result)))
        self.query_one("#calc-results", VerticalScroll).scroll_home(animate=False)

    # ---- the ending: the verdict, or the input refused at its field ----------------------

    def ending_status(self, event: RunEnd, ending: RunEnding) -> str:
        where = self.summary_note(event, "\n")
        if isinstance(event, RunFinished):
            verdict = "[green]✓ match[/]" if event.summary.get("match", False) else "[b red]✗ mismatch[/]"
            line = f"\n{escape(self.headline(self.result))}" if self.result is not None else ""
            return f"{verdict} · run {self.run_id}{line}{where}"
        if isinstance(event, RunFailed) and event.field is not None:
            return f"[red]Fix the highlighted input first.[/] {escape(event.error)}{where}"
        return f"[{ending.style}]{escape(ending.status)}[/]{where}"

    def notify_ending(self, event: RunEnd, ending: RunEnding) -> None:
        if isinstance(event, RunFinished):  # the result is on screen: only a mismatch is news
            if not event.summary.get("match", False):
                self.notify("The numeric result disagrees with the exact one.", severity="warning",
                            title=self.TASK_TITLE)
        elif isinstance(event, RunFailed) and event.field is not None:
            self.notify(event.error, severity="error", title=self.INVALID_TITLE, markup=False)
        else:
            super().notify_ending(event, ending)

    def run_ended(self, event: RunEnd, ending: RunEnding) -> None:
        self.summary = event.summary
        if isinstance(event, RunFinished):
            self.badge.set_state(bool(event.summary.get("match", False)))
        elif isinstance(event, RunCancelled):
            self.badge.set_state("cancelled")
        elif event.field is not None:  # the worker refused an input: show it at its field
            self.badge.set_state(self._badge_before)
            self.show_errors({self.field_of(event.field): event.error})
        else:
            self.badge.set_state("failed")
            self.set_output(Group(
                Text("The run failed:", style="bold red"), Text(event.error), Text(event.hint or "", style="dim"),
            ))
