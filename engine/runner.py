"""Runs a task to its end and turns whatever happens into one terminal event and a summary.

A task is an object with a `name`, a `config_dict()`, a `run(ctx)` method that does the
blocking work and emits events through `ctx`, and a `render_markdown(summary)` method.
The runner owns everything tasks have in common: the run directory (claimed atomically),
the environment record, checkpointed summaries, and turning success, cancellation and
failure into one terminal event with a summary on disk. In the product it runs inside a
worker process (`worker.py`); tests also call it in-process (`run_collecting`).
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import logging
import os
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, ClassVar

from .errors import ConfigError, FmnistError
from .events import Event, RunCancelled, RunFailed, RunFinished, RunStarted
from .summaries import SUMMARY_JSON, SUMMARY_MD, ResultsWriteError, atomic_write_text, to_json, write_summary

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

    def options(self) -> dict[str, Any]:
        """JSON-able values from which `from_options` rebuilds this task in a worker process."""
        return self.config_dict()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "Task":
        """The task for `options()`'s values (validated again: ConfigError names the field)."""
        raise NotImplementedError(f"{cls.__name__} cannot run in a worker process")

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
    """What a running task sees: its id, directory, event sink, cancel token and summary.

    The summary is written atomically, JSON first (the machine-readable record is the one to
    keep when the disk fills). Writes may come from the task's thread, a heartbeat thread,
    and a worker's signal handling; each writes a snapshot under a lock, and once the run has
    a final status (`finish`) nothing overwrites it.
    """

    def __init__(
        self, task: Task, run_id: str, run_dir: Path | None, emit: Emit, token: CancelToken,
        summary: dict[str, Any] | None = None,
    ):
        self.task = task
        self.run_id = run_id
        self.run_dir = run_dir
        self.emit = emit
        self.token = token
        self.summary: dict[str, Any] = summary if summary is not None else {
            "task": task.name,
            "run_id": run_id,
            "status": "running",
            "started_at": _now_iso(),
            "finished_at": None,
            "seconds_total": None,
            "config": task.config_dict(),
            "environment": {},
        }
        self._started = time.perf_counter() - float(self.summary.get("seconds_total") or 0.0)
        self._lock = threading.Lock()
        self._snapshot: str | None = None  # the last summary written, as JSON text
        self.sealed = False  # a final status is on disk

    def check_cancelled(self) -> None:
        self.token.raise_if_cancelled()

    def checkpoint(self) -> Path | None:
        """Write the summary as it stands (status "running"), so a crash loses nothing."""
        return self._write(self.summary)

    def finish(self, status: str, error: str | None = None, hint: str | None = None) -> Path | None:
        self.summary.update(self._ending(status, error, hint))
        return self._write(self.summary, final=True)

    def finish_from_snapshot(self, status: str, error: str, hint: str = "") -> Path | None:
        """End the run from another thread while the task's thread may still hold the summary."""
        with self._lock:
            snapshot = json.loads(self._snapshot) if self._snapshot else dict(self.summary)
        snapshot.update(self._ending(status, error, hint))
        return self._write(snapshot, final=True)

    def heartbeat(self) -> None:
        """Refresh `worker.heartbeat_at` in the summary on disk (from the worker's heartbeat thread)."""
        from .liveness import now_iso

        with self._lock:
            if self.sealed or self._snapshot is None or self.run_dir is None:
                return
            snapshot = json.loads(self._snapshot)
            if not isinstance(snapshot.get("worker"), dict):
                return
            snapshot["worker"]["heartbeat_at"] = now_iso()
            self._snapshot = to_json(snapshot)
            try:
                atomic_write_text(self.run_dir / SUMMARY_JSON, self._snapshot)
            except OSError:
                pass  # the next checkpoint reports a full disk

    def _ending(self, status: str, error: str | None, hint: str | None) -> dict[str, Any]:
        ending: dict[str, Any] = {
            "status": status,
            "finished_at": _now_iso(),
            "seconds_total": round(time.perf_counter() - self._started, 3),
            "peak_rss_bytes": peak_rss_bytes(),
        }
        if error is not None:
            ending.update(error=error, hint=hint or "")
        return ending

    def _write(self, summary: dict[str, Any], final: bool = False) -> Path | None:
        if self.run_dir is None:
            return None
        text = to_json(summary)
        markdown = self.task.render_markdown(json.loads(text))
        with self._lock:
            if self.sealed:
                return self.run_dir / SUMMARY_MD
            self._snapshot = text
            path = write_summary(self.run_dir, text, markdown)
            self.sealed = final
        return path


def peak_rss_bytes() -> int | None:
    """This process's peak resident memory (the worker's, when the run has one of its own)."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


def _now_iso() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def new_run_id(task_name: str, now: _dt.datetime | None = None) -> str:
    """`20261128-193012-train` (`claim_run_dir` adds `-2`, `-3`, … when that one is taken)."""
    return f"{(now or _dt.datetime.now()).strftime('%Y%m%d-%H%M%S')}-{task_name}"


def claim_run_dir(task_name: str, runs_dir: Path, now: _dt.datetime | None = None) -> tuple[str, Path]:
    """Create a new run directory and return (run id, path).

    The `mkdir` itself is the claim: two runs starting in the same second (in one process
    or several) each get a directory of their own, the later one with a `-2`, `-3` suffix.
    """
    base = new_run_id(task_name, now)
    try:
        Path(runs_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsWriteError(Path(runs_dir), exc) from None
    for n in range(1, 10_000):
        run_id = base if n == 1 else f"{base}-{n}"
        run_dir = Path(runs_dir) / run_id
        try:
            run_dir.mkdir(parents=False, exist_ok=False)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ResultsWriteError(run_dir, exc) from None
        return run_id, run_dir
    raise FmnistError(f"Could not find a free run id under {runs_dir}.", "Clean up the runs directory.")


def check_output_dir(out_dir: Path, field: str = "out") -> Path:
    """Create `out_dir` if needed and prove it is writable, or raise a `ConfigError`."""
    if not str(out_dir).strip():
        raise ConfigError(field, "The output directory must not be empty.", "Name a directory (--out DIR).")
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(field, f"The output directory {out_dir} is a file, not a directory.",
                          "Choose a directory (--out DIR).")
    probe = out_dir / f".write-test-{os.getpid()}-{threading.get_ident()}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe.write_text("ok")
    except OSError as exc:
        reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc)).lower()
        raise ConfigError(
            field,
            f"Cannot write to the output directory {out_dir}: {reason}.",
            "Choose a directory you can write to (--out DIR).",
        ) from None
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
    return out_dir


def execute(
    task: Task, emit: Emit, token: CancelToken, runs_dir: Path | None,
    run_id: str | None = None, run_dir: Path | None = None,
    prepare_context: Callable[[RunContext], None] | None = None,
    summary: dict[str, Any] | None = None,
) -> Event:
    """Run `task` to its end in the calling thread; emits and returns the terminal event.

    Never raises: cancellation and failure become `RunCancelled` and `RunFailed`, each
    with a summary on disk (when `runs_dir` is given) that records what was completed.
    A worker process passes the directory its launcher claimed (`run_id`, `run_dir`), a
    `prepare_context` hook that sees the context before the first summary is written, and,
    to resume a run, the `summary` it had reached.
    """
    if run_dir is None and runs_dir is not None:
        try:
            run_id, run_dir = claim_run_dir(task.name, Path(runs_dir))
        except FmnistError as exc:
            return _failed_before_start(task, emit, exc)
    run_id = run_id or new_run_id(task.name)
    ctx = RunContext(task, run_id, run_dir, emit, token, summary)
    if prepare_context is not None:
        prepare_context(ctx)
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
        terminal = RunFailed(error=exc.message, hint=exc.hint, summary=dict(ctx.summary), summary_path=path,
                             field=getattr(exc, "field", None))
    except Exception as exc:  # an engine bug or a TensorFlow error: report it, keep the details
        terminal = _unexpected_failure(ctx, exc)
    emit(terminal)
    return terminal


def _failed_before_start(task: Task, emit: Emit, exc: FmnistError) -> Event:
    terminal = RunFailed(error=exc.message, hint=exc.hint, summary={"task": task.name, "status": "failed"},
                         summary_path=None)
    emit(terminal)
    return terminal


def _unexpected_failure(ctx: RunContext, exc: Exception) -> Event:
    details = traceback.format_exc()
    log.error("run %s failed:\n%s", ctx.run_id, details)
    message = f"{type(exc).__name__}: {exc}"
    hint = "This is unexpected; the full traceback is in error.log in the run directory."
    if ctx.run_dir is not None:
        try:
            atomic_write_text(ctx.run_dir / "error.log", details)
        except OSError:
            hint = "This is unexpected."
    path = _finish_safely(ctx, "failed", message, hint)
    return RunFailed(error=message, hint=hint, summary=dict(ctx.summary), summary_path=path)


def _finish_safely(ctx: RunContext, status: str, error: str | None = None, hint: str | None = None) -> Path | None:
    try:
        return ctx.finish(status, error, hint)
    except Exception:  # the summary itself could not be written (disk full…): still end the run
        log.debug("could not write the final summary of run %s", ctx.run_id, exc_info=True)
        return None


def run_collecting(task: Task, runs_dir: Path | None, token: CancelToken | None = None) -> list[Event]:
    """Run `task` in the calling thread and return all its events (for tests and scripts)."""
    events: list[Event] = []
    execute(task, events.append, token or CancelToken(), runs_dir)
    return events
