"""The headless front end: consumes a run's event stream and renders it with rich."""

from __future__ import annotations

import asyncio
import signal
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fmnist_tui.engine.events import Event, is_terminal, Log, Progress as ProgressEvent, RunCancelled, RunFailed, RunFinished, RunStarted
from fmnist_tui.render.run_endings import run_ending

from .event_dispatch import EventDispatch, handles

if TYPE_CHECKING:
    from fmnist_tui.engine.runner import Task

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130

# Whether a run followed to its end rings the bell and sends a desktop notification (the
# setting general.notify, which the command line sets once for every run it follows).
NOTIFY_ENDINGS: ContextVar[bool] = ContextVar("notify_endings", default=True)


class HeadlessRenderer(EventDispatch):
    """Renders the events every task shares; subclasses add their task's events (`@handles`)."""

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
        self.run_id: str | None = None

    def __enter__(self) -> "HeadlessRenderer":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def handle(self, event: Event) -> None:
        if is_terminal(event):
            self.terminal = event
        self.dispatch(event)

    @handles(RunStarted)
    def show_run_started(self, event: RunStarted) -> None:
        self.run_id = event.run_id
        where = f" → {event.run_dir}" if event.run_dir else ""
        self.console.print(f"[bold]Run {event.run_id}[/] ({event.task}){where}")

    @handles(Log)
    def show_log(self, event: Log) -> None:
        style = {"warning": "yellow", "error": "red"}.get(event.level, "dim")
        self.progress.console.print(f"[{style}]{escape(event.message)}[/]")

    @handles(ProgressEvent)
    def show_progress(self, event: ProgressEvent) -> None:
        if self._generic_bar is None:
            self._generic_bar = self.progress.add_task("Progress", total=event.total, info="")
        self.progress.update(self._generic_bar, completed=event.done, total=event.total, info=event.label)

    @handles(RunFinished, RunCancelled, RunFailed)
    def show_run_ended(self, event: RunFinished | RunCancelled | RunFailed) -> None:
        """The result, then how the run ended (worded as the screens word it), then where its summary is.

        A completed run's line goes to stdout with its result; a cancelled or failed one's to stderr.
        """
        self.progress.stop()
        self.show_result(event.summary)
        ending = run_ending(event, self.run_id)
        out = self.console if ending.outcome == "completed" else self.error_console
        out.print(ending.status, style=ending.style, markup=False, highlight=False)
        if ending.hint:
            self.error_console.print(ending.hint, markup=False, highlight=False)
        if ending.summary:
            # summary.json sits beside it: scripts read that one
            self.console.print(f"{ending.summary} (and summary.json)", markup=False, highlight=False)

    def show_result(self, summary) -> None:
        """Print the task's result tables (overridden per task)."""

    def exit_code(self, terminal: Event) -> int | None:
        """A task-specific exit status for this ending, or None for the usual one."""
        return None


def run_headless(task: "Task", runs_dir: Path, renderer: HeadlessRenderer) -> int:
    """Run `task` in a worker process and render it; Ctrl-C, SIGTERM and SIGHUP cancel it cleanly."""
    from fmnist_tui.engine.launcher import launch

    launched = launch(task.name, task.options(), runs_dir)
    return follow_headless(launched.run_dir, renderer, foreground=True)


# Exit status of a foreground run cancelled by each signal (128 + its number, as shells report).
SIGNAL_EXIT = {signal.SIGINT: EXIT_CANCELLED, signal.SIGTERM: 143, signal.SIGHUP: 129}


def follow_headless(run_dir: Path, renderer: HeadlessRenderer, foreground: bool) -> int:
    """Render a run's events until it ends, then ring and notify its ending (`tui/notify.py`)
    on the terminal, when the output is one and `NOTIFY_ENDINGS` is on.

    In the foreground (`run`), a signal cancels the run and the command waits for its
    cancelled summary (a second Ctrl-C quits at once; the worker still finishes cancelling).
    Attached (`attach`), Ctrl-C only stops following: the run goes on.
    """
    from fmnist_tui.engine.follow import follow_run
    from fmnist_tui.engine.launcher import request_cancel

    received: list[int] = []

    async def consume() -> Event | None:
        loop = asyncio.get_running_loop()
        follower = follow_run(run_dir)

        def on_signal(signum: int) -> None:
            received.append(signum)
            if not foreground or len(received) > 1:
                raise SystemExit(_detached(renderer, run_dir) if not foreground else SIGNAL_EXIT[signal.Signals(signum)])
            _quietly(renderer.error_console.print, "\n[yellow]Cancelling… (Ctrl-C again to quit at once)[/]")
            request_cancel(run_dir)

        for signum in SIGNAL_EXIT:
            try:
                loop.add_signal_handler(signum, on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
                pass
        last: Event | None = None
        async for event in follower:
            _quietly(renderer.handle, event)
            last = event
        return last

    with renderer:
        terminal = asyncio.run(consume())
    if terminal is not None and is_terminal(terminal) and NOTIFY_ENDINGS.get():
        from .notify import notify_ending, terminal_writer

        notify_ending(terminal_writer(), terminal)
    special = renderer.exit_code(terminal)
    if special is not None:
        return special
    if isinstance(terminal, RunFinished):
        return EXIT_OK
    if isinstance(terminal, RunCancelled):
        return SIGNAL_EXIT.get(signal.Signals(received[0]), EXIT_CANCELLED) if received else EXIT_CANCELLED
    return EXIT_FAILED


def _detached(renderer: HeadlessRenderer, run_dir: Path) -> int:
    renderer.progress.stop()
    _quietly(renderer.error_console.print,
             f"\nDetached; run {run_dir.name} goes on. Follow it again with: fmnist-tui attach {run_dir.name}")
    return EXIT_OK


def _quietly(function, *args) -> None:
    """Render, unless the terminal has gone (after a hang-up, writes fail with EIO)."""
    try:
        function(*args)
    except OSError:
        pass
