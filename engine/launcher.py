"""Starting runs in worker processes of their own, and stopping them.

`launch` claims the run directory, writes a first summary naming the worker (so the run is
listed, and its liveness known, from the first instant), and hands the worker its
`RunSpec` on standard input. Workers start in a new session, so a terminal hang-up never
reaches them. A `SparePool` keeps one worker warm (TensorFlow and SymPy already imported,
waiting for a spec) so small tasks start at once. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import FmnistError
from .liveness import live_status, now_iso, pid_alive, process_start, worker_record
from .runner import check_output_dir, claim_run_dir
from .summaries import SUMMARY_JSON, ResultsWriteError, atomic_write_text, to_json, write_summary

WORKER_MODULE = "fmnist_tui.engine.worker"
WORKER_LOG = "worker.log"
WORKER_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
CANCEL_WAIT_SECONDS = 20.0  # a worker ends within ~10 s of SIGTERM even when TensorFlow is stuck
WORKER_NICENESS = 5  # a worker's scheduling group: a little nicer than the app's (see worker.py)
SPARE_NICENESS = 15  # a spare's group while it warms up and waits, until it is given a task


@dataclass
class RunSpec:
    """Everything a worker needs to run one task: sent as one JSON line on its stdin."""

    task: str
    options: dict[str, Any]
    runs_dir: Path
    run_id: str = ""
    run_dir: Path | None = None
    resume: bool = False

    def to_json(self) -> str:
        data = {
            "task": self.task, "options": self.options, "runs_dir": str(self.runs_dir), "run_id": self.run_id,
            "run_dir": str(self.run_dir) if self.run_dir else None, "resume": self.resume,
        }
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "RunSpec":
        data = json.loads(text)
        return cls(
            task=str(data["task"]), options=dict(data.get("options") or {}), runs_dir=Path(data["runs_dir"]),
            run_id=str(data.get("run_id") or ""), run_dir=Path(data["run_dir"]) if data.get("run_dir") else None,
            resume=bool(data.get("resume")),
        )


@dataclass
class LaunchedRun:
    run_id: str
    run_dir: Path
    pid: int
    process: subprocess.Popen | None = field(default=None, repr=False)


def worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ logs would go to worker.log anyway
    return env


def start_worker(spare: bool = False, stderr_path: Path | None = None) -> subprocess.Popen:
    """A new worker process in a session of its own, reading its spec from stdin."""
    command = [sys.executable, "-m", WORKER_MODULE] + (["--spare"] if spare else [])
    stderr: Any = subprocess.DEVNULL
    if stderr_path is not None:
        stderr_path.parent.mkdir(parents=True, exist_ok=True)
        stderr = open(stderr_path, "ab")
    # The child starts with these signals blocked (the mask survives exec) and unblocks them
    # once its handlers are in place: a cancel sent in its first milliseconds is not lost.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)
    try:
        return subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE if spare else subprocess.DEVNULL,
            stderr=stderr, start_new_session=True, close_fds=True, env=worker_environment(),
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if stderr_path is not None:
            stderr.close()


def launch(
    task: str, options: Mapping[str, Any], runs_dir: Path, pool: "SparePool | None" = None,
    resume_dir: Path | None = None,
) -> LaunchedRun:
    """Start a run in a worker process and return at once (the worker may still be loading)."""
    runs_dir = check_output_dir(Path(runs_dir)).resolve()
    if resume_dir is not None:
        run_dir, run_id = Path(resume_dir).resolve(), Path(resume_dir).name
    else:
        run_id, run_dir = claim_run_dir(task, runs_dir)
    process = pool.take() if pool is not None else None
    if process is None:
        process = start_worker(stderr_path=run_dir / WORKER_LOG if resume_dir is None else None)
    spec = RunSpec(task, dict(options), runs_dir, run_id, run_dir, resume=resume_dir is not None)
    try:
        if resume_dir is not None:
            mark_resuming(run_dir, process.pid)
        else:
            write_first_summary(spec, process.pid)
        assert process.stdin is not None
        process.stdin.write((spec.to_json() + "\n").encode())
        process.stdin.close()
    except (FmnistError, OSError) as exc:
        _abandon(process, None if resume_dir is not None else run_dir)
        if isinstance(exc, FmnistError):
            raise
        raise FmnistError(f"The worker process for run {run_id} did not start ({exc}).",
                          f"See {run_dir / WORKER_LOG}.") from None
    _children.append(process)
    return LaunchedRun(run_id, run_dir, process.pid, process)


def _abandon(process: subprocess.Popen, run_dir: Path | None) -> None:
    """A launch that failed before its worker had a task: nothing ran, so nothing is kept."""
    process.kill()
    process.wait()
    if run_dir is not None:
        shutil.rmtree(run_dir, ignore_errors=True)


def write_first_summary(spec: RunSpec, pid: int) -> None:
    """The summary of a run whose worker has not started yet: running, and whose process it is."""
    assert spec.run_dir is not None
    summary = {
        "task": spec.task, "run_id": spec.run_id, "status": "running", "started_at": now_iso(),
        "finished_at": None, "seconds_total": None, "config": spec.options, "environment": {},
        "worker": worker_record(pid),
    }
    # The JSON last, just before the worker is handed its spec: a launcher killed in between
    # (the terminal closed as `s` was pressed) leaves the shortest window in which the run is
    # listed but its worker has no task (it then exits, and the run reads interrupted).
    write_summary(spec.run_dir, summary, f"# Run {spec.run_id} ({spec.task})\n\n**Status:** running (starting)\n",
                  markdown_first=True)


def mark_resuming(run_dir: Path, pid: int) -> None:
    summary = read_summary(run_dir) or {}
    summary.update(status="running", finished_at=None, worker=worker_record(pid))
    summary.pop("error", None)
    summary.pop("hint", None)
    try:
        atomic_write_text(run_dir / SUMMARY_JSON, to_json(summary))
    except OSError as exc:
        raise ResultsWriteError(run_dir / SUMMARY_JSON, exc) from None


RESUMABLE = ("cancelled", "interrupted", "failed")


def resume_options(run_dir: Path) -> dict[str, Any]:
    """The options a training was started with, if it can be resumed; else a ConfigError saying why."""
    from .errors import ConfigError
    from .summary_check import summary_problem

    run_id = Path(run_dir).name
    summary = read_summary(run_dir) or {}
    problem = summary_problem(summary)
    if problem is not None:
        raise ConfigError("resume", f"Run {run_id} cannot be resumed: its summary is damaged ({problem}).",
                          "Start a new training instead.")
    if summary.get("task") != "train":
        raise ConfigError("resume", f"Run {run_id} is not a training run.", "Only trainings can be resumed.")
    status = live_status(summary) or summary.get("status")
    if status not in RESUMABLE:
        raise ConfigError("resume", f"Run {run_id} is {status}; only a cancelled, interrupted or failed "
                          "training can be resumed.", "See `fmnist-tui runs`.")
    options = (summary.get("spec") or {}).get("options")
    if not isinstance(options, dict):
        raise ConfigError("resume", f"Run {run_id} does not record how it was started.",
                          "It was made by an older version; start a new run.")
    return options


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(run_dir) / SUMMARY_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


_children: list[subprocess.Popen] = []


def reap_children() -> None:
    """Collect workers this process started that have ended (so they leave no zombies)."""
    for process in list(_children):
        if process.poll() is not None:
            _children.remove(process)


# ---- cancelling -------------------------------------------------------------------------


def request_cancel(run_dir: Path) -> bool:
    """Ask a run's worker to stop (SIGTERM); False when the run is not running."""
    summary = read_summary(run_dir)
    if summary is None or live_status(summary) != "running":
        return False
    worker = summary["worker"]
    from .liveness import host_name

    if worker.get("host") != host_name():
        raise FmnistError(f"Run {Path(run_dir).name} runs on {worker.get('host')}, not on this machine.",
                          f"Cancel it there: fmnist-tui cancel {Path(run_dir).name}")
    try:
        os.kill(int(worker["pid"]), signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def wait_for_ending(run_dir: Path, timeout: float = CANCEL_WAIT_SECONDS, poll: float = 0.1) -> dict[str, Any] | None:
    """Wait until the run's summary has a final status (or its worker is gone); returns the summary."""
    deadline = time.monotonic() + timeout
    while True:
        reap_children()
        summary = read_summary(run_dir)
        if summary is not None and live_status(summary) != "running":
            return summary
        if time.monotonic() >= deadline:
            return summary
        time.sleep(poll)


# ---- the warm spare ---------------------------------------------------------------------


def set_autogroup_nice(niceness: int, path: Path = Path("/proc/self/autogroup")) -> bool:
    """Give a process's scheduling group (this one's, or `path`'s) `niceness`; False where
    there is no such group (not Linux, autogroup off) or it may not be changed."""
    try:
        path.write_text(f"{niceness}\n")
        return True
    except OSError:
        return False


class SparePool:
    """One worker kept warm: TensorFlow and SymPy imported, waiting for a spec on stdin.

    The spare announces the machine it found (one JSON line on stdout), which the app shows
    in its header. A spare whose launcher goes away reads end-of-file and exits.
    """

    def __init__(self, on_environment: Callable[[dict[str, Any]], None] | None = None,
                 log_path: Path | None = None) -> None:
        self._on_environment = on_environment
        self._log_path = log_path
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start a spare unless one is there (call when no run is busy: it costs seconds of CPU)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            self._process = start_worker(spare=True, stderr_path=self._log_path)
            process = self._process
        threading.Thread(target=self._read_announcement, args=(process,), daemon=True,
                         name="fmnist-spare-reader").start()

    def _read_announcement(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        try:
            line = process.stdout.readline()
        except (OSError, ValueError):
            return
        try:
            environment = json.loads(line)
        except ValueError:
            return
        if isinstance(environment, dict) and self._on_environment is not None:
            self._on_environment(environment)

    def take(self) -> subprocess.Popen | None:
        """The spare (even if still importing: it is ahead of a new process), or None."""
        with self._lock:
            process, self._process = self._process, None
        if process is None or process.poll() is not None or not pid_alive(process.pid, process_start(process.pid)):
            return None
        # a spare still warming up would finish at its low priority, and on a busy machine
        # (a detached training) a small task handed to it would wait minutes: raise it now
        set_autogroup_nice(WORKER_NICENESS, Path(f"/proc/{process.pid}/autogroup"))
        return process

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def close(self) -> None:
        """Let the spare go: closing its stdin makes it exit."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
