"""Benchmark: how fast the command answers and the app paints, and training's peak memory.

    .venv/bin/python bench/startup.py [--repeat 5]

- `fmnist-tui --help`: wall time of the whole process, median of N.
- first frame: wall time from launching a process to the app's first painted frame
  (`on_ready`), headless, median of N; TensorFlow then loads in the background.
- peak resident memory of `fmnist-tui run train --epochs 1` on the real data (the
  child's ru_maxrss).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

FIRST_FRAME = """
import sys, time
start = float(sys.argv[1])
from fmnist_tui.tui.app import make_app

class Probe(make_app().__class__):
    def on_ready(self):
        super().on_ready()
        print(f"{time.time() - start:.4f}", flush=True)
        self.exit()

app = make_app()
app.__class__ = Probe
app.run(headless=True, size=(100, 30))
"""


def help_seconds(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "fmnist_tui.tui.cli", "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def first_frame_seconds(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cwd:
            out = subprocess.run(
                [sys.executable, "-c", FIRST_FRAME, repr(time.time())],
                check=True, capture_output=True, text=True, cwd=cwd, timeout=120,
            ).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return times


def training_peak_memory_bytes() -> int:
    """The training worker's peak RSS, as it records it in its summary."""
    import json
    from pathlib import Path

    with tempfile.TemporaryDirectory() as cwd:
        subprocess.run([sys.executable, "-m", "fmnist_tui.tui.cli", "run", "train", "--epochs", "1"],
                       check=True, capture_output=True, cwd=cwd)
        summary = json.loads(next(Path(cwd, "runs").glob("*/summary.json")).read_text())
    return int(summary["peak_rss_bytes"])


def run(repeat: int = 5, memory: bool = True) -> dict[str, Any]:
    help_times = help_seconds(repeat)
    frame_times = first_frame_seconds(repeat)
    report: dict[str, Any] = {
        "help_seconds": help_times, "help_median": statistics.median(help_times),
        "first_frame_seconds": frame_times, "first_frame_median": statistics.median(frame_times),
    }
    if memory:
        report["training_peak_rss_bytes"] = training_peak_memory_bytes()
    return report


def table(report: dict[str, Any]) -> str:
    lines = ["| measure | value | target |", "| :--- | ---: | ---: |",
             f"| `fmnist-tui --help` (median of {len(report['help_seconds'])}) | {report['help_median']:.2f} s | < 0.5 s |",
             f"| first frame of the TUI (median of {len(report['first_frame_seconds'])}) | "
             f"{report['first_frame_median']:.2f} s | < 1.0 s |"]
    if "training_peak_rss_bytes" in report:
        lines.append(f"| peak memory, `run train --epochs 1` | {report['training_peak_rss_bytes'] / 2**30:.2f} GiB | < 2.5 GiB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(table(run(args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
