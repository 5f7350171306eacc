"""Is a run's worker process still there? Exact on the same host, by heartbeat elsewhere.

A running worker records `{"pid", "host", "process_start", "heartbeat_at"}` under
`"worker"` in its `summary.json`. On the same host a run is alive while that pid exists,
is not a zombie, and started at the recorded instant (so a recycled pid is not taken for
the worker). On another host (a shared runs directory) only the heartbeat's age can tell.
"""

from __future__ import annotations

import datetime as _dt
import os
import socket
import time
from functools import lru_cache
from typing import Any, Mapping

HEARTBEAT_SECONDS = 5.0  # how often a worker rewrites its heartbeat
STALE_HEARTBEAT_SECONDS = 60.0  # a remote worker silent this long is taken to be gone


@lru_cache(maxsize=1)
def host_name() -> str:
    return socket.gethostname()


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3… of `/proc/<pid>/stat` (Linux), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return stat[stat.rfind(")") + 2 :].split()


def process_start(pid: int) -> int | None:
    """The start time of process `pid` in clock ticks since boot (Linux), or None if unknown."""
    fields = _stat_fields(pid)
    try:
        return int(fields[19]) if fields else None  # field 22 of proc(5)
    except (IndexError, ValueError):
        return None


def _process_state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def worker_record(pid: int | None = None) -> dict[str, Any]:
    """What a worker writes about itself into its summary."""
    pid = os.getpid() if pid is None else pid
    return {"pid": pid, "host": host_name(), "process_start": process_start(pid), "heartbeat_at": now_iso()}


def now_iso() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def pid_alive(pid: int, start: int | None = None) -> bool:
    """Whether `pid` runs on this host (and, if `start` is given, is the process that started then)."""
    if pid <= 0:
        return False
    if os.path.isdir("/proc/self"):
        state = _process_state(pid)
        if state is None or state in ("Z", "X", "x"):
            return False
        return start is None or process_start(pid) in (None, start)
    try:  # no /proc (macOS): existence only
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def heartbeat_age(worker: Mapping[str, Any], now: float | None = None) -> float | None:
    try:
        beat = _dt.datetime.fromisoformat(str(worker.get("heartbeat_at")))
    except (TypeError, ValueError):
        return None
    if beat.tzinfo is None:
        beat = beat.astimezone()
    return (time.time() if now is None else now) - beat.timestamp()


def worker_alive(worker: Any, now: float | None = None) -> bool:
    """Whether the worker described by a summary's `"worker"` record is still running."""
    if not isinstance(worker, Mapping):
        return False
    pid = worker.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool):
        return False
    if worker.get("host") == host_name():
        start = worker.get("process_start")
        return pid_alive(pid, start if isinstance(start, int) and not isinstance(start, bool) else None)
    age = heartbeat_age(worker, now)
    return age is not None and age < STALE_HEARTBEAT_SECONDS


def live_status(summary: Mapping[str, Any], now: float | None = None) -> str | None:
    """"running" or "interrupted" for a summary that says running; None when it has ended."""
    if summary.get("status") != "running" or summary.get("finished_at"):
        return None
    return "running" if worker_alive(summary.get("worker"), now) else "interrupted"
