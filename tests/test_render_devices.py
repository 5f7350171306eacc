"""One devices run reads the same in the Markdown summary, the headless output and the screen.

The run is recorded (a summary and its journal, shaped like a real CPU-only run's) so that it
can hold what a tiny real run on this machine would not: a rejected row and a product over
100 ms. The headless renderer and the Devices screen both follow its journal, as they
follow any run; the Markdown is what the engine writes to summary.md.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Log, Static

from fmnist_tui.engine.devices import DevicesDetected, TimingMeasured, render_markdown
from fmnist_tui.engine.events import Log as LogEvent, RunFinished, RunStarted
from fmnist_tui.engine.journal import JournalWriter, journal_path
from fmnist_tui.render.devices import format_ms, summary_result_rows
from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.commands.devices import Renderer
from fmnist_tui.tui.headless import follow_headless
from fmnist_tui.tui.screens.devices import DevicesScreen

HEADERS = ["size", "processor", "dtype", "median ms", "mean ms", "min ms", "stdev ms", "GFLOP/s", "vs CPU:0"]
NO_GPU_ROW = ["GPU", "—", "no GPU", "—", "—", "—", "—", "—"]
ROWS = [
    ["64", "CPU:0", "float32", "0.429", "0.431", "0.398", "0.044", "1.2", "1.00×"],
    ["64", "NumPy (CPU)", "float32", "0.043", "0.043", "0.032", "0.016", "12.1", "9.98×"],
    ["64", *NO_GPU_ROW],
    ["128", "CPU:0", "float32", "rejected: not synchronized", "—", "—", "—", "—", "—"],
    ["128", "NumPy (CPU)", "float32", "123.5", "124.0", "120.1", "2.500", "0.034", "—"],
    ["128", *NO_GPU_ROW],
]
CONFIG = {"sizes": [64, 128], "rounds": 2, "dtype": "float32", "devices": ["cpu", "gpu"], "tf32": None,
          "warmup": 1, "numpy": True}
CPU = {"kind": "cpu", "name": "AMD EPYC", "memory_free": 24456507392, "memory_total": 25276063744,
       "compute_capability": None, "peak_gflops": 234.8, "peak_source": "2 logical CPUs × 2.45 GHz"}
ENVIRONMENT = {"tensorflow": "2.21.0", "numpy": "2.4.6", "cuda_build": True, "cuda_version": "12.5.1",
               "cudnn_version": "9", "gpus": [], "cpu_count": 2}


def measured(size: int, device: str, backend: str, median: float, mean: float, low: float, stdev: float,
             gflops: float, speedup: float | None) -> dict:
    return {"size": size, "device": device, "kind": backend.lower() if backend == "NumPy" else "cpu",
            "backend": backend, "dtype": "float32", "tf32": None, "rounds": 2, "warmup": 1, "peak_gflops": 234.8,
            "placed_on": device, "rejected": False, "reason": None, "speedup_vs_cpu": speedup, "median_ms": median,
            "mean_ms": mean, "min_ms": low, "max_ms": 2 * median - low, "stdev_ms": stdev, "gflops": gflops,
            "times_ms": [low, 2 * median - low]}


def recorded_summary(run_id: str) -> dict:
    rejected = {**measured(128, "CPU:0", "TensorFlow", 0, 0, 0, 0, 0, None), "rejected": True,
                "reason": "not synchronized — result rejected: the fastest round implies 9,000,000 GFLOP/s",
                "median_ms": None, "mean_ms": None, "min_ms": None, "max_ms": None, "stdev_ms": None, "gflops": None,
                "unsynchronized": {"median_ms": 0.0001, "min_ms": 0.0001}}
    del rejected["times_ms"]
    return {
        "task": "devices", "run_id": run_id, "status": "completed", "config": CONFIG, "environment": ENVIRONMENT,
        "dtype": "float32", "sizes": [64, 128], "gpu_present": False, "speedups": [], "skipped": [],
        "notes": ["no GPU: TensorFlow sees no GPU on this machine; only the CPU is timed."],
        "rows": [
            measured(64, "CPU:0", "TensorFlow", 0.4286, 0.4311, 0.3976, 0.0439, 1.2233, 1.0),
            measured(64, "NumPy (CPU)", "NumPy", 0.0429, 0.0431, 0.0321, 0.0157, 12.1, 9.984),
            rejected,
            measured(128, "NumPy (CPU)", "NumPy", 123.4567, 124.0, 120.1, 2.5, 0.034, None),
        ],
        "devices": [{**CPU, "id": "CPU:0", "backend": "TensorFlow"}, {**CPU, "id": "NumPy (CPU)", "kind": "numpy",
                                                                     "backend": "NumPy"}],
        "method": "median of 2 rounds after 1 warm-up product, float32; inputs created on each device before "
                  "timing; each product finished (a sum of the whole result fetched to the host) before the "
                  "clock stops. GFLOP/s = 2n³ / median.",
        "tf32": {"requested": None, "enabled": True}, "estimate": {"memory_bytes": {"CPU:0": 196608}, "seconds": 0.0},
    }


def record_run(runs: Path) -> tuple[Path, dict]:
    """A finished run's directory with its journal, as the worker would have left it."""
    run_id = "20261129-120000-devices"
    run_dir = runs / run_id
    run_dir.mkdir(parents=True)
    summary = recorded_summary(run_id)
    journal = JournalWriter(journal_path(run_dir))
    journal.write(RunStarted(task="devices", run_id=run_id, run_dir=run_dir, config=CONFIG))
    journal.write(DevicesDetected(devices=tuple(summary["devices"]), gpu_present=False, tensorflow="2.21.0",
                                  cuda_version="12.5.1", cudnn_version="9", tf32=True, notes=tuple(summary["notes"])))
    journal.write(LogEvent(summary["notes"][0], level="warning"))
    for row in summary["rows"]:
        journal.write(TimingMeasured(row=row))
    journal.write(RunFinished(summary=summary, summary_path=run_dir / "summary.md"))
    journal.close()
    return run_dir, summary


def flat(text: str) -> str:
    return " ".join(text.split())


# ---- each adapter, read back as a person would see it -----------------------------------------


def markdown_table(markdown: str) -> list[list[str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("| ").split(" | ")] for line in lines if "---" not in line]


def headless_output(run_dir: Path) -> str:
    console = Console(record=True, width=400, file=io.StringIO())
    follow_headless(run_dir, Renderer(console, console), foreground=False)
    return console.export_text()


def headless_table(output: str) -> list[list[str]]:
    """The results table's header and rows (rich separates columns by two or more spaces)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["size", "processor"])
    table = []
    for line in [lines[start]] + lines[start + 2:]:
        if not line.strip():
            break
        table.append(re.split(r"\s{2,}", line.strip()))
    return table


async def screen_view(run_dir: Path, runs: Path) -> dict:
    app = make_app(runs_dir=runs, logs_dir=runs.parent / "logs", describe_environment=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DevicesScreen)
        screen.attach(run_dir)
        for worker in [w for w in app.workers if w.group == screen.TASK]:
            await worker.wait()
        await pilot.pause()
        table = screen.query_one("#results-table", DataTable)
        cells = [table.get_row_at(i) for i in range(table.row_count)]
        return {
            "table": [[str(c.label) for c in table.ordered_columns]] + [[str(c) for c in row] for row in cells],
            "styles": [str(row[3].style) for row in cells],
            "panel": str(screen.query_one("#device-panel", Static).content),
            "method": str(screen.query_one("#method-note", Static).content),
            "log": list(screen.query_one("#devices-log", Log).lines),
        }


# ---- the test ------------------------------------------------------------------------------


async def test_markdown_headless_and_screen_show_the_same_results(tmp_path):
    runs = tmp_path / "runs"
    run_dir, summary = record_run(runs)
    markdown = render_markdown(summary)
    headless = await asyncio.to_thread(headless_output, run_dir)  # it runs an event loop of its own
    screen = await screen_view(run_dir, runs)

    expected = [HEADERS] + ROWS
    assert markdown_table(markdown) == expected
    assert headless_table(headless) == expected
    assert screen["table"] == expected
    # on the screen the colour says which rows are rejected (red) or have no GPU (yellow)
    assert screen["styles"] == ["", "", "yellow", "red", "", "yellow"]

    # the device panel: the same lines on the screen and headless; each device in the Markdown too
    panel = [line.strip() for line in screen["panel"].splitlines()]
    assert panel == [
        "CPU:0 · AMD EPYC", "24.5 GB free of 25.3 GB · peak ≤ 235 GFLOP/s",
        "NumPy (CPU) · AMD EPYC", "24.5 GB free of 25.3 GB · peak ≤ 235 GFLOP/s",
        "no GPU: TensorFlow sees none; only the CPU is timed.",
        "TensorFlow 2.21.0 (CUDA 12.5.1, cuDNN 9) · TF32 on",
    ]
    headless_lines = [line.strip() for line in headless.splitlines()]
    assert all(line in headless_lines for line in panel)
    assert "- CPU:0 · AMD EPYC: 24.5 GB free of 25.3 GB · peak ≤ 235 GFLOP/s" in markdown
    assert "- TensorFlow 2.21.0 (CUDA 12.5.1, cuDNN 9) · NumPy 2.4.6." in markdown

    # how it is measured: one note, with this run's rounds, warm-up, dtype and devices
    note = flat(screen["method"])
    assert note.startswith("How it is measured: median of 2 rounds after 1 warm-up product, float32, "
                           "on CPU:0, NumPy (CPU);")
    assert note in flat(headless)
    assert note.removeprefix("How it is measured: ") in flat(markdown)

    # each finished row's log line
    timing = [line for line in screen["log"] if line.startswith("n=")]
    assert timing[0] == "n=64     CPU:0        median 0.429 ms · 1.2 GFLOP/s"
    assert timing[2] == "n=128    CPU:0        rejected: not synchronized"
    assert all(line in headless_lines for line in timing) and len(timing) == 4


def test_no_gpu_rows_only_when_a_gpu_was_asked_for():
    summary = recorded_summary("20261129-120000-devices")
    assert [r.cells[1] for r in summary_result_rows(summary)].count("GPU") == 2
    summary["config"] = {**CONFIG, "devices": ["cpu"]}
    cpu_only = render_markdown(summary)
    assert [row[1] for row in markdown_table(cpu_only)] == ["processor", "CPU:0", "NumPy (CPU)", "CPU:0", "NumPy (CPU)"]
    assert "GPU: no GPU on this machine; the run completed on the CPU." in cpu_only


def test_times_read_with_three_decimals_below_100_ms_and_one_above():
    assert [format_ms(v) for v in (0.04286, 99.9994, 123.456, None, float("nan"), True)] == [
        "0.043", "99.999", "123.5", "—", "—", "—"]


def test_gflops_keep_two_figures_when_small_so_a_slow_tiny_product_never_reads_zero():
    from fmnist_tui.render.devices import format_gflops

    assert [format_gflops(v) for v in (123.456, 10.0, 5.43, 0.543, 0.0421, 0.00421, 0.0004, 0, None)] == [
        "123.5", "10.0", "5.4", "0.54", "0.042", "0.0042", "<0.001", "0.0", "—"]
