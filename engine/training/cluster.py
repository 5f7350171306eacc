"""Several workers training one model (`--strategy multiworker`): who they are, who writes,
what happens when one is lost, and starting a cluster of them on this machine.

TensorFlow's `TF_CONFIG` describes the cluster: every worker's address and which one this
process is. Worker 0 (or the task of type "chief") is the chief: it writes the run's
summary, journal, checkpoints, mistakes and TensorBoard logs; the other workers train just
the same but write into a scratch directory of their own, removed when they end
(TensorFlow's documented pattern for multi-worker training). A worker that is lost or stops
answering fails the others' runs with an error that names it (`WorkerLost`), within the
collective timeout. Nothing here imports TensorFlow at module level: the launcher runs in
the command-line process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator, Mapping, Sequence

from ..errors import ConfigError, FmnistError
from ..runner import Cancelled, CancelToken

TF_CONFIG = "TF_CONFIG"
TIMEOUT_VARIABLE = "FMNIST_COLLECTIVE_TIMEOUT"
JOIN_TIMEOUT_VARIABLE = "FMNIST_CLUSTER_JOIN_TIMEOUT"
# A collective operation (a gradient all-reduce, a metric read) that waits longer than this
# for the other workers fails the run: a lost worker is usually noticed within seconds (its
# connection drops); this bounds the wait for one that hangs.
COLLECTIVE_TIMEOUT_SECONDS = 60.0
# How long a worker waits for all the others to start: long enough to start them by hand
# on other machines.
JOIN_TIMEOUT_SECONDS = 600.0
EXAMPLE_TF_CONFIG = '{"cluster": {"worker": ["host1:23456", "host2:23456"]}, "task": {"type": "worker", "index": 0}}'


class ClusterError(FmnistError):
    """The cluster is described wrongly, or did not come together."""


class WorkerLost(FmnistError):
    """Another worker of the cluster was lost or stopped answering."""


@dataclass(frozen=True)
class Cluster:
    """The workers of a multi-worker training, as `TF_CONFIG` describes them."""

    workers: tuple[str, ...]  # every worker's address (host:port), the chief first
    index: int  # this worker's place in `workers` (TensorFlow's id in the cluster)

    @property
    def is_chief(self) -> bool:
        return self.index == 0

    def name(self, index: int) -> str:
        """"worker 1 (host2:23456)"."""
        return f"worker {index} ({self.workers[index]})"

    @property
    def others(self) -> list[int]:
        return [i for i in range(len(self.workers)) if i != self.index]

    def describe(self, replicas: int) -> dict[str, Any]:
        """What the run's summary records about the cluster."""
        return {"workers": len(self.workers), "replicas": replicas, "hosts": list(self.workers), "worker": self.index}


def parse_tf_config(text: str) -> Cluster | None:
    """The cluster that a `TF_CONFIG` value describes (None for an empty one); a
    `ClusterError` saying what is wrong with a malformed one."""
    if not text.strip():
        return None
    hint = f"Set TF_CONFIG to JSON such as {EXAMPLE_TF_CONFIG}"
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise ClusterError(f"TF_CONFIG is not valid JSON ({exc}).", hint) from None
    jobs = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(jobs, dict) or not isinstance(task, dict):
        raise ClusterError("TF_CONFIG must have a \"cluster\" and a \"task\".", hint)
    unsupported = sorted(set(jobs) - {"chief", "worker"})
    if unsupported:
        raise ClusterError(f"TF_CONFIG has {', '.join(unsupported)} tasks; multi-worker training has only "
                           "a chief and workers.", hint)
    workers: list[str] = []
    for job in ("chief", "worker"):
        addresses = jobs.get(job, [])
        if not isinstance(addresses, list) or not all(isinstance(a, str) and ":" in a for a in addresses):
            raise ClusterError(f"TF_CONFIG's {job!r} list must hold host:port addresses.", hint)
        workers += addresses
    task_type, task_index = task.get("type"), task.get("index")
    count = len(jobs.get(task_type, [])) if task_type in ("chief", "worker") else 0
    if not isinstance(task_index, int) or isinstance(task_index, bool) or not 0 <= task_index < count:
        raise ClusterError(f"TF_CONFIG's task {task_type!r} #{task_index!r} is not in its cluster.", hint)
    offset = len(jobs.get("chief", [])) if task_type == "worker" else 0
    return Cluster(tuple(workers), offset + task_index)


def cluster_from_environment(environ: Mapping[str, str] | None = None) -> Cluster | None:
    """The cluster `TF_CONFIG` describes, or None without one (this machine alone)."""
    environ = os.environ if environ is None else environ
    return parse_tf_config(environ.get(TF_CONFIG, ""))


def cluster_for(strategy: str, environ: Mapping[str, str] | None = None) -> Cluster | None:
    """The cluster a training with `strategy` runs on: None unless it is "multiworker" with a TF_CONFIG."""
    return cluster_from_environment(environ) if strategy == "multiworker" else None


def is_chief(strategy: str = "multiworker", environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process writes the run's files (true too when there is no cluster)."""
    cluster = cluster_for(strategy, environ)
    return cluster is None or cluster.is_chief


def joining_message(strategy: str, environ: Mapping[str, str] | None = None) -> str | None:
    """What a worker says before it waits for the others (None without a cluster of several)."""
    cluster = cluster_for(strategy, environ)
    if cluster is None or len(cluster.workers) < 2:
        return None
    role = "the chief" if cluster.is_chief else "its own files go to a scratch directory, the chief writes the run's"
    others = ", ".join(cluster.name(i) for i in cluster.others)
    return f"Worker {cluster.index} of {len(cluster.workers)} ({role}); waiting for {others}…"


def _seconds_from(variable: str, default: float, environ: Mapping[str, str] | None) -> float:
    raw = (os.environ if environ is None else environ).get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise ConfigError("strategy", f"{variable} must be a number of seconds above 0, got {raw!r}.",
                          f"Unset it for the default ({default:.0f} s).")
    return value


def collective_timeout(environ: Mapping[str, str] | None = None) -> float:
    """Seconds a collective operation may wait for the other workers (FMNIST_COLLECTIVE_TIMEOUT)."""
    return _seconds_from(TIMEOUT_VARIABLE, COLLECTIVE_TIMEOUT_SECONDS, environ)


def join_timeout(environ: Mapping[str, str] | None = None) -> float:
    """Seconds a worker waits for all the others to start (FMNIST_CLUSTER_JOIN_TIMEOUT)."""
    return _seconds_from(JOIN_TIMEOUT_VARIABLE, JOIN_TIMEOUT_SECONDS, environ)


# ---- who writes -----------------------------------------------------------------------------


@dataclass
class WorkerOutputs:
    """Where this worker writes its runs and logs: the chosen directories for the chief (or
    without a cluster), a scratch directory of its own for any other worker."""

    out: Path
    logs: Path | None
    scratch: Path | None = None  # removed by `remove_scratch`

    def remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def outputs_of_this_worker(out: str | Path, logs: str | Path | None, strategy: str = "multiworker",
                           environ: Mapping[str, str] | None = None) -> WorkerOutputs:
    """Redirect a non-chief worker's runs and logs into a scratch directory (the shared
    runs and logs directories get the chief's files only)."""
    cluster = cluster_for(strategy, environ)
    if cluster is None or cluster.is_chief:
        return WorkerOutputs(Path(out), Path(logs) if logs is not None else None)
    scratch = Path(tempfile.mkdtemp(prefix=f"fmnist-tui-worker{cluster.index}-"))
    return WorkerOutputs(scratch / "runs", scratch / "logs", scratch)


# ---- joining, and losing a worker -----------------------------------------------------------


def wait_for_workers(cluster: Cluster, timeout: float, poll: float = 0.2) -> None:
    """Return once every other worker listens on its address, listening on this one's
    meanwhile; a `ClusterError` naming the missing workers after `timeout` seconds.

    TensorFlow's own wait for the cluster (inside `MultiWorkerMirroredStrategy()`) has no
    limit and holds the interpreter while it waits, so not even a signal is handled then;
    this wait comes first, and TensorFlow's is then short."""
    port = cluster.workers[cluster.index].rpartition(":")[2]
    own = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        own.bind(("", int(port)))  # every interface, as TensorFlow's server will
        own.listen(16)
    except (OSError, ValueError) as exc:
        own.close()
        raise ClusterError(f"This worker cannot listen on port {port} ({exc}).",
                           "Another program (or an earlier worker) holds it: stop it, or choose another port "
                           "in TF_CONFIG.") from None
    try:
        deadline = time.monotonic() + timeout
        waiting = list(cluster.others)
        while True:
            waiting = [i for i in waiting if not listening(cluster.workers[i], timeout=min(poll, 1.0))]
            if not waiting:
                return
            if time.monotonic() >= deadline:
                raise ClusterError(
                    f"The cluster did not come together within {timeout:g} s: "
                    f"{', '.join(cluster.name(i) for i in waiting)} {'is' if len(waiting) == 1 else 'are'} "
                    "not listening.",
                    "Start every worker with the same command and the same TF_CONFIG cluster (only task.index "
                    "differs), and let the port through the firewall; allow longer with "
                    f"{JOIN_TIMEOUT_VARIABLE}=SECONDS.")
            time.sleep(poll)
    finally:
        own.close()


def listening(address: str, timeout: float = 1.0) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


# TensorFlow's errors from a collective operation whose peers are gone or silent.
_COLLECTIVE_ERRORS = ("UnavailableError", "DeadlineExceededError", "AbortedError", "CancelledError",
                      "FailedPreconditionError", "InternalError")
_TASK = re.compile(r"/job:(chief|worker)/(?:replica:\d+/)?task:(\d+)")


def is_collective_failure(exc: BaseException) -> bool:
    name = type(exc).__name__
    if name in ("UnavailableError", "DeadlineExceededError"):
        return True
    text = str(exc).lower()
    return name in _COLLECTIVE_ERRORS and ("collective" in text or "coordination" in text)


def lost_worker_index(message: str, cluster: Cluster) -> int | None:
    """Which other worker an error from a collective operation is about, if it says."""
    chiefs = 0 if not any(t == "chief" for t, _ in _TASK.findall(message)) else 1
    for job, task in _TASK.findall(message):
        index = int(task) if job == "chief" else int(task) + chiefs
        if index != cluster.index and index < len(cluster.workers):
            return index
    for index in cluster.others:
        if f":{cluster.workers[index].rpartition(':')[2]}" in message:
            return index
    if "leader" in message.lower() and not cluster.is_chief:  # the chief leads the coordination service
        return 0
    return cluster.others[0] if len(cluster.others) == 1 else None


def lost_worker_error(exc: BaseException, cluster: Cluster, timeout: float | None = None) -> WorkerLost:
    message = str(exc)
    lost = lost_worker_index(message, cluster)
    who = cluster.name(lost) if lost is not None else "one of " + ", ".join(cluster.name(i) for i in cluster.others)
    timeout = collective_timeout() if timeout is None else timeout
    how = f" (no answer within {timeout:g} s)" if "timed out" in message.lower() else ""
    return WorkerLost(
        f"{who[0].upper()}{who[1:]} was lost or stopped responding{how}; the training cannot go on without it.",
        "See that worker's own output for its error. Start every worker again with the same command; "
        f"a worker that is only slow can be given longer with {TIMEOUT_VARIABLE}=SECONDS.",
    )


@contextmanager
def collective_failures(cluster: Cluster | None, token: CancelToken | None = None) -> Iterator[None]:
    """TensorFlow's errors from a collective operation told as the user's: the lost worker
    named, or, when this worker was being cancelled anyway, its cancel."""
    try:
        yield
    except Exception as exc:
        if cluster is None or not is_collective_failure(exc):
            raise
        if token is not None and token.cancelled:
            raise Cancelled() from None
        raise lost_worker_error(exc, cluster) from None


# ---- a cluster on this machine --------------------------------------------------------------

CLI_COMMAND = (sys.executable, "-m", "fmnist_tui.tui.cli")
STOP_GRACE_SECONDS = 20.0  # after SIGINT, a worker's own run ends within ~10 s (engine/worker.py)
TAIL_LINES = 15  # of a failed worker's stderr, in the launcher's report
POLL_SECONDS = 0.1


def free_ports(count: int, host: str = "localhost") -> list[int]:
    """`count` ports that are free now: each bound to port 0, then all released together."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def local_tf_config(addresses: Sequence[str], index: int) -> str:
    return json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}})


def worker_argv(argv: Sequence[str]) -> list[str]:
    """The command line without its `--workers N` (what each local worker runs)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            kept.append(arg)
    return kept


def threads_per_worker(workers: int, cpus: int | None = None) -> int:
    """The machine's cores shared between the local workers (at least one each)."""
    return max(1, (cpus or os.cpu_count() or 1) // max(1, workers))


@dataclass
class LocalWorker:
    index: int
    address: str
    process: subprocess.Popen
    stderr_path: Path | None  # None: the chief's stderr is the launcher's

    def name(self) -> str:
        return f"worker {self.index} ({self.address})" + (", the chief," if self.index == 0 else "")

    def last_lines(self, count: int = TAIL_LINES) -> list[str]:
        if self.stderr_path is None:
            return []
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as handle:
                return [line.rstrip("\n") for line in deque(handle, maxlen=count)]
        except OSError:
            return []


def _check_launch(argv: Sequence[str], workers: int, environ: Mapping[str, str]) -> None:
    if not 1 <= workers <= 64:
        raise ConfigError("workers", f"The number of local workers must be from 1 to 64, got {workers}.",
                          "Two workers share this machine's cores: --workers 2")
    if environ.get(TF_CONFIG, "").strip():
        raise ConfigError("workers", "--workers starts a cluster on this machine, but TF_CONFIG already "
                          "describes one.", "Unset TF_CONFIG, or drop --workers to run as the worker it names.")
    for flag in ("--detach", "--resume"):
        if any(arg == flag or arg.startswith(flag + "=") for arg in argv):
            raise ConfigError("workers", f"{flag} does not work with --workers: the launcher follows its "
                              "workers to their end.", f"Drop {flag}.")


def start_local_workers(argv: Sequence[str], workers: int, scratch: Path, command: Sequence[str] = CLI_COMMAND,
                        threads: int | None = None, stdout: IO | None = None,
                        stderr: IO | None = None) -> list[LocalWorker]:
    """Start `workers` processes of `command + argv`, each in a session of its own, with a
    generated TF_CONFIG on free local ports. Worker 0's output is the launcher's (or
    `stdout`/`stderr`); the others' stderr goes under `scratch` (their runs and logs go to
    scratch directories they make themselves, see `outputs_of_this_worker`)."""
    addresses = [f"localhost:{port}" for port in free_ports(workers)]
    threads = threads or threads_per_worker(workers)
    started: list[LocalWorker] = []
    for index, address in enumerate(addresses):
        env = dict(os.environ, TF_CONFIG=local_tf_config(addresses, index))
        env.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))  # TensorFlow's own thread pools
        env.setdefault("OMP_NUM_THREADS", str(threads))  # oneDNN's
        args = [*command, *argv, "--strategy", "multiworker"]
        stderr_path = None
        if index > 0:  # its runs and logs go to a scratch directory of its own (outputs_of_this_worker)
            args += ["--notify", "off"]
            stderr_path = scratch / f"worker-{index}.stderr.log"
        err_file = open(stderr_path, "wb") if stderr_path else None
        try:
            process = subprocess.Popen(
                args, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                stdout=stdout if index == 0 else subprocess.DEVNULL,
                stderr=stderr if index == 0 else err_file,
            )
        finally:
            if err_file is not None:
                err_file.close()
        started.append(LocalWorker(index, address, process, stderr_path))
    return started


class _StopRequests:
    """Ctrl-C and SIGTERM to the launcher, counted (the first stops the workers, the second kills them)."""

    def __init__(self) -> None:
        self.count = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_StopRequests":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._request)
        return self

    def _request(self, signum: int, frame: Any) -> None:
        self.count += 1

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def _signal_all(workers: Sequence[LocalWorker], signum: int) -> None:
    for worker in workers:
        if worker.process.poll() is None:
            try:
                os.killpg(worker.process.pid, signum)  # the worker and anything it started in its session
            except (ProcessLookupError, PermissionError):
                pass


def supervise(workers: Sequence[LocalWorker], grace: float = STOP_GRACE_SECONDS,
              report: IO | None = None) -> int:
    """Wait for the workers to end. On Ctrl-C, or when one fails (a non-zero exit while the
    others run), SIGINT to every worker and SIGKILL to those still there after `grace`
    seconds (at once on a second Ctrl-C). Returns the failed worker's exit status, else the chief's."""
    failed: LocalWorker | None = None
    stopping_since: float | None = None
    with _StopRequests() as requests:
        while any(worker.process.poll() is None for worker in workers):
            if failed is None and stopping_since is None:
                failed = next((w for w in workers if w.process.poll() not in (None, 0)), None)
            if stopping_since is None and (requests.count or failed is not None):
                stopping_since = time.monotonic()
                _signal_all(workers, signal.SIGINT)
            if stopping_since is not None and (requests.count > 1 or time.monotonic() - stopping_since > grace):
                _signal_all(workers, signal.SIGKILL)
            time.sleep(POLL_SECONDS)
    stopped_others = stopping_since is not None
    if failed is None and not stopped_others:  # the last to end may have failed
        failed = next((w for w in workers if w.process.returncode != 0), None)
    if failed is not None:
        _report_failure(failed, report or sys.stderr, stopped_others)
        return failed.process.returncode
    return workers[0].process.returncode


def _report_failure(worker: LocalWorker, report: IO, stopped_others: bool) -> None:
    stopped = "; the other workers were stopped" if stopped_others else ""
    lines = [f"fmnist-tui: {worker.name()} failed (exit status {worker.process.returncode}){stopped}."]
    tail = worker.last_lines()
    if tail:
        lines.append("Its last lines:")
        lines += [f"  {line}" for line in tail]
    report.write("\n".join(lines) + "\n")
    report.flush()


def launch_local_workers(argv: Sequence[str], workers: int, *, command: Sequence[str] = CLI_COMMAND,
                         threads: int | None = None, stdout: IO | None = None, stderr: IO | None = None,
                         report: IO | None = None, grace: float = STOP_GRACE_SECONDS) -> int:
    """`fmnist-tui run train … --workers N`: run `argv` (without `--workers`) as N local
    workers of one cluster and follow the chief, whose output is the launcher's (or goes to
    `stdout`/`stderr`); returns the exit status (the chief's, or the failed worker's, which
    is reported on `report`, by default stderr). The cores are shared between the workers
    (`threads` each)."""
    argv = worker_argv(argv)
    _check_launch(argv, workers, os.environ)
    scratch = Path(tempfile.mkdtemp(prefix="fmnist-tui-cluster-"))
    try:
        started = start_local_workers(argv, workers, scratch, command, threads, stdout, stderr)
        return supervise(started, grace, report)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
