"""`make bench`: every benchmark in one run, printed as tables and saved as JSON.

    .venv/bin/python bench/run.py [--quick]

Writes bench/results/bench-<timestamp>.json with the machine description (CPU, cores,
TensorFlow build, thread settings). Benchmarks, not tests: figures depend on the machine
and its load, so ratios are measured side by side in one run.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import app_session  # noqa: E402
import matmul  # noqa: E402
import startup  # noqa: E402
import train_throughput  # noqa: E402

from fmnist_tui.engine.summaries import atomic_write_text, to_json  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats (a smoke run)")
    args = parser.parse_args(argv)
    epochs, eager, repeat, seeds = (2, 1, 2, (1,)) if args.quick else (4, 2, 5, (1, 2, 3))

    print("## Training throughput (real Fashion-MNIST, batch 64)\n", flush=True)
    training = train_throughput.run(epochs=epochs, eager_epochs=eager, seeds=seeds)
    print(train_throughput.table(training), "\n", flush=True)

    print("## Start-up and memory\n", flush=True)
    start = startup.run(repeat=repeat)
    print(startup.table(start), "\n", flush=True)

    session = None
    if shutil.which("tmux"):
        print("## The app in a terminal: epoch time against headless, keys, memory\n", flush=True)
        session = app_session.run(epochs=2 if args.quick else 3, rounds=1 if args.quick else 2)
        print(app_session.table(session), "\n", flush=True)
    else:
        print("(no tmux here: the app session benchmark is skipped)\n", flush=True)

    print("## Matrix products on the CPU: TensorFlow against NumPy\n", flush=True)
    products = matmul.measure("1000,2000,4000", rounds=3 if args.quick else 5, warmup=1, dtype="float32")
    print(matmul.table(products), "\n", flush=True)

    report = {
        "when": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": matmul.machine("float32"),
        "training": training,
        "startup": start,
        "app_session": session,
        "matmul": products,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{_dt.datetime.now():%Y%m%d-%H%M%S}.json"
    atomic_write_text(path, to_json(report))
    print(f"Saved {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
