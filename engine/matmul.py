"""Timing matrix products on one device: memory checks, the backends and the timing loop.

All device work goes through a small `MatmulBackend` interface: the real ones are
`TensorFlowBackend` (any TensorFlow device, inputs created on it) and `NumpyBackend`
(NumPy's BLAS on the host); tests use backends that pretend, e.g. to be an asynchronous
GPU. `time_products` stops the clock only after each product is finished, so a backend
that returns before the work is done cannot fake a result.

TensorFlow is imported lazily (inside functions), never when this module is imported.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from .errors import DeviceError
from .peaks import CpuInfo, read_cpuinfo

BYTES_PER_ELEMENT = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2}
#: Size of the product that checks a dtype works on a device.
TRIAL_SIZE = 32
NUMPY_DEVICE = "NumPy (CPU)"
REJECTED_REASON = "not synchronized — result rejected"


# --------------------------------------------------------------------------- memory

def _meminfo_kib(key: str, text: str | None = None) -> int | None:
    if text is None:
        try:
            text = Path("/proc/meminfo").read_text()
        except OSError:
            return None
    match = re.search(rf"^{key}:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def host_memory_available(meminfo_text: str | None = None) -> int | None:
    """Bytes of host memory available to a new allocation, or None if it cannot be told.

    /proc/meminfo's MemAvailable; psutil if installed; else the free pages from sysconf.
    """
    value = _meminfo_kib("MemAvailable", meminfo_text)
    if value is not None or meminfo_text is not None:
        return value
    try:
        import psutil  # type: ignore[import-not-found]  # optional, not a dependency

        return int(psutil.virtual_memory().available)
    except Exception:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def host_memory_total(meminfo_text: str | None = None) -> int | None:
    value = _meminfo_kib("MemTotal", meminfo_text)
    if value is not None or meminfo_text is not None:
        return value
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def matrices_bytes(n: int, dtype: str) -> int:
    """Memory for the two inputs and the result of an n×n product."""
    return 3 * n * n * BYTES_PER_ELEMENT[dtype]


def human_bytes(value: float | None) -> str:
    if value is None:
        return "unknown"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000.0
    return f"{value:.1f} TB"  # pragma: no cover


def parse_nvidia_smi_gpus(text: str) -> list[dict[str, Any]]:
    """Rows of `nvidia-smi --query-gpu=index,uuid,memory.total,memory.free --format=csv,noheader,nounits`."""
    gpus = []
    for line in text.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 4:
            continue
        try:
            gpus.append({"index": int(parts[0]), "uuid": parts[1],
                         "total": int(float(parts[2])) * 1024 * 1024, "free": int(float(parts[3])) * 1024 * 1024})
        except ValueError:
            continue
    return gpus


def parse_nvidia_smi_apps(text: str) -> list[dict[str, Any]]:
    """Rows of `nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory --format=csv,noheader,nounits`."""
    apps = []
    for line in text.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            continue
        try:
            apps.append({"pid": int(parts[0]), "uuid": parts[1], "used": int(float(parts[2])) * 1024 * 1024})
        except ValueError:
            continue
    return apps


def gpu_memory_for_process(
    gpus: list[dict[str, Any]], apps: list[dict[str, Any]], physical_index: int, pid: int, tf_in_use: int
) -> tuple[int | None, int | None]:
    """(free, total) bytes that this process's TensorFlow could still use on one GPU.

    TensorFlow reserves most of a GPU's memory up front, so nvidia-smi's "free" is nearly 0:
    what TensorFlow can still hand out is the free memory plus what this process already
    holds, minus what its tensors use.
    """
    gpu = next((g for g in gpus if g["index"] == physical_index), None)
    if gpu is None:
        return None, None
    ours = sum(a["used"] for a in apps if a["pid"] == pid and a["uuid"] == gpu["uuid"])
    free = max(0, gpu["free"] + ours - tf_in_use)
    return min(free, gpu["total"]), gpu["total"]


def _physical_gpu_index(logical_index: int) -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        parts = [p.strip() for p in visible.split(",") if p.strip()]
        if logical_index < len(parts) and parts[logical_index].isdigit():
            return int(parts[logical_index])
    return logical_index


def _run_nvidia_smi(args: list[str]) -> str | None:
    try:
        done = subprocess.run(["nvidia-smi", *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


# --------------------------------------------------------------------------- backends

@dataclass(frozen=True)
class DeviceInfo:
    """One device a backend can multiply on."""

    id: str  # "CPU:0", "GPU:1", "NumPy (CPU)"
    kind: str  # "cpu", "gpu" or "numpy"
    name: str = ""  # "NVIDIA A100-SXM4-40GB", the CPU model…
    backend: str = ""  # "TensorFlow", "NumPy"
    memory_free: int | None = None  # bytes, None when unknown
    memory_total: int | None = None
    compute_capability: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.compute_capability is not None:
            data["compute_capability"] = ".".join(str(x) for x in self.compute_capability)
        return data


class MatmulBackend(Protocol):
    """What the timing loop needs from a library; `finish` must block until `result` exists."""

    label: str

    def devices(self) -> list[DeviceInfo]: ...

    def unsupported(self, device: DeviceInfo, dtype: str) -> str | None:
        """None if `dtype` products work on `device` (by a tiny trial), else why not."""

    def make_inputs(self, device: DeviceInfo, n: int, dtype: str) -> tuple[Any, Any]:
        """Two n×n random matrices resident on `device`, fully created when this returns."""

    def matmul(self, device: DeviceInfo, a: Any, b: Any) -> Any: ...

    def finish(self, result: Any) -> float:
        """Wait until `result` is computed (fetch a value that depends on all of it)."""

    def placement(self, tensor: Any) -> str | None: ...

    def tf32_enabled(self) -> bool | None: ...

    def set_tf32(self, enabled: bool) -> None: ...


class TensorFlowBackend:
    """Products with `tf.matmul` on TensorFlow's CPU:0 and every visible GPU."""

    label = "TensorFlow"

    def __init__(self, cpuinfo: CpuInfo | None = None) -> None:
        self._cpuinfo = cpuinfo

    @property
    def tf(self):
        from ._tf import tensorflow

        return tensorflow()

    def devices(self) -> list[DeviceInfo]:
        tf = self.tf
        cpu_name = (self._cpuinfo or read_cpuinfo()).model or "CPU"
        found = [DeviceInfo("CPU:0", "cpu", cpu_name, self.label, host_memory_available(), host_memory_total())]
        physical = tf.config.list_physical_devices("GPU")
        logical = tf.config.list_logical_devices("GPU")
        smi_gpus = smi_apps = None
        if logical:
            text = _run_nvidia_smi(["--query-gpu=index,uuid,memory.total,memory.free", "--format=csv,noheader,nounits"])
            smi_gpus = parse_nvidia_smi_gpus(text) if text else None
            text = _run_nvidia_smi(["--query-compute-apps=pid,gpu_uuid,used_memory", "--format=csv,noheader,nounits"])
            smi_apps = parse_nvidia_smi_apps(text) if text else []
        for i, dev in enumerate(logical):
            dev_id = dev.name.split("device:")[-1]
            details: dict[str, Any] = {}
            if physical:
                try:
                    details = dict(tf.config.experimental.get_device_details(physical[min(i, len(physical) - 1)]))
                except Exception:
                    details = {}
            free = total = None
            if smi_gpus:
                try:
                    in_use = int(tf.config.experimental.get_memory_info(dev_id).get("current", 0))
                except Exception:
                    in_use = 0
                free, total = gpu_memory_for_process(smi_gpus, smi_apps or [], _physical_gpu_index(i), os.getpid(), in_use)
            cc = details.get("compute_capability")
            found.append(DeviceInfo(
                dev_id, "gpu", str(details.get("device_name") or dev_id), self.label, free, total,
                tuple(cc) if cc else None,
            ))
        return found

    def unsupported(self, device: DeviceInfo, dtype: str) -> str | None:
        try:
            a, b = self.make_inputs(device, TRIAL_SIZE, dtype)
            self.finish(self.matmul(device, a, b))
        except DeviceError:
            raise
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            return f"TensorFlow cannot multiply {dtype} matrices on {device.id}: {first[:200]}"
        return None

    def _oom(self, device: DeviceInfo, n: int, dtype: str) -> DeviceError:
        return DeviceError(
            f"{device.id} ran out of memory for {n}×{n} {dtype} matrices "
            f"({human_bytes(matrices_bytes(n, dtype))} for the inputs and result).",
            "Choose smaller sizes, or close other programs using the device.",
        )

    def make_inputs(self, device: DeviceInfo, n: int, dtype: str) -> tuple[Any, Any]:
        tf = self.tf
        tf_dtype = getattr(tf, dtype)
        try:
            with tf.device(device.id):
                try:
                    a = tf.random.uniform((n, n), dtype=tf_dtype)
                    b = tf.random.uniform((n, n), dtype=tf_dtype)
                except (TypeError, ValueError, tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
                    a = tf.cast(tf.random.uniform((n, n)), tf_dtype)
                    b = tf.cast(tf.random.uniform((n, n)), tf_dtype)
            self.finish(a)
            self.finish(b)
        except tf.errors.ResourceExhaustedError:
            raise self._oom(device, n, dtype) from None
        return a, b

    def matmul(self, device: DeviceInfo, a: Any, b: Any) -> Any:
        tf = self.tf
        try:
            with tf.device(device.id):
                return tf.matmul(a, b)
        except tf.errors.ResourceExhaustedError:
            raise self._oom(device, int(a.shape[0]), a.dtype.name) from None

    def finish(self, result: Any) -> float:
        # The sum depends on every element, so it cannot be fetched before the product is
        # done, on any device; it runs where the result lives (no copy between devices).
        tf = self.tf
        try:
            with tf.device(result.device):
                return float(tf.reduce_sum(result).numpy())
        except tf.errors.ResourceExhaustedError:
            raise DeviceError("The device ran out of memory during a product.", "Choose smaller sizes.") from None

    def placement(self, tensor: Any) -> str | None:
        name = getattr(tensor, "device", "") or ""
        return name.split("device:")[-1] if name else None

    def tf32_enabled(self) -> bool | None:
        return bool(self.tf.config.experimental.tensor_float_32_execution_enabled())

    def set_tf32(self, enabled: bool) -> None:
        self.tf.config.experimental.enable_tensor_float_32_execution(bool(enabled))


SETTLE_SECONDS = 0.1  # pause between two backends' timings (see `_run`)


class NumpyBackend:
    """The reference: `numpy.matmul` on the host (NumPy's BLAS, synchronous)."""

    label = "NumPy"

    def __init__(self, cpuinfo: CpuInfo | None = None) -> None:
        self._cpuinfo = cpuinfo

    def devices(self) -> list[DeviceInfo]:
        cpu_name = (self._cpuinfo or read_cpuinfo()).model or "CPU"
        return [DeviceInfo(NUMPY_DEVICE, "numpy", cpu_name, self.label, host_memory_available(), host_memory_total())]

    def unsupported(self, device: DeviceInfo, dtype: str) -> str | None:
        if dtype not in ("float32", "float64"):
            return f"NumPy has no BLAS kernel for {dtype} (it would time a slow fallback loop): reference row skipped"
        return None

    def make_inputs(self, device: DeviceInfo, n: int, dtype: str) -> tuple[Any, Any]:
        import numpy as np

        rng = np.random.default_rng(0)
        try:
            return rng.random((n, n), dtype=dtype), rng.random((n, n), dtype=dtype)
        except MemoryError:
            raise DeviceError(f"Not enough host memory for {n}×{n} {dtype} matrices.", "Choose smaller sizes.") from None

    def matmul(self, device: DeviceInfo, a: Any, b: Any) -> Any:
        import numpy as np

        return np.matmul(a, b)

    def finish(self, result: Any) -> float:
        return float(result.sum())  # NumPy is synchronous; summed as TensorFlow's result is

    def placement(self, tensor: Any) -> str | None:
        return None

    def tf32_enabled(self) -> bool | None:
        return None

    def set_tf32(self, enabled: bool) -> None:
        pass


# --------------------------------------------------------------------------- timing

def time_products(
    backend: MatmulBackend,
    device: DeviceInfo,
    a: Any,
    b: Any,
    rounds: int,
    warmup: int,
    before: Callable[[str, int], None] | None = None,
    after: Callable[[str, int, float | None], None] | None = None,
) -> list[float]:
    """Seconds per timed product; each product is finished before the clock stops.

    `before(phase, i)` runs before every product (warm-up or timed; check cancellation
    there), `after(phase, i, seconds)` after it; `phase` is "warmup" or "round".
    """
    for i in range(warmup):
        if before:
            before("warmup", i)
        backend.finish(backend.matmul(device, a, b))
        if after:
            after("warmup", i, None)
    times: list[float] = []
    for i in range(rounds):
        if before:
            before("round", i)
        start = time.perf_counter()
        result = backend.matmul(device, a, b)
        backend.finish(result)
        elapsed = time.perf_counter() - start
        del result
        times.append(elapsed)
        if after:
            after("round", i, elapsed)
    return times


def flops(n: int) -> float:
    """Floating-point operations of an n×n by n×n product (n³ multiply-adds)."""
    return 2.0 * float(n) ** 3


def timing_stats(times: Sequence[float], n: int) -> dict[str, float]:
    """Median, mean, min, max, stdev (ms) and GFLOP/s at the median of `times` (seconds)."""
    if not times:
        raise ValueError("no times")
    median = statistics.median(times)
    return {
        "median_ms": median * 1e3,
        "mean_ms": statistics.fmean(times) * 1e3,
        "min_ms": min(times) * 1e3,
        "max_ms": max(times) * 1e3,
        "stdev_ms": (statistics.stdev(times) if len(times) > 1 else 0.0) * 1e3,
        "gflops": flops(n) / median / 1e9 if median > 0 else math.inf,
    }


def plausibility(n: int, times: Sequence[float], peak_gflops: float) -> str | None:
    """None if the fastest round is within the device's peak, else why the row is rejected."""
    best = min(times)
    implied = flops(n) / best / 1e9 if best > 0 else math.inf
    if implied <= peak_gflops:
        return None
    return (
        f"{REJECTED_REASON}: the fastest round implies {implied:,.0f} GFLOP/s, above this device's "
        f"plausible peak of {peak_gflops:,.0f} GFLOP/s, so the clock cannot have waited for the product"
    )


def make_row(
    n: int, device: DeviceInfo, dtype: str, times: Sequence[float], peak_gflops: float,
    tf32: bool | None = None, warmup: int = 0, placed_on: str | None = None,
) -> dict[str, Any]:
    """A summary row; a rejected row carries no timings or GFLOP/s that could pass for results."""
    stats = timing_stats(times, n)
    reason = plausibility(n, times, peak_gflops)
    label = f"{dtype} (TF32)" if tf32 else dtype
    row: dict[str, Any] = {
        "size": n, "device": device.id, "kind": device.kind, "backend": device.backend,
        "dtype": label, "tf32": tf32, "rounds": len(times), "warmup": warmup,
        "peak_gflops": round(peak_gflops, 1), "placed_on": placed_on,
        "rejected": reason is not None, "reason": reason, "speedup_vs_cpu": None,
    }
    if reason is None:
        row.update({k: round(v, 4) for k, v in stats.items()})
        row["times_ms"] = [round(t * 1e3, 4) for t in times]
    else:
        row.update({"median_ms": None, "mean_ms": None, "min_ms": None, "max_ms": None,
                    "stdev_ms": None, "gflops": None})
        row["unsynchronized"] = {"median_ms": stats["median_ms"], "min_ms": stats["min_ms"]}
    return row


def speedups(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Speed of each GPU relative to TensorFlow's CPU:0 per size (accepted rows only)."""
    rows = list(rows)
    cpu = {r["size"]: r for r in rows if r.get("device") == "CPU:0" and not r.get("rejected")}
    out = []
    for r in rows:
        if r.get("kind") != "gpu" or r.get("rejected") or r["size"] not in cpu:
            continue
        base = cpu[r["size"]]
        if base.get("median_ms") and r.get("median_ms"):
            out.append({"size": r["size"], "device": r["device"], "vs": "CPU:0",
                        "speedup": round(base["median_ms"] / r["median_ms"], 3)})
    return out
