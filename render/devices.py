"""How the Devices task reads: its results table, device panel, build line and method note.

Built once, from a devices summary or from the `DevicesDetected` / `TimingMeasured` events'
data, for the three adapters: the engine's Markdown summary (`Table.markdown()`), the
headless renderer (`Table.rich()`, `Panel.rich()`) and the Devices screen (DataTable cells,
a Static panel). Styles are rich style names (plain strings): the adapters apply them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from fmnist_tui.engine.matmul import human_bytes

from .table import Table

RESULT_TITLE = "Matrix multiplication"
RESULT_HEADERS = (
    "size", "processor", "dtype", "median ms", "mean ms", "min ms", "stdev ms", "GFLOP/s", "vs CPU:0",
)
RESULT_ALIGN = "rllrrrrrr"
NO_VALUE = "—"
#: The cell (and log line) of a row whose timing was faster than the device could be.
REJECTED_TEXT = "rejected: not synchronized"
NO_GPU = "no GPU"
NO_GPU_LINE = "no GPU: TensorFlow sees none; only the CPU is timed."
NO_GPU_RESULT = "GPU: no GPU on this machine; the run completed on the CPU."
METHOD_TITLE = "How it is measured"

MEASURED, REJECTED, GPU_MISSING = "measured", "rejected", "no GPU"
#: How each kind of results row is coloured, in rich and on the screen.
ROW_STYLES = {MEASURED: "", REJECTED: "red", GPU_MISSING: "yellow"}
#: How each kind of panel line is styled.
LINE_STYLES = {"device": "bold", "detail": "dim", "warning": "bold yellow", "build": "dim"}


# --------------------------------------------------------------------------- numbers

def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_ms(value: Any) -> str:
    """Milliseconds with three decimals (one above 100 ms); an em dash for no value."""
    if not _finite(value):
        return NO_VALUE
    return f"{value:.3f}" if value < 100 else f"{value:.1f}"


def format_gflops(value: Any) -> str:
    """GFLOP/s to one decimal; small rates (a tiny product on a loaded machine) keep two figures, never "0.0"."""
    if not _finite(value):
        return NO_VALUE
    if value >= 10 or value <= 0:
        return f"{value:.1f}"
    if value >= 0.001:
        return f"{value:.{max(1, 1 - math.floor(math.log10(value)))}f}"
    return "<0.001"


def format_speedup(value: Any) -> str:
    return f"{value:.2f}×" if _finite(value) else NO_VALUE


def _plural(count: Any, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --------------------------------------------------------------------------- the results table

@dataclass(frozen=True)
class ResultRow:
    """One line of the results table: its cells, and whether it is measured, rejected or no GPU."""

    key: str  # "64|CPU:0": unique within a run's table
    cells: tuple[str, ...]
    kind: str = MEASURED

    @property
    def style(self) -> str:
        return ROW_STYLES[self.kind]


def result_row(row: Mapping[str, Any]) -> ResultRow:
    """The cells of one summary row (see `engine.matmul.make_row`); rejected rows carry no numbers."""
    size, device = str(row.get("size")), str(row.get("device"))
    head = (size, device, str(row.get("dtype")))
    if row.get("rejected"):
        return ResultRow(f"{size}|{device}", head + (REJECTED_TEXT,) + (NO_VALUE,) * 5, REJECTED)
    numbers = (
        format_ms(row.get("median_ms")), format_ms(row.get("mean_ms")), format_ms(row.get("min_ms")),
        format_ms(row.get("stdev_ms")), format_gflops(row.get("gflops")), format_speedup(row.get("speedup_vs_cpu")),
    )
    return ResultRow(f"{size}|{device}", head + numbers)


def no_gpu_row(size: Any) -> ResultRow:
    return ResultRow(f"{size}|GPU", (str(size), "GPU", NO_VALUE, NO_GPU) + (NO_VALUE,) * 5, GPU_MISSING)


def result_rows(rows: Iterable[Mapping[str, Any]], gpu_missing: bool) -> list[ResultRow]:
    """Rows grouped by size in the order measured; a "no GPU" row per size if a GPU was asked for but absent."""
    rows = [r for r in rows if isinstance(r, Mapping)]
    out: list[ResultRow] = []
    for size in dict.fromkeys(r.get("size") for r in rows):
        out += [result_row(r) for r in rows if r.get("size") == size]
        if gpu_missing:
            out.append(no_gpu_row(size))
    return out


def gpu_missing(gpu_present: bool | None, devices_requested: Iterable[Any]) -> bool:
    """True once a run found no GPU although its devices (cpu, gpu, gpu:N) asked for one."""
    return gpu_present is False and any(str(d).startswith("gpu") for d in devices_requested)


def summary_result_rows(summary: Mapping[str, Any]) -> list[ResultRow]:
    """The results rows of a summary (a config that does not name its devices had the default, cpu,gpu)."""
    config = summary.get("config")
    requested = config.get("devices", ["gpu"]) if isinstance(config, Mapping) else ["gpu"]
    if not isinstance(requested, (list, tuple)):
        requested = ["gpu"]
    return result_rows(summary.get("rows") or [], gpu_missing(summary.get("gpu_present"), requested))


def results_table(rows: Sequence[ResultRow]) -> Table:
    return Table(RESULT_HEADERS, [row.cells for row in rows], RESULT_ALIGN)


def results_title(dtype: Any) -> str:
    return f"{RESULT_TITLE} ({dtype or 'float32'})"


def summary_dtype(summary: Mapping[str, Any]) -> str:
    config = summary.get("config")
    return str(summary.get("dtype") or (config.get("dtype") if isinstance(config, Mapping) else None) or "float32")


def timing_line(row: Mapping[str, Any]) -> str:
    """The log line of one finished row: "n=64     CPU:0        median 0.473 ms · 1.1 GFLOP/s"."""
    head = f"n={row.get('size')!s:<6} {row.get('device')!s:<12}"
    if row.get("rejected"):
        return f"{head} {REJECTED_TEXT}"
    return f"{head} median {format_ms(row.get('median_ms'))} ms · {format_gflops(row.get('gflops'))} GFLOP/s"


# --------------------------------------------------------------------------- the device panel

@dataclass(frozen=True)
class PanelLine:
    text: str
    role: str  # a key of LINE_STYLES

    @property
    def style(self) -> str:
        return LINE_STYLES[self.role]


@dataclass(frozen=True)
class Panel:
    """Lines about the devices; "detail" lines are indented under the device they describe."""

    lines: tuple[PanelLine, ...]

    def plain(self) -> str:
        return "\n".join(("  " if line.role == "detail" else "") + line.text for line in self.lines)

    def rich(self):
        """A `rich.text.Text` with each line styled (rich imported here only)."""
        from rich.text import Text

        text = Text()
        for index, line in enumerate(self.lines):
            if index:
                text.append("\n")
            text.append(("  " if line.role == "detail" else "") + line.text, style=line.style or None)
        return text


def memory_text(free: Any, total: Any) -> str:
    """"24.1 GB free of 25.3 GB", or what is known."""
    if free is not None:
        return f"{human_bytes(free)} free of {human_bytes(total)}" if total is not None else f"{human_bytes(free)} free"
    return f"{human_bytes(total)}, free unknown" if total is not None else "memory unknown"


def device_title(device: Mapping[str, Any]) -> str:
    return f"{device.get('id')} · {device.get('name') or '?'}"


def device_detail(device: Mapping[str, Any]) -> str:
    """Memory, compute capability (GPUs) and plausible peak of one device (`DeviceInfo.to_dict()` + peak).

    Kept under ~54 characters for a CPU, the width of the screen's device panel at 100 columns."""
    parts = [memory_text(device.get("memory_free"), device.get("memory_total"))]
    if device.get("compute_capability"):
        parts.append(f"compute {device['compute_capability']}")
    peak = device.get("peak_gflops")
    if _finite(peak):
        parts.append(f"peak ≤ {peak:,.0f} GFLOP/s")
    return " · ".join(parts)


def tensorflow_build_line(
    tensorflow: Any, cuda_version: Any = None, cudnn_version: Any = None, tf32: bool | None = None,
    numpy: Any = None,
) -> str:
    """"TensorFlow 2.21.0 (CUDA 12.5.1, cuDNN 9) · TF32 on": short enough for the screen's device panel."""
    line = f"TensorFlow {tensorflow or '?'}"
    if cuda_version or cudnn_version:
        line += f" (CUDA {cuda_version or '?'}, cuDNN {cudnn_version or '?'})"
    else:
        line += " (built without CUDA)"
    if tf32 is not None:
        line += f" · TF32 {'on' if tf32 else 'off'}"
    if numpy:
        line += f" · NumPy {numpy}"
    return line


def device_panel(
    devices: Iterable[Mapping[str, Any]], gpu_present: bool | None, tensorflow: Any = None,
    cuda_version: Any = None, cudnn_version: Any = None, tf32: bool | None = None,
) -> Panel:
    """The panel for a `DevicesDetected` event: each device and its details, the GPU verdict, the build."""
    lines: list[PanelLine] = []
    for device in devices:
        lines += [PanelLine(device_title(device), "device"), PanelLine(device_detail(device), "detail")]
    if gpu_present is False:
        lines.append(PanelLine(NO_GPU_LINE, "warning"))
    lines.append(PanelLine(tensorflow_build_line(tensorflow, cuda_version, cudnn_version, tf32), "build"))
    return Panel(tuple(lines))


def environment_panel(environment: Mapping[str, Any]) -> Panel:
    """Before a run: the GPUs and the build an environment description (`engine.environment`) found."""
    gpus = environment.get("gpus") or []
    lines = [PanelLine(f"GPU · {g.get('device_name') or g.get('name') or 'GPU'}", "device") for g in gpus]
    if not lines:
        lines.append(PanelLine(NO_GPU_LINE, "warning"))
    cuda_build = environment.get("cuda_build")
    build = tensorflow_build_line(
        environment.get("tensorflow"), environment.get("cuda_version") if cuda_build else None,
        environment.get("cudnn_version") if cuda_build else None,
    )
    lines.append(PanelLine(f"{build} · {environment.get('cpu_count', '?')} CPUs · details when a run starts", "build"))
    return Panel(tuple(lines))


# --------------------------------------------------------------------------- the method note

def method_note(rounds: Any = None, warmup: Any = None, dtype: Any = None, devices: Sequence[str] = ()) -> str:
    """How the timings are taken; the generic sentence while the settings are not known yet."""
    timed = _plural(rounds, "round") if rounds is not None else "the timed rounds"
    warm = _plural(warmup, "warm-up product") if warmup is not None else "the warm-up products"
    what = f"median of {timed} after {warm}" + (f", {dtype}" if dtype else "")
    if devices:
        what += f", on {', '.join(str(d) for d in devices)}"
    return (f"{what}; inputs created on each device before timing; each product finished (a sum of the "
            "whole result fetched to the host) before the clock stops. GFLOP/s = 2n³ / median.")


def method_line(rounds: Any = None, warmup: Any = None, dtype: Any = None, devices: Sequence[str] = ()) -> str:
    return f"{METHOD_TITLE}: {method_note(rounds, warmup, dtype, devices)}"


def summary_method(summary: Mapping[str, Any]) -> dict[str, Any]:
    """`method_note`'s arguments for a summary: its config and the devices it found."""
    config = summary.get("config")
    config = config if isinstance(config, Mapping) else {}
    devices = [str(d.get("id")) for d in summary.get("devices") or [] if isinstance(d, Mapping)]
    return {"rounds": config.get("rounds"), "warmup": config.get("warmup"), "dtype": summary_dtype(summary),
            "devices": devices}
