"""The headless front end: consumes a run's event stream and renders it with rich."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fmnist_tui.engine.events import Event, Log, Progress as ProgressEvent, RunCancelled, RunFailed, RunFinished, RunStarted

if TYPE_CHECKING:
    from fmnist_tui.engine.runner import Task

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


class HeadlessRenderer:
    """Renders the events every task shares; subclasses add their task's events."""

    def __init__(self, console: Console, error_console: Console) -> None:
        self.console = console
        self.error_console = error_console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._generic_bar = None
        self.terminal: Event | None = None  # the run's last event, once it has ended

    def __enter__(self) -> "HeadlessRenderer":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def handle(self, event: Event) -> None:
        if isinstance(event, (RunFinished, RunFailed, RunCancelled)):
            self.terminal = event
        method = getattr(self, f"on_{_snake(type(event).__name__)}", None)
        if method is not None:
            method(event)

    def on_run_started(self, event: RunStarted) -> None:
        where = f" → {event.run_dir}" if event.run_dir else ""
        self.console.print(f"[bold]Run {event.run_id}[/] ({event.task}){where}")

    def on_log(self, event: Log) -> None:
        style = {"warning": "yellow", "error": "red"}.get(event.level, "dim")
        self.progress.console.print(f"[{style}]{escape(event.message)}[/]")

    def on_progress(self, event: ProgressEvent) -> None:
        if self._generic_bar is None:
            self._generic_bar = self.progress.add_task("Progress", total=event.total, info="")
        self.progress.update(self._generic_bar, completed=event.done, total=event.total, info=event.label)

    def on_run_finished(self, event: RunFinished) -> None:
        self.progress.stop()
        self.show_result(event.summary)
        self._where(event.summary_path)

    def on_run_cancelled(self, event: RunCancelled) -> None:
        self.progress.stop()
        self.show_result(event.summary)
        self.error_console.print("[yellow]Cancelled.[/] What completed is kept in the summary.")
        self._where(event.summary_path)

    def on_run_failed(self, event: RunFailed) -> None:
        self.progress.stop()
        self.show_result(event.summary)
        self.error_console.print(f"[red bold]Error:[/] {escape(event.error)}")
        if event.hint:
            self.error_console.print(event.hint, markup=False)
        self._where(event.summary_path)

    def show_result(self, summary) -> None:
        """Print the task's result tables (overridden per task)."""

    def exit_code(self, terminal: Event) -> int | None:
        """A task-specific exit status for this ending, or None for the usual one."""
        return None

    def _where(self, path: Path | None) -> None:
        if path is not None:
            self.console.print(f"Summary: {path} (and summary.json)")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def run_headless(task: "Task", runs_dir: Path | None, renderer: HeadlessRenderer) -> int:
    """Run `task`, rendering its events; Ctrl-C cancels cleanly (a second one forces quit)."""
    from fmnist_tui.engine.runner import start_run

    async def consume() -> Event:
        handle = start_run(task, runs_dir)
        loop = asyncio.get_running_loop()
        interrupts = 0

        def on_sigint() -> None:
            nonlocal interrupts
            interrupts += 1
            if interrupts > 1:
                raise SystemExit(EXIT_CANCELLED)
            renderer.error_console.print("\n[yellow]Cancelling… (Ctrl-C again to quit at once)[/]")
            handle.cancel()

        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
        last: Event | None = None
        async for event in handle.events():
            renderer.handle(event)
            last = event
        return last

    with renderer:
        terminal = asyncio.run(consume())
    special = renderer.exit_code(terminal)
    if special is not None:
        return special
    if isinstance(terminal, RunFinished):
        return EXIT_OK
    if isinstance(terminal, RunCancelled):
        return EXIT_CANCELLED
    return EXIT_FAILED
