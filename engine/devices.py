"""The devices task: trustworthy matrix-multiplication timings on the CPU, each GPU and NumPy.

This module holds the task's configuration, events, run and summary; the measuring itself
(backends, memory, the synchronized timing loop) is in `matmul.py`. For every size and
device the inputs are created *on that device* before the clock starts, a few warm-up
products are run and discarded, and each timed product is *finished* (a value that
depends on the whole result is fetched to the host) before the clock stops. A row whose
best time implies more FLOP/s than the device can plausibly do is rejected, not reported.

TensorFlow is imported lazily (inside functions), never when this module is imported.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Mapping

from fmnist_tui.render.devices import (
    METHOD_TITLE, NO_GPU_RESULT, device_detail, device_title, method_note, results_table, summary_dtype,
    summary_method, summary_result_rows, tensorflow_build_line,
)

from .errors import ConfigError, DeviceError
from .setting_specs import SettingsConfig, settings_config
from .validators import as_whole_number, split_list, yes_or_no
from .events import Event, Log, Progress, Throttle
from .matmul import (
    BYTES_PER_ELEMENT, SETTLE_SECONDS, DeviceInfo, MatmulBackend, NumpyBackend,
    TensorFlowBackend, flops, host_memory_available, human_bytes, make_row, matrices_bytes, speedups,
    time_products,
)
from .peaks import CpuInfo, cpu_peak_gflops, gpu_peak_gflops, read_cpuinfo
from .runner import RunContext, Task

DTYPES: tuple[str, ...] = ("float32", "float64", "float16", "bfloat16")
_DTYPE_ALIASES = {
    "fp32": "float32", "f32": "float32", "float": "float32", "single": "float32",
    "fp64": "float64", "f64": "float64", "double": "float64",
    "fp16": "float16", "f16": "float16", "half": "float16",
    "bf16": "bfloat16",
}
MAX_SIZE = 65536
#: Share of a device's free memory the three matrices may take.
MEMORY_MARGIN = 0.9
#: Largest size used to calibrate the time estimate.
CALIBRATION_SIZE = 512


# --------------------------------------------------------------------------- config
# The settings (defaults, bounds, labels, flags) are declared in setting_specs.py; the
# parsers only this task knows come first: making DevicesConfig parses the defaults with them.

def parse_sizes(value: Any) -> tuple[int, ...]:
    """"500,1000 5000" or [500, 1000] → (500, 1000, 5000); duplicates dropped, order kept."""
    items = split_list(value)
    if not items:
        raise ConfigError("sizes", "Give at least one matrix size.", "For example 500,1000,5000.")
    sizes: list[int] = []
    for item in items:
        n = as_whole_number(item)
        if n is None:
            raise ConfigError("sizes", f"Matrix size {str(item)!r} must be a whole number.", "Use digits only, like 1000.")
        if n < 1:
            raise ConfigError("sizes", f"Matrix size {n} is not positive.", "Sizes are the side n of n×n matrices, like 1000.")
        if n > MAX_SIZE:
            raise ConfigError(
                "sizes",
                f"Matrix size {n} is absurdly large: three {n}×{n} float32 matrices need "
                f"{human_bytes(matrices_bytes(n, 'float32'))}.",
                f"Use sizes up to {MAX_SIZE}; 10000 already takes a while on a CPU.",
            )
        if n not in sizes:
            sizes.append(n)
    return tuple(sizes)


def parse_dtype(value: Any) -> str:
    text = str(value if value is not None else "float32").strip().lower()
    text = _DTYPE_ALIASES.get(text, text)
    if text.startswith("tf."):
        text = text[3:]
    if text not in DTYPES:
        raise ConfigError("dtype", f"Unknown dtype {str(value)!r}.", f"Choose one of {', '.join(DTYPES)}.")
    return text


def parse_devices(value: Any) -> tuple[str, ...]:
    """"cpu,gpu" → ("cpu", "gpu"); also "gpu:1" for one GPU. Unknown names are errors."""
    items = [str(item) for item in split_list(value)]
    if not items:
        raise ConfigError("devices", "Give at least one device.", "Use cpu, gpu, or cpu,gpu.")
    out: list[str] = []
    for item in items:
        name = item.strip().lower()
        if name.startswith("/device:"):
            name = name[len("/device:"):]
        if name in ("cpu:0",):
            name = "cpu"
        if not (name in ("cpu", "gpu") or re.fullmatch(r"gpu:\d+", name)):
            raise ConfigError("devices", f"Unknown device {item!r}.", "Use cpu, gpu (every GPU) or gpu:N (one GPU).")
        if name not in out:
            out.append(name)
    return tuple(out)


def parse_tf32(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value).strip().lower()
    if text in ("", "auto", "default", "none"):
        return None
    if text in ("on", "true", "yes", "1", "enable", "enabled"):
        return "on"
    if text in ("off", "false", "no", "0", "disable", "disabled"):
        return "off"
    raise ConfigError("tf32", f"TF32 must be on, off or default, got {str(value)!r}.",
                      "TF32 only matters for float32 on Ampere or newer GPUs.")


@settings_config("devices")
class DevicesConfig(SettingsConfig):
    """The validated configuration of a devices run."""

    sizes: tuple[int, ...]
    rounds: int
    dtype: str
    devices: tuple[str, ...]
    tf32: str | None
    warmup: int
    numpy: bool = True  # the NumPy reference rows (`--no-numpy`); not a setting

    EXTRA_PARSERS = {"numpy": lambda raw: yes_or_no(raw, "numpy", "NumPy reference")}

    @classmethod
    def errors(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """As every config's, and sizes that cannot fit in the host's memory (a run would refuse them)."""
        errors = super().errors(values)
        if not errors:
            try:
                cls.parse(values).check_host_memory()
            except ConfigError as exc:
                errors[exc.field] = str(exc)
        return errors

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sizes"] = list(self.sizes)
        data["devices"] = list(self.devices)
        return data

    @property
    def bytes_per_element(self) -> int:
        return BYTES_PER_ELEMENT[self.dtype]

    def check_host_memory(self, available: int | None = None) -> None:
        """Refuse sizes whose matrices cannot fit in the host's available memory (ConfigError)."""
        available = host_memory_available() if available is None else available
        if available is None:
            return
        too_big = [n for n in self.sizes if matrices_bytes(n, self.dtype) > MEMORY_MARGIN * available]
        if too_big:
            n = max(too_big)
            raise ConfigError(
                "sizes",
                f"Size {n} does not fit in memory: three {n}×{n} {self.dtype} matrices need "
                f"{human_bytes(matrices_bytes(n, self.dtype))}, but only {human_bytes(available)} is available.",
                "Choose smaller sizes, or a smaller dtype (float16/bfloat16 halve it).",
            )


# --------------------------------------------------------------------------- events

@dataclass(frozen=True)
class DevicesDetected(Event):
    """The devices that will be timed, for the device panel."""

    devices: tuple[Mapping[str, Any], ...]  # DeviceInfo.to_dict() plus "peak_gflops"
    gpu_present: bool
    tensorflow: str | None = None
    cuda_version: str | None = None
    cudnn_version: str | None = None
    tf32: bool | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimingMeasured(Event):
    """One finished row (see `make_row`); `row["rejected"]` rows have no timings."""

    row: Mapping[str, Any]
    speedups: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)

    @property
    def size(self) -> int:
        return int(self.row["size"])

    @property
    def device(self) -> str:
        return str(self.row["device"])


# --------------------------------------------------------------------------- task

class DevicesTask(Task):
    """Times n×n products per size on each device; see the module docstring for the method."""

    name: ClassVar[str] = "devices"

    def __init__(
        self,
        *,
        config: DevicesConfig | None = None,
        backend: MatmulBackend | None = None,
        reference: MatmulBackend | None = None,
        check_memory: bool = True,
        **raw: Any,
    ) -> None:
        """Validate now (ConfigError names the field); `backend`/`reference` are test seams.

        `raw` holds `DevicesConfig.parse`'s values (sizes, rounds, dtype, devices, tf32,
        warmup, numpy), parsed unless a `config` is given. `check_memory` also refuses
        sizes that cannot fit in the host's available memory.
        """
        self.config = config or DevicesConfig.parse(raw)
        if check_memory and backend is None:
            self.config.check_host_memory()
        self._backend = backend
        self._reference = reference

    def config_dict(self) -> dict[str, Any]:
        return self.config.to_dict()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "DevicesTask":
        return cls(**options)

    def params(self) -> dict[str, Any]:
        return {"sizes": list(self.config.sizes), "rounds": self.config.rounds, "dtype": self.config.dtype}

    # -- the run

    def run(self, ctx: RunContext) -> None:
        cfg = self.config
        backend = self._backend or TensorFlowBackend()
        reference = self._reference if self._reference is not None else (NumpyBackend() if cfg.numpy else None)
        if not cfg.numpy:
            reference = None
        s = ctx.summary
        s.update({
            "dtype": cfg.dtype, "sizes": list(cfg.sizes), "rows": [], "speedups": [], "notes": [],
            "skipped": [], "gpu_present": None, "devices": [], "tf32": {"requested": cfg.tf32, "enabled": None},
            "method": method_note(cfg.rounds, cfg.warmup, cfg.dtype),
        })
        previous_tf32 = backend.tf32_enabled()
        try:
            if cfg.tf32 is not None:
                backend.set_tf32(cfg.tf32 == "on")
            s["tf32"]["enabled"] = backend.tf32_enabled()
            self._run(ctx, backend, reference)
        finally:
            if cfg.tf32 is not None and previous_tf32 is not None:
                backend.set_tf32(previous_tf32)  # a global switch: leave it as it was

    def _note(self, ctx: RunContext, message: str) -> None:
        ctx.summary["notes"].append(message)
        ctx.emit(Log(message, level="warning"))

    def _select(self, ctx: RunContext, found: list[DeviceInfo]) -> list[DeviceInfo]:
        wanted = self.config.devices
        gpus = [d for d in found if d.kind == "gpu"]
        selected: list[DeviceInfo] = []
        if "cpu" in wanted:
            selected += [d for d in found if d.kind == "cpu"]
        if "gpu" in wanted:
            selected += gpus
        for name in wanted:
            if name.startswith("gpu:"):
                match = [d for d in gpus if d.id.lower() == name]
                if match:
                    selected += [d for d in match if d not in selected]
                elif gpus:
                    self._note(ctx, f"There is no {name.upper()}; this machine has {', '.join(d.id for d in gpus)}.")
        if not gpus and any(n.startswith("gpu") for n in wanted):
            env = ctx.summary.get("environment") or {}
            why = "" if env.get("cuda_build", True) else " (this TensorFlow was built without CUDA)"
            self._note(ctx, f"no GPU: TensorFlow sees no GPU on this machine{why}; only the CPU is timed.")
        if not selected:
            selected = [d for d in found if d.kind == "cpu"]
        return selected

    def _peak(self, device: DeviceInfo, cpuinfo: CpuInfo) -> tuple[float, str]:
        dtype = self.config.dtype
        if device.kind == "gpu":
            return gpu_peak_gflops(device.name, device.compute_capability, dtype)
        return cpu_peak_gflops(dtype, cpuinfo), (
            f"{cpuinfo.logical_cpus} logical CPUs × {(cpuinfo.mhz or 0) / 1000:.2f} GHz × FLOP/cycle × 1.5"
        )

    def _run(self, ctx: RunContext, backend: MatmulBackend, reference: MatmulBackend | None) -> None:
        plan, peaks = self._detect(ctx, backend, reference)
        need = self._check_device_memory(ctx, plan)
        runnable = self._runnable(ctx, plan)
        rate = self._calibrate(ctx, runnable, need)
        ctx.checkpoint()
        self._measure(ctx, runnable, rate, peaks)

    def _detect(
        self, ctx: RunContext, backend: MatmulBackend, reference: MatmulBackend | None,
    ) -> tuple[list[tuple[MatmulBackend, DeviceInfo]], dict[str, float]]:
        """The (backend, device) pairs to time and each device's plausible peak; emits DevicesDetected."""
        s = ctx.summary
        cpuinfo = read_cpuinfo()
        found = backend.devices()
        gpus = [d for d in found if d.kind == "gpu"]
        s["gpu_present"] = bool(gpus)
        s["cpu"] = cpuinfo.to_dict()
        plan: list[tuple[MatmulBackend, DeviceInfo]] = [(backend, d) for d in self._select(ctx, found)]
        if reference is not None:
            plan += [(reference, d) for d in reference.devices()]
        peaks: dict[str, float] = {}
        device_dicts = []
        for _, dev in plan:
            peak, source = self._peak(dev, cpuinfo)
            peaks[dev.id] = peak
            device_dicts.append({**dev.to_dict(), "peak_gflops": round(peak, 1), "peak_source": source})
        s["devices"] = device_dicts
        env = s.get("environment") or {}
        ctx.emit(DevicesDetected(
            devices=tuple(device_dicts), gpu_present=bool(gpus), tensorflow=env.get("tensorflow"),
            cuda_version=env.get("cuda_version"), cudnn_version=env.get("cudnn_version"),
            tf32=s["tf32"]["enabled"], notes=tuple(s["notes"]),
        ))
        return plan, peaks

    def _check_device_memory(self, ctx: RunContext, plan: list[tuple[MatmulBackend, DeviceInfo]]) -> dict[str, int]:
        """Bytes the largest size needs per device; DeviceError before anything is allocated if it cannot fit."""
        cfg = self.config
        need = {dev.id: max(matrices_bytes(n, cfg.dtype) for n in cfg.sizes) for _, dev in plan}
        ctx.summary["estimate"] = {"memory_bytes": need, "seconds": None}
        for _, dev in plan:
            if dev.memory_free is None:
                self._note(ctx, f"The free memory of {dev.id} is unknown; sizes were not checked against it.")
                continue
            too_big = [n for n in cfg.sizes if matrices_bytes(n, cfg.dtype) > MEMORY_MARGIN * dev.memory_free]
            if too_big:
                n = max(too_big)
                raise DeviceError(
                    f"Size {n} does not fit on {dev.id}: three {n}×{n} {cfg.dtype} matrices need "
                    f"{human_bytes(matrices_bytes(n, cfg.dtype))}, but only {human_bytes(dev.memory_free)} is free.",
                    "Choose smaller sizes, or a smaller dtype (float16/bfloat16 halve it).",
                )
        return need

    def _runnable(
        self, ctx: RunContext, plan: list[tuple[MatmulBackend, DeviceInfo]],
    ) -> list[tuple[MatmulBackend, DeviceInfo]]:
        """The pairs whose device can multiply the dtype (a tiny trial product says); the others are noted."""
        cfg = self.config
        runnable: list[tuple[MatmulBackend, DeviceInfo]] = []
        for be, dev in plan:
            ctx.check_cancelled()
            reason = be.unsupported(dev, cfg.dtype)
            if reason:
                ctx.summary["skipped"].append({"device": dev.id, "reason": reason})
                self._note(ctx, reason)
            else:
                runnable.append((be, dev))
        if not any(dev.kind != "numpy" for _, dev in runnable):
            raise DeviceError(
                f"No TensorFlow device can multiply {cfg.dtype} matrices here.",
                "Choose float32 or float64.",
            )
        return runnable

    def _calibrate(
        self, ctx: RunContext, runnable: list[tuple[MatmulBackend, DeviceInfo]], need: dict[str, int],
    ) -> dict[str, float]:
        """FLOP/s of one product at a small size per device, for the time estimate (logged)."""
        cfg, s = self.config, ctx.summary
        rate: dict[str, float] = {}
        c = min(max(cfg.sizes), CALIBRATION_SIZE)
        for index, (be, dev) in enumerate(runnable):
            ctx.check_cancelled()
            if index and be is not runnable[index - 1][0]:
                time.sleep(SETTLE_SECONDS)  # as in the measurements
            a, b = be.make_inputs(dev, c, cfg.dtype)
            be.finish(be.matmul(dev, a, b))
            ctx.check_cancelled()
            start = time.perf_counter()
            be.finish(be.matmul(dev, a, b))
            rate[dev.id] = flops(c) / max(time.perf_counter() - start, 1e-9)  # FLOP/s
            del a, b
        per_product = cfg.warmup + cfg.rounds
        estimate = sum(per_product * flops(n) / rate[dev.id] for n in cfg.sizes for _, dev in runnable)
        s["estimate"]["seconds"] = round(estimate, 1)
        s["estimate"]["calibration"] = {"size": c, "gflops": {k: round(v / 1e9, 2) for k, v in rate.items()}}
        ctx.emit(Log(
            f"Estimated time ≈ {_duration(estimate)} (from a {c}×{c} calibration product per device; "
            f"larger products usually run faster); memory per device ≤ "
            f"{human_bytes(max(need.values()))}."
        ))
        return rate

    def _measure(
        self, ctx: RunContext, runnable: list[tuple[MatmulBackend, DeviceInfo]], rate: dict[str, float],
        peaks: dict[str, float],
    ) -> None:
        """Every size on every runnable device: one summary row and one TimingMeasured each."""
        cfg, s = self.config, ctx.summary
        work = [(n, be, dev) for n in cfg.sizes for be, dev in runnable]
        progress = _MeasureProgress(ctx, work, rate, cfg.rounds, cfg.warmup)
        for index, (n, be, dev) in enumerate(work):
            s["in_progress"] = {"size": n, "device": dev.id}
            progress.index = index
            ctx.check_cancelled()
            if index and be is not work[index - 1][1]:
                # TensorFlow's worker threads spin for a moment after their last op; NumPy's
                # BLAS threads, started meanwhile, were measured here to take 16 ms instead
                # of 0.1 ms for a 200×200 product. Let them go idle first.
                time.sleep(SETTLE_SECONDS)
            row = self._measure_one(ctx, n, be, dev, progress, peaks[dev.id])
            s["rows"].append(row)
            self._update_speedups(s)
            s.pop("in_progress", None)
            if row["rejected"]:
                ctx.emit(Log(f"n={n} on {dev.id}: {row['reason']}.", level="error"))
            ctx.emit(TimingMeasured(row=dict(row), speedups=tuple(s["speedups"])))
            ctx.checkpoint()

    def _measure_one(
        self, ctx: RunContext, n: int, be: MatmulBackend, dev: DeviceInfo, progress: "_MeasureProgress",
        peak: float,
    ) -> dict[str, Any]:
        """Time n×n products on one device (inputs created there first); the summary row."""
        cfg = self.config
        a, b = be.make_inputs(dev, n, cfg.dtype)
        placed = be.placement(a)
        if placed and not placed.endswith(dev.id):
            self._note(ctx, f"Inputs meant for {dev.id} were placed on {placed}.")
        try:
            times = time_products(be, dev, a, b, cfg.rounds, cfg.warmup, progress.before, progress.after)
        finally:
            del a, b
        tf32 = None
        if dev.kind == "gpu" and cfg.dtype == "float32":
            cc = dev.compute_capability
            tf32 = bool(ctx.summary["tf32"]["enabled"]) and (cc is None or cc[0] >= 8)
        return make_row(n, dev, cfg.dtype, times, peak, tf32=tf32, warmup=cfg.warmup, placed_on=placed)

    @staticmethod
    def _update_speedups(s: dict[str, Any]) -> None:
        rows = s["rows"]
        cpu = {r["size"]: r for r in rows if r["device"] == "CPU:0" and not r["rejected"]}
        for r in rows:
            base = cpu.get(r["size"])
            if base and not r["rejected"] and r.get("median_ms"):
                r["speedup_vs_cpu"] = round(base["median_ms"] / r["median_ms"], 3)
        s["speedups"] = speedups(rows)

    # -- the report

    def render_markdown(self, summary: Mapping[str, Any]) -> str:
        return render_markdown(summary)


class _MeasureProgress:
    """Progress events while timing: products done of all, and an ETA that weighs each remaining
    product by n³ at its device's latest rate. `before`/`after` are `time_products`' hooks."""

    def __init__(
        self, ctx: RunContext, work: list[tuple[int, MatmulBackend, DeviceInfo]], rate: dict[str, float],
        rounds: int, warmup: int,
    ) -> None:
        self.ctx, self.work, self.rate = ctx, work, rate  # `rate` (FLOP/s per device) is updated here
        self.rounds, self.warmup = rounds, warmup
        self.per_row = warmup + rounds
        self.total = len(work) * self.per_row
        self.done = 0
        self.index = 0  # the row of `work` being timed
        self.throttle = Throttle(0.05)

    def eta(self) -> float:
        n, _, dev = self.work[self.index]
        rest = sum(self.per_row * flops(m) / self.rate[d.id] for m, _, d in self.work[self.index + 1:])
        left_in_row = self.per_row - (self.done - self.index * self.per_row)
        return rest + left_in_row * flops(n) / self.rate[dev.id]

    def before(self, phase: str, i: int) -> None:
        self.ctx.check_cancelled()

    def after(self, phase: str, i: int, seconds: float | None) -> None:
        n, _, dev = self.work[self.index]
        self.done += 1
        if seconds:
            self.rate[dev.id] = flops(n) / max(seconds, 1e-9)
        last = phase == "round" and i == self.rounds - 1
        if self.throttle.ready() or last:
            what = f"warm-up {i + 1}/{self.warmup}" if phase == "warmup" else f"round {i + 1}/{self.rounds}"
            self.ctx.emit(Progress(self.done, self.total, f"n={n} · {dev.id} · {what}", max(0.0, self.eta())))


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def render_markdown(summary: Mapping[str, Any]) -> str:
    """The results table and how they were measured; copes with partial and failed runs."""
    try:
        return _render_markdown(summary)
    except Exception as exc:  # a damaged summary must never stop a listing or a report
        return f"# Matrix multiplication: CPU and GPU\n\n(Could not render the details: {exc})\n"


def _render_markdown(summary: Mapping[str, Any]) -> str:
    parts = [
        "# Matrix multiplication: CPU and GPU", _markdown_status(summary), _markdown_results(summary),
        _markdown_rejected(summary), _markdown_method(summary), _markdown_notes(summary),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _markdown_status(summary: Mapping[str, Any]) -> str:
    text = f"Status: **{summary.get('status', '?')}** · dtype {summary_dtype(summary)} · run {summary.get('run_id', '?')}"
    if summary.get("error"):
        text += "\n\n" + f"**Error:** {summary['error']}" + (f" — {summary['hint']}" if summary.get("hint") else "")
    return text


def _markdown_results(summary: Mapping[str, Any]) -> str:
    rows = summary_result_rows(summary)
    text = results_table(rows).markdown() if rows else "No products were timed."
    progress = summary.get("in_progress")
    if isinstance(progress, Mapping) and summary.get("status") != "completed":
        text += f"\n\nInterrupted while timing n={progress.get('size')} on {progress.get('device')}; that row is missing."
    return text


def _markdown_rejected(summary: Mapping[str, Any]) -> str:
    rejected = [r for r in summary.get("rows") or [] if isinstance(r, Mapping) and r.get("rejected")]
    if not rejected:
        return ""
    return "## Rejected rows\n\n" + "\n".join(f"- n={r.get('size')} on {r.get('device')}: {r.get('reason')}" for r in rejected)


def _markdown_method(summary: Mapping[str, Any]) -> str:
    """The method note, each device (as on the device panel), TF32, the estimate and the build."""
    lines = [f"## {METHOD_TITLE}", "", f"- Method: {method_note(**summary_method(summary))}"]
    lines += [f"- {device_title(d)}: {device_detail(d)}" for d in summary.get("devices") or [] if isinstance(d, Mapping)]
    if summary.get("gpu_present") is False:
        lines.append(f"- {NO_GPU_RESULT}")
    tf32 = summary.get("tf32")
    if isinstance(tf32, Mapping) and tf32.get("enabled") is not None:
        lines.append(f"- TF32 for float32 on Ampere+ GPUs: {'on' if tf32.get('enabled') else 'off'}"
                     f" (requested: {tf32.get('requested') or 'default'}).")
    estimate = summary.get("estimate")
    if isinstance(estimate, Mapping) and estimate.get("seconds") is not None:
        lines.append(f"- Estimated time before starting: {_duration(float(estimate['seconds']))}.")
    env = summary.get("environment") or {}
    if env.get("tensorflow"):
        cuda = env.get("cuda_build")
        lines.append("- " + tensorflow_build_line(
            env["tensorflow"], env.get("cuda_version") if cuda else None, env.get("cudnn_version") if cuda else None,
            numpy=env.get("numpy", "?"),
        ) + ".")
    return "\n".join(lines)


def _markdown_notes(summary: Mapping[str, Any]) -> str:
    notes = summary.get("notes") or []
    return "## Notes\n\n" + "\n".join(f"- {n}" for n in notes) if notes else ""
