"""The system panel: one line of what the machine is doing while a task screen's run goes on.

    CPU 43%  │  worker 81234: CPU 187% · RSS 1.21 GiB  │  no GPU

Machine CPU %, the run's worker process (its pid is in the run's `summary.json`, under
"worker") with its CPU % (per core, as `top`: two busy cores read 200%) and resident
memory, then each GPU's utilisation and memory, or "no GPU". Sampled here, in the UI
process, with psutil (see `engine/system_monitor.py`): a worker on another host (a shared
runs directory) or one that has gone is said to be so, not guessed at.

It refreshes once a second while its screen is the one shown, and reads the screen's
`running` and `run_dir` (a `TaskScreen`'s) to know the run. Sampling runs in a thread:
psutil takes ~0.2 ms, but `nvidia-smi`, where it is the GPU reader, takes tens of ms.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.widgets import Static

from fmnist_tui.engine.system_monitor import GpuReading, SystemReading, SystemSampler

REFRESH_SECONDS = 1.0
SEPARATOR = "  │  "


@dataclass(frozen=True)
class RunWorker:
    """Where a run's worker process is, as far as this host can tell."""

    state: str  # "none" (no run), "starting" (no pid recorded yet), "live", "gone" or "remote"
    pid: int | None = None
    host: str = ""
    process_start: int | None = None


NO_RUN = RunWorker("none")


def locate_worker(run_dir: Path | None, known: RunWorker | None = None) -> RunWorker:
    """The worker of the run in `run_dir`, from its summary (not re-read while `known` is live)."""
    from fmnist_tui.engine.launcher import read_summary
    from fmnist_tui.engine.liveness import host_name, pid_alive

    if run_dir is None:
        return NO_RUN
    if known is not None and known.state == "live" and pid_alive(known.pid, known.process_start):
        return known
    worker = (read_summary(run_dir) or {}).get("worker")
    pid = worker.get("pid") if isinstance(worker, dict) else None
    if not isinstance(pid, int) or isinstance(pid, bool):
        return RunWorker("starting")
    host = str(worker.get("host") or "")
    start = worker.get("process_start")
    start = start if isinstance(start, int) and not isinstance(start, bool) else None
    if host and host != host_name():
        return RunWorker("remote", pid, host)
    return RunWorker("live" if pid_alive(pid, start) else "gone", pid, host, start)


def format_bytes(count: int | None) -> str:
    """ "850 MiB", "1.21 GiB"; "—" when unknown."""
    if count is None:
        return "—"
    if count < 1 << 30:
        return f"{count / (1 << 20):.0f} MiB"
    return f"{count / (1 << 30):.2f} GiB"


def format_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _gpu_part(gpu: GpuReading) -> str:
    memory = f"{format_bytes(gpu.memory_used_bytes)}/{format_bytes(gpu.memory_total_bytes)}"
    return f"GPU{gpu.index} {format_percent(gpu.utilization_percent)} · {memory}"


def _worker_part(reading: SystemReading, worker: RunWorker) -> tuple[str, str]:
    """(text, style) of the run's worker."""
    if worker.state == "none":
        return "no run", "dim"
    if worker.state == "starting":
        return "worker starting…", "dim"
    if worker.state == "remote":
        return f"worker {worker.pid} runs on {worker.host}: not sampled here", "yellow"
    process = reading.process
    if worker.state == "gone" or process is None:
        return f"worker {worker.pid} has gone", "yellow"
    return f"worker {process.pid}: CPU {format_percent(process.cpu_percent)} · RSS {format_bytes(process.rss_bytes)}", ""


def system_line(reading: SystemReading, worker: RunWorker) -> Text:
    """The panel's line for one sample."""
    line = Text()
    line.append("CPU ", style="dim")
    line.append(format_percent(reading.cpu_percent), style="bold")
    line.append(SEPARATOR, style="dim")
    line.append(*_worker_part(reading, worker))
    line.append(SEPARATOR, style="dim")
    if reading.gpus:
        line.append("  ".join(_gpu_part(gpu) for gpu in reading.gpus))
    elif reading.gpu_error:
        line.append(f"GPU: {reading.gpu_error}", style="yellow")
    else:
        line.append("no GPU", style="dim")
    return line


class SystemPanel(Static):
    """Machine, run worker and GPU figures, refreshed each second while its screen is shown."""

    def __init__(self, sampler: SystemSampler | None = None, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._sampler = sampler
        self._worker: RunWorker = NO_RUN
        self._worker_run_dir: Path | None = None  # the run `_worker` belongs to
        self._shown_rows = -1  # how many rows the line shown last wrapped onto

    def on_mount(self) -> None:
        if self._sampler is None:
            self._sampler = SystemSampler()  # CPU % is measured from here to the first sample
        self.update(Text("Machine figures appear in a second…", style="dim"))
        self.set_interval(REFRESH_SECONDS, self.refresh_figures)

    def _run_dir(self) -> Path | None:
        screen = self.screen
        return getattr(screen, "run_dir", None) if getattr(screen, "running", False) else None

    async def refresh_figures(self) -> None:
        """Sample and show (a timer's callback: never raises, or the app would stop)."""
        if not self.is_attached or not self.screen.is_current:
            return
        try:
            line = await asyncio.to_thread(self.sample_line, self._run_dir())
        except Exception as exc:  # psutil refused, /proc unreadable…: say so, keep going
            line = Text(f"System figures unavailable ({type(exc).__name__}: {exc})", style="yellow")
        if self.is_attached:
            # a layout pass of the whole screen each second cost a training beside it more than
            # the panel itself: only when the line wraps onto more or fewer rows than before
            lines = self._rows(line)
            self.update(line, layout=lines != self._shown_rows)
            self._shown_rows = lines

    def _rows(self, line: Text) -> int:
        width = self.content_region.width
        return len(line.wrap(self.app.console, width)) if width > 0 else 0

    def sample_line(self, run_dir: Path | None) -> Text:
        """One sample's line (in a thread: reads the run's summary, may run nvidia-smi)."""
        assert self._sampler is not None  # made at mount
        known = self._worker if run_dir == self._worker_run_dir else None
        self._worker, self._worker_run_dir = locate_worker(run_dir, known), run_dir
        pid = self._worker.pid if self._worker.state == "live" else None
        return system_line(self._sampler.sample(pid), self._worker)
