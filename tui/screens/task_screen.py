"""What every task screen shares: start and cancel (keys and buttons), and following a run.

A run executes in a worker process of its own (see `engine/launcher.py`); the screen only
follows its journal, so no key ever waits for TensorFlow. A subclass names the settings
its form shows (`SETTINGS`) and its task's config class (`CONFIG`): the form's fields are
made from the settings' declarations (`form_fields`), and read and validated here, with
every error shown next to its field and nothing run.

Events reach their handlers by `dispatch` (methods marked `@handles(EventClass)`, as in
the headless renderer). This class handles what every task shares: a run's start (it
calls `run_started` so the subclass can reset itself), its log lines, and its ending,
worded by `render.run_endings` as the headless commands word it (a subclass adds to that
in `run_ended`), and rung on the terminal (`tui/notify.py`) for a user who looked away. A subclass handles its own task's events. The same screen can `attach`
to a run that is already going (started by an earlier session of the app, or headless
with --detach): it replays the journal so far, then follows live.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping

from rich.markup import escape
from textual import on
from textual.binding import Binding
from textual.reactive import reactive

from textual.widget import Widget
from textual.widgets import Button, Log, Static

from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.events import Event, Log as LogEvent, RunCancelled, RunFailed, RunFinished, RunStarted
from fmnist_tui.engine.setting_specs import SettingsConfig, setting_named
from fmnist_tui.render.run_endings import FAILURE_TIMEOUT, RunEnding, run_ending, summary_line

from .. import notify as terminal_notify
from ..event_dispatch import EventDispatch, handles
from ..widgets.calculus import short_path
from ..widgets.form import setting_field
from .base import WorkbenchScreen

RunEnd = RunFinished | RunCancelled | RunFailed


class TaskScreen(EventDispatch, WorkbenchScreen[None]):
    BINDINGS = [
        Binding("s", "start", "Start", id="start", tooltip="Start a run with these settings"),
        Binding("c", "cancel", "Cancel", id="cancel", tooltip="Cancel the run (keeps what completed)"),
    ]

    STATUS_ID: ClassVar[str] = "#run-status"
    LOG_ID: ClassVar[str] = ""  # the screen's Log widget; without one, lines go to Textual's devtools log
    TASK_TITLE: ClassVar[str] = ""  # titles the notification of a run that completed or was cancelled
    STARTED_STATUS: ClassVar[str] = "Run [b]{run_id}[/b] started."
    CANCELLING_TEXT: ClassVar[str] = "Cancelling…"

    running: reactive[bool] = reactive(False, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.run_dir: Path | None = None
        self.run_id: str | None = None
        self.last_summary_path: Path | None = None
        self._cancel_requested = False
        self._ring_on_ending = True  # False for a run whose ending was already in its journal

    # ---- hooks -------------------------------------------------------------------------

    TASK: ClassVar[str] = ""  # the engine task this screen runs (and its run worker's group, which tests wait on)
    SETTINGS: ClassVar[tuple[str, ...]] = ()  # "section.key" of the settings the form shows, in order
    FIELDS_LEAVE: ClassVar[str] = ""  # characters the form's text fields leave to the screen's keys
    CONFIG: ClassVar[type[SettingsConfig]]  # the task's config: parses and checks the form's values
    VALIDATE_IN_THREAD: ClassVar[bool] = False  # True when checking imports something slow (SymPy)
    INVALID_TITLE: ClassVar[str] = "Invalid settings"

    def task_options(self, config: Any) -> dict[str, Any]:
        """The task's options (what its `from_options` takes) for a valid config."""
        return config.to_dict()

    def run_started(self, event: RunStarted) -> None:
        """Reset the screen for the run that `event` starts (also when attaching to one)."""

    def run_ended(self, event: RunEnd, ending: RunEnding) -> None:
        """What this task adds when a run ends, after the status, notification and log lines."""

    @property
    def status(self) -> Static:
        return self.query_one(self.STATUS_ID, Static)

    def set_status(self, markup: str) -> None:
        self.status.update(markup)

    def write_log(self, line: str) -> None:
        if self.LOG_ID:
            self.query_one(self.LOG_ID, Log).write_line(line)
        else:
            self.log(line)

    # ---- the events every task shares ------------------------------------------------

    def show_event(self, event: Event) -> None:
        """Render one engine event (called on the UI's event loop); an event nobody handles is ignored."""
        self.dispatch(event)

    @handles(RunStarted)
    def show_run_started(self, event: RunStarted) -> None:
        self.run_id = event.run_id
        self.run_started(event)
        self.set_status(self.STARTED_STATUS.format(run_id=escape(event.run_id)))
        self.write_log(f"Run {event.run_id} → {event.run_dir}")

    @handles(LogEvent)
    def show_log(self, event: LogEvent) -> None:
        self.set_status(escape(event.message))  # paths may hold [brackets]
        self.write_log(("" if event.level == "info" else f"{event.level}: ") + event.message)

    @handles(RunFinished, RunCancelled, RunFailed)
    def show_run_ended(self, event: RunEnd) -> None:
        """How the run ended (`render.run_endings`): the status line, a notification, the log."""
        self.last_summary_path = event.summary_path
        ending = run_ending(event, self.run_id, self.TASK_TITLE)
        self.set_status(self.ending_status(event, ending))
        self.notify_ending(event, ending)
        self.ring_ending(event)
        for line in ending.log_lines:
            self.write_log(line)
        self.run_ended(event, ending)

    def ending_status(self, event: RunEnd, ending: RunEnding) -> str:
        """The status line's markup for an ending: the ending's line, then where the summary is."""
        return f"[{ending.style}]{escape(ending.status)}[/]{self.summary_note(event, ' ')}"

    def summary_note(self, event: RunEnd, separator: str) -> str:
        """ "<separator>Summary: <path>" (the path short when it is below the working directory)."""
        if event.summary_path is None:
            return ""
        return separator + escape(summary_line(short_path(event.summary_path)))

    def notify_ending(self, event: RunEnd, ending: RunEnding) -> None:
        timeout = FAILURE_TIMEOUT if ending.severity == "error" else None
        self.notify(ending.message, title=ending.title, severity=ending.severity, timeout=timeout, markup=False)

    def ring_ending(self, event: RunEnd) -> None:
        """The terminal bell and a desktop notification (`tui/notify.py`), for someone who
        looked away: for a run seen ending, unless the setting general.notify is off."""
        if self._ring_on_ending and self.notify_setting:
            terminal_notify.notify_ending(terminal_notify.app_writer(self.app), event)

    @property
    def notify_setting(self) -> bool:
        """general.notify, as the command line parsed it (a value that does not parse: on)."""
        raw = self.app.settings.default("general", "notify", None)
        try:
            return setting_named("general.notify").value(raw)
        except ConfigError:
            return True

    # ---- the form ----------------------------------------------------------------------

    def form_fields(self) -> Iterator[Widget]:
        """A field per setting in `SETTINGS`, starting from the user's environment and config
        file (`app.settings.defaults`), else the setting's form default."""
        for name in self.SETTINGS:
            setting = setting_named(name)
            yield setting_field(setting, self.app.settings.default(setting.section, setting.key, setting.form_value),
                                leaves=self.FIELDS_LEAVE)

    def _fields(self) -> dict[str, Any]:
        keys = [setting_named(name).key for name in self.SETTINGS]
        return {key: self.query_one(f"#field-{key}") for key in keys}

    def form_values(self) -> dict[str, Any]:
        return {key: field.value for key, field in self._fields().items()}

    def validate(self, values: Mapping[str, Any]) -> tuple[Any, dict[str, str]]:
        """(the config, or None; {field: error}) for the form's values."""
        try:
            errors = self.CONFIG.errors(values)
        except Exception as exc:  # a parser failing on odd input: report it, do not crash
            first = setting_named(self.SETTINGS[0]).key
            errors = {first: f"Could not read this input ({type(exc).__name__}: {exc})."}
        return (None if errors else self.CONFIG.parse(values)), errors

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for key, field in self._fields().items():
            field.set_error(errors.get(key))

    async def read_form(self) -> Any:
        """The form's config, or None with every error shown next to its field."""
        values = self.form_values()
        if self.VALIDATE_IN_THREAD:
            config, errors = await asyncio.to_thread(self.validate, values)
        else:
            config, errors = self.validate(values)
        self.show_errors(errors)
        return config

    async def create_options(self) -> dict[str, Any] | None:
        """The task's options for the form's values, or None (errors shown) if they are invalid."""
        config = await self.read_form()
        if config is None:
            self.notify("Fix the highlighted settings first.", severity="error", title=self.INVALID_TITLE)
            return None
        return self.task_options(config)

    # ---- keys and buttons --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return not self.running
        if action == "cancel":
            return self.running
        return True

    def watch_running(self, running: bool) -> None:
        self.query_one("#start", Button).disabled = running
        self.query_one("#cancel", Button).disabled = not running

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_start(self) -> None:
        if self.running:
            return
        from fmnist_tui.engine.runner import check_output_dir

        try:
            runs_dir = check_output_dir(self.app.settings.runs_dir)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", title="Cannot save runs", markup=False)
            return
        self._cancel_requested = False
        self._ring_on_ending = True
        self.run_dir = None
        self.running = True
        self.run_worker(self._launch_and_follow(runs_dir), group=self.TASK, exclusive=True, exit_on_error=False)

    def attach(self, run_dir: Path) -> None:
        """Follow a run that is already going: its journal so far, then live."""
        if self.running and self.run_dir == Path(run_dir):
            return
        self._cancel_requested = False
        self.run_dir = Path(run_dir)
        self.running = True
        self.run_worker(self._attach_and_follow(self.run_dir), group=self.TASK, exclusive=True,
                        exit_on_error=False)

    def action_cancel(self) -> None:
        self.cancel_run()

    def cancel_run(self) -> None:
        if not self.running:
            return
        self._cancel_requested = True
        if self.run_dir is not None:
            self.run_worker(self._request_cancel(self.run_dir), group="cancel", exit_on_error=False)
        self.set_status(self.CANCELLING_TEXT)

    async def _request_cancel(self, run_dir: Path) -> None:
        from fmnist_tui.engine.errors import FmnistError
        from fmnist_tui.engine.launcher import request_cancel

        try:
            await asyncio.to_thread(request_cancel, run_dir)
        except FmnistError as exc:
            self.notify(str(exc), severity="error", title="Cannot cancel", markup=False)

    # ---- the run -----------------------------------------------------------------------

    async def _launch_and_follow(self, runs_dir: Path) -> None:
        from fmnist_tui.engine.errors import FmnistError
        from fmnist_tui.engine.launcher import launch

        try:
            options = await self.create_options()
            if options is None:
                return
            if self._cancel_requested:
                self.set_status("[yellow]Cancelled before the run started.[/]")
                return
            try:
                launched = await asyncio.to_thread(launch, self.TASK, options, runs_dir, self.app.spare_pool)
            except FmnistError as exc:
                self.set_status(f"[red]Could not start the run:[/] {escape(str(exc))}")
                self.notify(str(exc), severity="error", title="Could not start the run", markup=False)
                return
            self.run_dir = launched.run_dir
            if self._cancel_requested:
                await self._request_cancel(launched.run_dir)
        finally:
            if self.run_dir is None:
                self.running = False
        await self._follow(launched.run_dir)

    async def _attach_and_follow(self, run_dir: Path) -> None:
        # A run that had ended before we looked gets no bell: its ending is not news.
        self._ring_on_ending = await asyncio.to_thread(_still_running, run_dir)
        await self._follow(run_dir)

    async def _follow(self, run_dir: Path) -> None:
        from fmnist_tui.engine.follow import follow_run

        try:
            async for event in follow_run(run_dir):
                self.show_event(event)
        finally:
            if self.run_dir == run_dir:  # not when it was replaced by attaching to another run
                self.running = False
            self.app.run_ended()


def _still_running(run_dir: Path) -> bool:
    from fmnist_tui.engine.launcher import read_summary
    from fmnist_tui.engine.liveness import live_status

    summary = read_summary(run_dir)
    return summary is not None and live_status(summary) == "running"
