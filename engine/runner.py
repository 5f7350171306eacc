"""Runs a task in a worker thread and publishes its events as an async stream.

A task is an object with a `name`, a `config_dict()`, a `run(ctx)` method that does the
blocking work and emits events through `ctx`, and a `render_markdown(summary)` method.
The runner owns everything tasks have in common: the run directory, the environment
record, checkpointed summaries, and turning success, cancellation and failure into one
terminal event with a summary on disk.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import threading
import time
import traceback
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, AsyncIterator, Callable, ClassVar

from .errors import ConfigError, FmnistError
from .events import Event, RunCancelled, RunFailed, RunFinished, RunStarted, is_terminal
from .summaries import write_summary

log = logging.getLogger(__name__)

Emit = Callable[[Event], None]


class Cancelled(Exception):
    """Raised inside a task to unwind when the user has asked it to stop."""


class CancelToken:
    """A thread-safe flag that tasks check between units of work (batches, products)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.requested_at: float | None = None

    def cancel(self) -> None:
        if not self._event.is_set():
            self.requested_at = time.monotonic()
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class Task(ABC):
    """One of the workbench's tasks (train, devices, jacobian, eigen)."""

    name: ClassVar[str]
    needs_environment: ClassVar[bool] = True

    @abstractmethod
    def config_dict(self) -> dict[str, Any]:
        """The validated configuration, as recorded in the summary."""

    def params(self) -> dict[str, Any]:
        """Static facts for `RunStarted` (models, epochs, …); empty by default."""
        return {}

    def prepare(self, ctx: "RunContext") -> None:
        """Set-up that must come before TensorFlow initialises its devices (none by default)."""

    @abstractmethod
    def run(self, ctx: "RunContext") -> None:
        """Do the work, emit events, and fill `ctx.summary` as results arrive."""

    @abstractmethod
    def render_markdown(self, summary: dict[str, Any]) -> str:
        """The human-readable summary; must cope with partial (cancelled, failed) runs."""


class RunContext:
    """What a running task sees: its id, directory, event sink, cancel token and summary."""

    def __init__(self, task: Task, run_id: str, run_dir: Path | None, emit: Emit, token: CancelToken):
        self.task = task
        self.run_id = run_id
        self.run_dir = run_dir
        self.emit = emit
        self.token = token
        self.summary: dict[str, Any] = {
            "task": task.name,
            "run_id": run_id,
            "status": "running",
            "started_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "finished_at": None,
            "seconds_total": None,
            "config": task.config_dict(),
            "environment": {},
        }
        self._started = time.perf_counter()

    def check_cancelled(self) -> None:
        self.token.raise_if_cancelled()

    def checkpoint(self) -> Path | None:
        """Write the summary as it stands (status "running"), so a crash loses nothing."""
        return self._write()

    def finish(self, status: str, error: str | None = None, hint: str | None = None) -> Path | None:
        self.summary["status"] = status
        self.summary["finished_at"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        self.summary["seconds_total"] = round(time.perf_counter() - self._started, 3)
        if error is not None:
            self.summary["error"] = error
            self.summary["hint"] = hint or ""
        return self._write()

    def _write(self) -> Path | None:
        if self.run_dir is None:
            return None
        return write_summary(self.run_dir, self.summary, self.task.render_markdown(self.summary))


def new_run_id(task_name: str, runs_dir: Path | None, now: _dt.datetime | None = None) -> str:
    """`20261128-193012-train`, with `-2`, `-3`, … appended if that directory exists."""
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{task_name}"
    if runs_dir is None:
        return base
    candidate, n = base, 2
    while (Path(runs_dir) / candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def check_output_dir(out_dir: Path, field: str = "out") -> Path:
    """Create `out_dir` if needed and prove it is writable, or raise a `ConfigError`."""
    out_dir = Path(out_dir).expanduser()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{threading.get_ident()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            field,
            f"Cannot write to the output directory {out_dir}: {exc.strerror or exc}.",
            "Choose a directory you can write to (--out DIR).",
        ) from None
    return out_dir


def execute(task: Task, emit: Emit, token: CancelToken, runs_dir: Path | None) -> Event:
    """Run `task` to its end in the calling thread; emits and returns the terminal event.

    Never raises: cancellation and failure become `RunCancelled` and `RunFailed`, each
    with a summary on disk (when `runs_dir` is given) that records what was completed.
    """
    run_id = new_run_id(task.name, runs_dir)
    run_dir = None
    if runs_dir is not None:
        run_dir = Path(runs_dir) / run_id
        run_dir.mkdir(parents=True, exist_ok=False)
    ctx = RunContext(task, run_id, run_dir, emit, token)
    emit(RunStarted(task=task.name, run_id=run_id, run_dir=run_dir, config=ctx.summary["config"], params=task.params()))
    terminal: Event
    try:
        ctx.checkpoint()
        task.prepare(ctx)
        if task.needs_environment:
            from .environment import describe

            ctx.summary["environment"] = describe()
        ctx.check_cancelled()
        task.run(ctx)
        ctx.check_cancelled()
        path = ctx.finish("completed")
        terminal = RunFinished(summary=dict(ctx.summary), summary_path=path)
    except Cancelled:
        path = _finish_safely(ctx, "cancelled")
        terminal = RunCancelled(summary=dict(ctx.summary), summary_path=path)
    except FmnistError as exc:
        path = _finish_safely(ctx, "failed", exc.message, exc.hint)
        terminal = RunFailed(error=exc.message, hint=exc.hint, summary=dict(ctx.summary), summary_path=path)
    except Exception as exc:  # an engine bug or a TensorFlow error: report it, keep the details
        details = traceback.format_exc()
        log.error("run %s failed:\n%s", run_id, details)
        message = f"{type(exc).__name__}: {exc}"
        hint = "This is unexpected; the full traceback is in error.log in the run directory."
        if run_dir is not None:
            try:
                (run_dir / "error.log").write_text(details, encoding="utf-8")
            except OSError:
                hint = "This is unexpected."
        path = _finish_safely(ctx, "failed", message, hint)
        terminal = RunFailed(error=message, hint=hint, summary=dict(ctx.summary), summary_path=path)
    emit(terminal)
    return terminal


def _finish_safely(ctx: RunContext, status: str, error: str | None = None, hint: str | None = None) -> Path | None:
    try:
        return ctx.finish(status, error, hint)
    except Exception:  # the summary itself could not be written (disk full…): still end the run
        log.exception("could not write the summary of run %s", ctx.run_id)
        return None


class RunHandle:
    """A task running in its own thread; iterate `events()` from an asyncio loop."""

    def __init__(self, task: Task, runs_dir: Path | None, loop: asyncio.AbstractEventLoop) -> None:
        self.task = task
        self.runs_dir = runs_dir
        self.token = CancelToken()
        self._loop = loop
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._thread = threading.Thread(target=self._work, name=f"fmnist-{task.name}", daemon=True)
        self.terminal: Event | None = None

    def _emit(self, event: Event) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)
        except RuntimeError:  # the loop has closed (the app quit): nobody is listening
            pass

    def _work(self) -> None:
        self.terminal = execute(self.task, self._emit, self.token, self.runs_dir)

    def start(self) -> "RunHandle":
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    async def events(self) -> AsyncIterator[Event]:
        """Every event of the run, in order, ending with the terminal one."""
        while True:
            event = await self._queue.get()
            yield event
            if is_terminal(event):
                return


def start_run(task: Task, runs_dir: Path | None) -> RunHandle:
    """Start `task` in a worker thread; call from a coroutine running on the consumer's loop."""
    return RunHandle(task, runs_dir, asyncio.get_running_loop()).start()


def run_collecting(task: Task, runs_dir: Path | None, token: CancelToken | None = None) -> list[Event]:
    """Run `task` in the calling thread and return all its events (for tests and scripts)."""
    events: list[Event] = []
    execute(task, events.append, token or CancelToken(), runs_dir)
    return events
