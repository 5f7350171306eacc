"""What every task screen shares: start and cancel (keys and buttons) and running one task.

A subclass builds its task from its form in `create_task` (returning None when the form
is invalid, with the errors shown next to the fields), renders each engine event in
`show_event`, and names its status line and worker group. The run is consumed by an
async worker on the UI's loop, so `show_event` may touch widgets directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Static

from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.events import Event


class TaskScreen(Screen[None]):
    BINDINGS = [
        Binding("s", "start", "Start", id="start", tooltip="Start a run with these settings"),
        Binding("c", "cancel", "Cancel", id="cancel", tooltip="Cancel the run (keeps what completed)"),
    ]

    RUN_GROUP: ClassVar[str] = "task"  # the worker group (tests wait on it)
    STATUS_ID: ClassVar[str] = "#run-status"
    CANCELLING_TEXT: ClassVar[str] = "Cancelling…"

    running: reactive[bool] = reactive(False, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.handle: Any = None
        self.run_id: str | None = None
        self.last_summary_path: Path | None = None
        self._cancel_requested = False

    # ---- hooks -------------------------------------------------------------------------

    async def create_task(self) -> Any:
        """The engine task for the form's values, or None (errors shown) if they are invalid."""
        raise NotImplementedError

    def show_event(self, event: Event) -> None:
        """Render one engine event."""
        raise NotImplementedError

    def set_status(self, markup: str) -> None:
        self.query_one(self.STATUS_ID, Static).update(markup)

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
            self.notify(str(exc), severity="error", title="Cannot save runs")
            return
        self._cancel_requested = False
        self.handle = None
        self.running = True
        self.run_worker(self._run(runs_dir), group=self.RUN_GROUP, exclusive=True, exit_on_error=False)

    def action_cancel(self) -> None:
        self.cancel_run()

    def cancel_run(self) -> None:
        if not self.running:
            return
        self._cancel_requested = True
        if self.handle is not None:
            self.handle.cancel()
        self.set_status(self.CANCELLING_TEXT)

    # ---- the run -----------------------------------------------------------------------

    async def _run(self, runs_dir: Path) -> None:
        from fmnist_tui.engine.runner import start_run

        try:
            task = await self.create_task()
            if task is None:
                return
            if self._cancel_requested:
                self.set_status("[yellow]Cancelled before the run started.[/]")
                return
            self.handle = start_run(task, runs_dir)
            async for event in self.handle.events():
                self.show_event(event)
        finally:
            self.running = False
