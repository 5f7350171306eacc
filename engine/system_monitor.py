"""What the machine is doing: CPU %, a process's CPU % and memory, and each GPU's load.

`SystemSampler.sample(pid)` reads the machine's CPU %, the process's CPU % and resident
memory (by pid, through psutil), and every GPU's utilisation and memory. CPU figures are
over the interval since the previous sample (the sampler keeps the CPU times it last
read), as `top` shows them: a process's CPU % is per core, so 2 busy cores read 200 %.

GPUs are read through NVML (`pynvml`, from the `nvidia-ml-py` package) when it imports
and finds a driver, else `nvidia-smi` when it is on PATH, else not at all: `gpu_reader()`
decides once per process and caches the answer, so a machine without a GPU costs nothing
per sample. A reader is any callable returning `GpuReading`s, so tests pass their own.

`ResourceRecorder` samples one process in a daemon thread and sums it up (peak memory,
mean CPU %, peak GPU memory): the worker records it per model. No TensorFlow, no Textual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

import psutil

NVIDIA_SMI_QUERY = ("--query-gpu=index,name,utilization.gpu,memory.used,memory.total",
                    "--format=csv,noheader,nounits")
NVIDIA_SMI_TIMEOUT = 2.0  # seconds; a wedged driver must not hold a sample for long
MIB = 1 << 20


class GpuReadError(Exception):
    """A GPU reader that exists could not read this time (driver busy, timed out…)."""


@dataclass(frozen=True)
class GpuReading:
    index: int
    name: str
    utilization_percent: float | None  # None: the driver does not report it
    memory_used_bytes: int | None
    memory_total_bytes: int | None


@dataclass(frozen=True)
class ProcessReading:
    pid: int
    cpu_percent: float | None  # None on the first sample of a process (no interval yet)
    rss_bytes: int


@dataclass(frozen=True)
class SystemReading:
    cpu_percent: float | None  # the whole machine, 0–100; None on the first sample
    process: ProcessReading | None  # None when no pid was asked for, or it has gone
    gpus: tuple[GpuReading, ...]
    gpu_source: str  # "nvml", "nvidia-smi" or "" (no GPU)
    gpu_error: str = ""  # why the GPUs could not be read this time

    @property
    def gpu_memory_used_bytes(self) -> int | None:
        """Memory in use on every GPU together (every process's), or None without a GPU figure."""
        used = [gpu.memory_used_bytes for gpu in self.gpus if gpu.memory_used_bytes is not None]
        return sum(used) if used else None


GpuReader = Callable[[], tuple[GpuReading, ...]]


# ---- GPU readers -------------------------------------------------------------------------


def _number_or_none(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None


def parse_nvidia_smi_csv(text: str) -> tuple[GpuReading, ...]:
    """The GPUs in `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total
    --format=csv,noheader,nounits` output (memory in MiB); lines that do not parse are skipped."""
    readings = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) < 5 or not fields[0].isdigit():
            continue
        # The name is everything between the index and the three figures (it may hold a comma).
        utilization, used, total = (_number_or_none(field) for field in fields[-3:])
        readings.append(GpuReading(
            index=int(fields[0]), name=", ".join(fields[1:-3]), utilization_percent=utilization,
            memory_used_bytes=None if used is None else int(used * MIB),
            memory_total_bytes=None if total is None else int(total * MIB),
        ))
    return tuple(readings)


class NvidiaSmiReader:
    """Reads the GPUs by running `nvidia-smi` (a process per read: ~20–50 ms)."""

    source = "nvidia-smi"

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def __call__(self) -> tuple[GpuReading, ...]:
        try:
            done = subprocess.run([self.executable, *NVIDIA_SMI_QUERY], capture_output=True, text=True,
                                  timeout=NVIDIA_SMI_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise GpuReadError(f"nvidia-smi did not answer within {NVIDIA_SMI_TIMEOUT:g} s") from None
        except OSError as exc:
            raise GpuReadError(f"nvidia-smi did not run ({exc.strerror or exc})") from None
        if done.returncode != 0:
            first = (done.stderr or done.stdout).strip().splitlines()
            raise GpuReadError(f"nvidia-smi failed: {first[0] if first else f'exit status {done.returncode}'}")
        return parse_nvidia_smi_csv(done.stdout)


class NvmlReader:
    """Reads the GPUs through NVML in this process (microseconds per read)."""

    source = "nvml"

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        nvml.nvmlInit()  # raises NVMLError without a driver
        self.handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]

    def __call__(self) -> tuple[GpuReading, ...]:
        try:
            return tuple(self._read(index, handle) for index, handle in enumerate(self.handles))
        except self.nvml.NVMLError as exc:
            raise GpuReadError(f"NVML: {exc}") from None

    def _read(self, index: int, handle: Any) -> GpuReading:
        name = self.nvml.nvmlDeviceGetName(handle)
        memory = self.nvml.nvmlDeviceGetMemoryInfo(handle)
        try:
            utilization: float | None = float(self.nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        except self.nvml.NVMLError:  # some GPUs (MIG slices) do not report it
            utilization = None
        return GpuReading(index, name.decode() if isinstance(name, bytes) else str(name), utilization,
                          int(memory.used), int(memory.total))


class NoGpus:
    """The reader of a machine without a GPU (or without a way to read one)."""

    source = ""

    def __call__(self) -> tuple[GpuReading, ...]:
        return ()


NO_GPUS = NoGpus()


def _import_pynvml() -> Any:
    import pynvml

    return pynvml


def find_gpu_reader(which: Callable[[str], str | None] = shutil.which,
                    load_nvml: Callable[[], Any] = _import_pynvml) -> GpuReader:
    """NVML if it imports and finds a driver, else nvidia-smi if it is on PATH, else `NO_GPUS`."""
    try:
        return NvmlReader(load_nvml())
    except Exception:  # not installed, no driver, no GPU: try the next way
        pass
    executable = which("nvidia-smi")
    if executable is not None:
        reader = NvidiaSmiReader(executable)
        try:
            if reader():
                return reader
        except GpuReadError:
            pass  # nvidia-smi without a working driver: no GPU to show
    return NO_GPUS


@lru_cache(maxsize=1)
def gpu_reader() -> GpuReader:
    """This process's GPU reader, found once (finding it may run nvidia-smi)."""
    return find_gpu_reader()


# ---- CPU and memory ----------------------------------------------------------------------


def _busy_and_total(times: Any) -> tuple[float, float]:
    """(busy, total) seconds of all CPUs, as psutil's own cpu_percent counts them."""
    values = times._asdict()
    # guest time is already counted in user time; idle and iowait are time not computing
    total = sum(values.values()) - values.get("guest", 0.0) - values.get("guest_nice", 0.0)
    idle = values.get("idle", 0.0) + values.get("iowait", 0.0)
    return total - idle, total


class ProcessTracker:
    """One process's CPU % over the interval between reads, and its resident memory."""

    def __init__(self, pid: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.pid = pid
        self._process = psutil.Process(pid)  # NoSuchProcess if it has gone already
        self._clock = clock
        self._last: tuple[float, float] | None = None  # (clock, CPU seconds)

    def read(self) -> ProcessReading:
        """Raises psutil.NoSuchProcess once the process has gone."""
        with self._process.oneshot():
            times = self._process.cpu_times()
            rss = self._process.memory_info().rss
        now, cpu = self._clock(), times.user + times.system
        percent = None
        if self._last is not None and now > self._last[0]:
            percent = max(0.0, (cpu - self._last[1]) / (now - self._last[0]) * 100.0)
        self._last = (now, cpu)
        return ProcessReading(self.pid, percent, int(rss))


class SystemSampler:
    """Samples the machine, one process and the GPUs; each call measures CPU since the last."""

    def __init__(self, gpus: GpuReader | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._gpus = gpus
        self._clock = clock
        self._cpu_last = _busy_and_total(psutil.cpu_times())
        self._tracker: ProcessTracker | None = None

    @property
    def gpus(self) -> GpuReader:
        if self._gpus is None:
            self._gpus = gpu_reader()
        return self._gpus

    def sample(self, pid: int | None = None) -> SystemReading:
        busy, total = _busy_and_total(psutil.cpu_times())
        last_busy, last_total = self._cpu_last
        self._cpu_last = (busy, total)
        cpu = None
        if total > last_total:
            cpu = min(100.0, max(0.0, (busy - last_busy) / (total - last_total) * 100.0))
        gpus, error = self._read_gpus()
        return SystemReading(cpu, self._read_process(pid), gpus, getattr(self.gpus, "source", ""), error)

    def _read_process(self, pid: int | None) -> ProcessReading | None:
        if pid is None:
            return None
        try:
            if self._tracker is None or self._tracker.pid != pid:
                self._tracker = ProcessTracker(pid, self._clock)
            return self._tracker.read()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            self._tracker = None
            return None

    def _read_gpus(self) -> tuple[tuple[GpuReading, ...], str]:
        try:
            return self.gpus(), ""
        except GpuReadError as exc:
            return (), str(exc)


# ---- one process over time (the worker, per model) ---------------------------------------

RECORD_INTERVAL = 0.5  # seconds between a recorder's samples (~0.1 ms of CPU each without a GPU)


class ResourceRecorder:
    """Samples a process every `interval` in a daemon thread: peak RSS, mean CPU %, peak GPU memory.

    `summary()` may be called at any time (from another thread too); `stop()` ends the
    thread and returns the final one. `previous` (an earlier summary of the same work, as a
    resumed training has) is folded in, so peaks and the mean cover every attempt.
    """

    def __init__(self, pid: int | None = None, interval: float = RECORD_INTERVAL,
                 sampler: SystemSampler | None = None, previous: Mapping[str, Any] | None = None) -> None:
        self.pid = os.getpid() if pid is None else pid
        self.interval = interval
        self._sampler = sampler or SystemSampler()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous = dict(previous) if isinstance(previous, Mapping) else {}
        self._samples = 0  # samples with a process reading
        self._cpu_sum = 0.0
        self._cpu_count = 0  # samples with a CPU % (all but the first)
        self._peak_rss: int | None = None
        self._peak_gpu: int | None = None

    def start(self) -> "ResourceRecorder":
        self._record_one()  # the first reading starts the CPU interval
        self._thread = threading.Thread(target=self._loop, name="fmnist-resources", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._record_one()

    def _record_one(self) -> None:
        reading = self._sampler.sample(self.pid)
        with self._lock:
            if reading.process is not None:
                self._samples += 1
                self._peak_rss = max(self._peak_rss or 0, reading.process.rss_bytes)
                if reading.process.cpu_percent is not None:
                    self._cpu_sum += reading.process.cpu_percent
                    self._cpu_count += 1
            used = reading.gpu_memory_used_bytes
            if used is not None:
                self._peak_gpu = max(self._peak_gpu or 0, used)

    def stop(self) -> dict[str, Any]:
        """Stop sampling (after one last sample) and return the summary."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._record_one()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """{"peak_rss_bytes", "mean_cpu_percent", "peak_gpu_memory_bytes", "samples"}; a figure
        never measured is None (peak GPU memory without a GPU)."""
        with self._lock:
            now = {"peak_rss_bytes": self._peak_rss, "peak_gpu_memory_bytes": self._peak_gpu,
                   "samples": self._samples, "cpu_sum": self._cpu_sum, "cpu_count": self._cpu_count}
        return merge_resources(self._previous, now)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _peak(*values: Any) -> int | None:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return int(max(numbers)) if numbers else None


def merge_resources(previous: Mapping[str, Any], now: Mapping[str, Any]) -> dict[str, Any]:
    """An earlier attempt's summary folded with this one's running sums: peaks of both, the
    mean CPU % weighted by samples."""
    before = _count(previous.get("samples"))
    mean_before = previous.get("mean_cpu_percent")
    cpu_sum, cpu_count = now["cpu_sum"], now["cpu_count"]
    if before and isinstance(mean_before, (int, float)) and not isinstance(mean_before, bool):
        cpu_sum, cpu_count = cpu_sum + mean_before * before, cpu_count + before
    return {
        "peak_rss_bytes": _peak(previous.get("peak_rss_bytes"), now["peak_rss_bytes"]),
        "mean_cpu_percent": round(cpu_sum / cpu_count, 1) if cpu_count else None,
        "peak_gpu_memory_bytes": _peak(previous.get("peak_gpu_memory_bytes"), now["peak_gpu_memory_bytes"]),
        "samples": before + now["samples"],
    }
