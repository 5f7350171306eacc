"""The worker process: runs one task, journals its events and keeps its summary alive.

    python -m fmnist_tui.engine.worker [--spare]

It reads one `RunSpec` (a JSON line) from standard input. With `--spare` it first imports
TensorFlow, Keras and SymPy and announces the machine on standard output, then waits: a
launcher that goes away closes the pipe and the spare exits. The task runs in a thread;
the main thread keeps the heartbeat in `summary.json` and handles signals: SIGTERM or
SIGINT cancel the run (a cancelled summary within seconds), and if TensorFlow does not
return, the worker writes that ending itself and exits within `STOP_GRACE_SECONDS`.
SIGHUP is ignored: the worker runs in a session of its own, away from any terminal.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .errors import ConfigError, FmnistError
from .events import Event, RunCancelled, RunFinished
from .journal import JournalWriter, journal_path
from .launcher import (SPARE_NICENESS, WORKER_LOG, WORKER_NICENESS, WORKER_SIGNALS, RunSpec, read_summary,
                       set_autogroup_nice)
from .liveness import HEARTBEAT_SECONDS, worker_record
from .runner import CancelToken, RunContext, Task, execute

STOP_GRACE_SECONDS = 8.0  # after SIGTERM, how long the task may take to stop on its own

TASK_CLASSES = {
    "train": "fmnist_tui.engine.training.task:TrainTask",
    "devices": "fmnist_tui.engine.devices:DevicesTask",
    "jacobian": "fmnist_tui.engine.calculus.tasks:JacobianTask",
    "eigen": "fmnist_tui.engine.calculus.tasks:EigenTask",
}

EXIT_CODES = {RunFinished: 0, RunCancelled: 130}


def task_class(name: str) -> type[Task]:
    """The task class for a spec's name: one of `TASK_CLASSES`, or "module:Class" naming a
    `Task` (how tests and extensions run tasks of their own in a worker)."""
    target = TASK_CLASSES.get(name, name if ":" in name else None)
    if target is None:
        raise ConfigError("task", f"There is no task {name!r}.", f"Choose one of {', '.join(TASK_CLASSES)}.")
    module_name, class_name = target.split(":", 1)
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        cls = None
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise ConfigError("task", f"{name!r} is not a task.", f"Choose one of {', '.join(TASK_CLASSES)}.")
    return cls


class StopRequest:
    """Set by SIGTERM/SIGINT; `signal_number` says which."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_number: int | None = None
        self.on_request = lambda: None
        self.idle = False  # a spare waiting for a task: a signal just ends the process

    def __call__(self, signum: int, frame: Any) -> None:
        if self.idle:
            raise SystemExit(0)
        if self.signal_number is None:
            self.signal_number = signum
        self.event.set()
        self.on_request()


class RefusedTask(Task):
    """Stands in for a task whose options were refused, so the refusal is a run like any other."""

    needs_environment = False

    def __init__(self, name: str, options: dict[str, Any], error: FmnistError) -> None:
        self.name = name  # type: ignore[misc]
        self._options = options
        self._error = error

    def config_dict(self) -> dict[str, Any]:
        return dict(self._options)

    def run(self, ctx: RunContext) -> None:
        raise self._error

    def render_markdown(self, summary: dict[str, Any]) -> str:
        return (f"# Run {summary.get('run_id')} ({self.name})\n\n**Status:** {summary.get('status')}\n\n"
                f"{summary.get('error', '')} {summary.get('hint', '')}\n")


def build_task(spec: RunSpec) -> Task:
    try:
        return task_class(spec.task).from_options(spec.options)
    except FmnistError as exc:
        return RefusedTask(spec.task, spec.options, exc)


def warm_up() -> dict[str, Any]:
    """Import what every task needs (the seconds a small task should not wait for)."""
    from ._tf import tensorflow
    from .environment import describe_quickly

    tensorflow()
    import keras  # noqa: F401  (the Keras trainer's import, ~3 s on its own)
    import sympy  # noqa: F401

    for module in ("fmnist_tui.engine.training.task", "fmnist_tui.engine.training.keras_trainer",
                   "fmnist_tui.engine.training.lowlevel_trainer", "fmnist_tui.engine.calculus.tasks",
                   "fmnist_tui.engine.calculus.jacobian", "fmnist_tui.engine.calculus.eigen",
                   "fmnist_tui.engine.devices"):
        importlib.import_module(module)
    return describe_quickly()


def share_gpus() -> None:
    """Let TensorFlow take GPU memory as it needs it, so several runs can share one GPU."""
    try:
        from ._tf import tensorflow

        tf = tensorflow()
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    except Exception:  # already initialised, or no GPU support: nothing to share
        pass


def yield_to_the_ui() -> None:
    """Run a little nicer than the app, so that keys are answered at once while TensorFlow
    fills every core; with nothing else to run, training speed is the same.

    A worker runs in a session of its own, and where the kernel groups processes by session
    (sched_autogroup, on by default in most distributions) a process's nice value only
    weighs against its own group: the group's nice (/proc/self/autogroup) is what weighs
    against the app's. Both are set.
    """
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    set_autogroup_nice(WORKER_NICENESS)


def redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr (TensorFlow's C++ logs too) to the run's log."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def run_spec(spec: RunSpec, stop: StopRequest) -> int:
    """Run the spec's task to its end; returns the process's exit status."""
    assert spec.run_dir is not None
    share_gpus()
    task = build_task(spec)
    journal = JournalWriter(journal_path(spec.run_dir))
    token = CancelToken()
    stop.on_request = token.cancel
    if stop.event.is_set():
        token.cancel()
    contexts: list[RunContext] = []
    endings: list[Event] = []

    launched = read_summary(spec.run_dir) or {}

    def prepare(ctx: RunContext) -> None:
        if not spec.resume and isinstance(launched.get("started_at"), str):
            ctx.summary["started_at"] = launched["started_at"]  # when the user started it, not when TF loaded
        ctx.summary["worker"] = worker_record()
        ctx.summary["spec"] = {"task": spec.task, "options": spec.options}  # what `--resume` starts again
        contexts.append(ctx)

    summary = resumed_summary(spec) if spec.resume else None

    def work() -> None:
        endings.append(execute(task, journal.write, token, spec.runs_dir, spec.run_id, spec.run_dir, prepare, summary))

    thread = threading.Thread(target=work, name="fmnist-task", daemon=True)
    thread.start()
    while thread.is_alive() and not stop.event.is_set():
        stop.event.wait(HEARTBEAT_SECONDS)
        if contexts and thread.is_alive():
            contexts[0].heartbeat()
    thread.join(STOP_GRACE_SECONDS if stop.event.is_set() else None)
    if thread.is_alive() and contexts:  # TensorFlow did not return: end the run from here
        return _stopped_from_outside(contexts[0], journal)
    journal.close()
    ending = endings[0] if endings else None
    return EXIT_CODES.get(type(ending), 1)


def _stopped_from_outside(ctx: RunContext, journal: JournalWriter) -> int:
    error = f"The run did not stop within {STOP_GRACE_SECONDS:.0f} s of being cancelled; its worker was ended."
    try:
        path = ctx.finish_from_snapshot("cancelled", error, "What completed before is kept.")
    except FmnistError:
        path = None
    summary = read_summary(ctx.run_dir) if ctx.run_dir else None
    journal.write(RunCancelled(summary=summary or {}, summary_path=path))
    journal.close()
    return 143


def resumed_summary(spec: RunSpec) -> dict[str, Any] | None:
    assert spec.run_dir is not None
    summary = read_summary(spec.run_dir)
    if summary is None:
        return None
    summary.update(status="running", finished_at=None)
    summary.pop("error", None)
    summary.pop("hint", None)
    resumed = summary.get("resumed")
    summary["resumed"] = (resumed if isinstance(resumed, int) and not isinstance(resumed, bool) else 0) + 1
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fmnist_tui.engine.worker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spare", action="store_true", help="import everything, announce, then wait for a spec")
    args = parser.parse_args(argv)
    stop = StopRequest()
    stop.idle = args.spare  # a spare without a task just exits; a new worker still writes its ending
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)  # blocked by the launcher until now
    if args.spare:
        import json

        # Warming up takes seconds of CPU the app needs most just then (it is starting too):
        # the spare's group runs at a low priority until it has a task (lowering a group's
        # nice back to a value ≥ 0 needs no privilege, unlike a process's own).
        set_autogroup_nice(SPARE_NICENESS)
        try:
            environment = warm_up()
        except Exception as exc:  # a broken TensorFlow install: tell the app, which tells the user
            environment = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            sys.stdout.write(json.dumps(environment) + "\n")
            sys.stdout.flush()
        except OSError:  # the app has gone; a task it handed over may still be waiting on stdin
            pass
        if "error" in environment:
            return 1
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the launcher went away before giving a task
    stop.idle = False
    spec = RunSpec.from_json(line)
    yield_to_the_ui()
    assert spec.run_dir is not None
    try:
        redirect_output(spec.run_dir / WORKER_LOG)
    except OSError:  # a full disk or a read-only directory: the run itself will say so
        pass
    return run_spec(spec, stop)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # TensorFlow's exit handlers can take seconds; everything is on disk already
