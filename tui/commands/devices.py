"""`fmnist-tui run devices`: time matrix products on the CPU, each GPU and NumPy, headless."""

from __future__ import annotations

import argparse
from typing import Any, Mapping

from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from fmnist_tui.engine.devices import DEFAULT_SIZES, DevicesDetected, TimingMeasured, human_bytes
from fmnist_tui.engine.events import Progress as ProgressEvent

from ..formatting import format_eta, format_ms
from ..headless import HeadlessRenderer

NAME = "devices"
HELP = "time n×n matrix products on the CPU, each GPU and NumPy (synchronized, with GFLOP/s)"
EPILOG = """\
examples:
  fmnist-tui run devices
  fmnist-tui run devices --sizes 500,1000,2000 --rounds 5
  fmnist-tui run devices --devices gpu:0 --dtype float16 --tf32 off
  fmnist-tui run devices --sizes 4096 --rounds 20 --warmup 5 --out ~/fmnist-runs

For each size the inputs are created on each device before the clock starts, warm-up
products are discarded, and every timed product is finished (a sum of the whole result is
fetched to the host) before the clock stops; the table reports the median of the rounds.
Without a GPU the run completes on the CPU and says "no GPU". Each run writes
runs/<run-id>/summary.md and summary.json. Ctrl-C cancels; the summary keeps the rows
that completed.
"""

DEFAULT_ROUNDS = 10
DEFAULT_WARMUP = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sizes = ",".join(str(n) for n in DEFAULT_SIZES)
    parser.add_argument("--sizes", default=sizes, metavar="LIST",
                        help=f"comma-separated matrix sizes n of n×n products (default {sizes})")
    parser.add_argument("--rounds", default=DEFAULT_ROUNDS, metavar="N",
                        help=f"timed products per size and device; the median is reported (default {DEFAULT_ROUNDS})")
    parser.add_argument("--dtype", default="float32", metavar="DTYPE",
                        help="float32, float64, float16 or bfloat16 (default float32)")
    parser.add_argument("--devices", default="cpu,gpu", metavar="LIST",
                        help="cpu, gpu (every GPU), gpu:N, or a list like cpu,gpu (default cpu,gpu)")
    parser.add_argument("--tf32", default=None, metavar="on|off",
                        help="TensorFloat-32 for float32 on Ampere+ GPUs (default: TensorFlow's default)")
    parser.add_argument("--warmup", default=DEFAULT_WARMUP, metavar="N",
                        help=f"untimed products before the timed rounds (default {DEFAULT_WARMUP})")
    parser.add_argument("--no-numpy", action="store_true", help="skip the NumPy reference rows")


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.devices import DevicesTask

    return DevicesTask(
        sizes=args.sizes, rounds=args.rounds, dtype=args.dtype, devices=args.devices,
        tf32=args.tf32, warmup=args.warmup, numpy=not args.no_numpy,
    )


ARGUMENT_OF_FIELD = {
    "sizes": "--sizes", "rounds": "--rounds", "dtype": "--dtype", "devices": "--devices",
    "tf32": "--tf32", "warmup": "--warmup", "numpy": "--no-numpy",
}

REJECTED_TEXT = "rejected: not synchronized"
NO_GPU = "no GPU"


def results_table(summary: Mapping[str, Any]) -> Table:
    """size | processor | execution time, plus the spread, GFLOP/s and the speedup vs CPU:0."""
    rows = [r for r in (summary.get("rows") or []) if isinstance(r, Mapping)]
    dtype = summary.get("dtype") or (summary.get("config") or {}).get("dtype") or "float32"
    gpu_requested = any(str(d).startswith("gpu") for d in (summary.get("config") or {}).get("devices", ["gpu"]))
    table = Table(title=f"Matrix multiplication ({dtype})", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("processor", no_wrap=True)
    table.add_column("dtype", no_wrap=True)
    table.add_column("execution time (median ms)", justify="right", min_width=11)
    for name in ("mean ms", "min ms", "stdev ms", "GFLOP/s", "speedup vs CPU:0"):
        table.add_column(name, justify="right", min_width=6)
    for n in dict.fromkeys(r.get("size") for r in rows):
        for r in (r for r in rows if r.get("size") == n):
            if r.get("rejected"):
                table.add_row(str(n), str(r.get("device")), str(r.get("dtype")), f"[red]{REJECTED_TEXT}[/]", *["—"] * 5)
                continue
            speed, gflops = r.get("speedup_vs_cpu"), r.get("gflops")
            table.add_row(
                str(n), escape(str(r.get("device"))), str(r.get("dtype")), format_ms(r.get("median_ms")),
                format_ms(r.get("mean_ms")), format_ms(r.get("min_ms")), format_ms(r.get("stdev_ms")),
                f"{gflops:.1f}" if isinstance(gflops, (int, float)) else "—",
                f"{speed:.2f}×" if isinstance(speed, (int, float)) else "—",
            )
        if summary.get("gpu_present") is False and gpu_requested:
            table.add_row(str(n), "GPU", "—", f"[yellow]{NO_GPU}[/]", *["—"] * 5)
    return table


class Renderer(HeadlessRenderer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The engine's ETA weighs each remaining product by n³, unlike rich's linear estimate.
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[eta]}"),
            TextColumn("{task.fields[info]}"),
            console=self.console,
            transient=False,
        )
        self._bar = None

    def on_progress(self, event: ProgressEvent) -> None:
        eta = format_eta(event.eta_seconds)
        if self._bar is None:
            self._bar = self.progress.add_task("Timing", total=event.total, info="", eta=eta)
        self.progress.update(self._bar, completed=event.done, total=event.total, info=event.label, eta=eta)

    def on_devices_detected(self, event: DevicesDetected) -> None:
        out = self.progress.console
        grid = Table(title="Devices", title_justify="left", show_edge=False, box=None, padding=(0, 2, 0, 0))
        for name in ("device", "name", "memory", "plausible peak"):
            grid.add_column(name, no_wrap=name != "name")
        for d in event.devices:
            memory = _memory(d.get("memory_free"), d.get("memory_total"))
            peak = d.get("peak_gflops")
            grid.add_row(
                f"[bold]{escape(str(d.get('id')))}[/]", escape(str(d.get("name") or "?")), memory,
                f"≤ {peak:,.0f} GFLOP/s" if isinstance(peak, (int, float)) else "?",
            )
        out.print(grid)
        if not event.gpu_present:
            out.print(f"[bold yellow]GPU: {NO_GPU}[/] — TensorFlow sees no GPU on this machine; only the CPU is timed.")
        build = f"TensorFlow {event.tensorflow or '?'}"
        if event.cuda_version or event.cudnn_version:
            build += f", built with CUDA {event.cuda_version or '?'} and cuDNN {event.cudnn_version or '?'}"
        else:
            build += ", built without CUDA"
        if event.tf32 is not None:
            build += f"; TF32 {'on' if event.tf32 else 'off'}"
        out.print(f"[dim]{escape(build)}[/]")

    def on_log(self, event) -> None:
        if event.message.startswith("no GPU:"):
            return  # the device panel says so, in bold
        super().on_log(event)

    def on_timing_measured(self, event: TimingMeasured) -> None:
        r = event.row
        head = f"n={r['size']:<6} {r['device']:<12}"
        if r.get("rejected"):
            self.progress.console.print(f"{escape(head)} [red]{REJECTED_TEXT}[/]")
        else:
            self.progress.console.print(
                f"{escape(head)} median {format_ms(r.get('median_ms'))} ms  {r.get('gflops', 0):.1f} GFLOP/s"
            )

    def show_result(self, summary) -> None:
        if summary.get("rows"):
            self.console.print(results_table(summary))
        method = summary.get("method")
        if method:
            devices = ", ".join(str(d.get("id")) for d in summary.get("devices") or [] if isinstance(d, Mapping))
            self.console.print(f"[dim]How it was measured: {escape(method)}; on {escape(devices or '?')}.[/]")
        if summary.get("gpu_present") is False:
            self.console.print(f"[yellow]{NO_GPU}[/]: the run completed on the CPU.")


def _memory(free: int | None, total: int | None) -> str:
    """"24.0/25.3 GB free", "512.0 MB/25.3 GB free", or what is known."""
    if free is None:
        return f"{human_bytes(total)} total" if total is not None else "unknown"
    if total is None:
        return f"{human_bytes(free)} free"
    free_text, total_text = human_bytes(free), human_bytes(total)
    unit = total_text.split()[-1]
    if free_text.endswith(f" {unit}"):
        free_text = free_text.removesuffix(f" {unit}")
    return f"{free_text}/{total_text} free"
