"""What the per-class figures cost each epoch, against the epoch itself.

    .venv/bin/python bench/class_figures_cost.py [--epochs 2] [--models keras,lowlevel]

Trains on the real Fashion-MNIST through the task a worker runs (run directory and
TensorBoard logs included) and times, in the same run, every epoch and the reporter's
per-class step: confusion matrix, per-class scores, TensorBoard image and text, and the
misclassified images saved to the run directory. The test-set pass both trainers make
anyway (now giving the predictions these figures come from) is timed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(owner, name: str, seconds: list[float]):
    """Wrap `owner.name` so that each call's duration is appended to `seconds`."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)

    setattr(owner, name, wrapper)
    return original


def run(epochs: int = 2, models: str = "keras,lowlevel") -> dict:
    from fmnist_tui.engine import environment
    from fmnist_tui.engine.events import EpochEnded
    from fmnist_tui.engine.peaks import read_cpuinfo
    from fmnist_tui.engine.runner import run_collecting
    from fmnist_tui.engine.training import evaluation, reporting
    from fmnist_tui.engine.training.config import TrainConfig
    from fmnist_tui.engine.training.task import TrainTask

    scoring: list[float] = []
    evaluating: list[float] = []
    timed(reporting.ModelReporter, "_score_classes", scoring)
    make_evaluator = evaluation.test_set_evaluator

    def timed_evaluator(*args, **kwargs):
        evaluate = make_evaluator(*args, **kwargs)

        def run_timed():
            start = time.perf_counter()
            try:
                return evaluate()
            finally:
                evaluating.append(time.perf_counter() - start)

        return run_timed

    for module in ("fmnist_tui.engine.training.keras_trainer", "fmnist_tui.engine.training.lowlevel_trainer"):
        __import__(module, fromlist=["x"]).test_set_evaluator = timed_evaluator
    with tempfile.TemporaryDirectory() as scratch:
        task = TrainTask(TrainConfig.parse({"epochs": epochs, "models": models, "seed": 1}),
                         logs_dir=Path(scratch) / "logs")
        events = run_collecting(task, Path(scratch) / "runs")
    epoch_seconds = [e.logs["seconds"] for e in events if isinstance(e, EpochEnded)]
    cpu = read_cpuinfo()
    machine = {"cpu": cpu.model, "cpu_count": cpu.logical_cpus, "tensorflow": environment.describe_quickly()["tensorflow"]}
    return {"epoch_seconds": epoch_seconds, "scoring_seconds": scoring, "evaluation_seconds": evaluating,
            "machine": machine, "load": os.getloadavg()}


def table(result: dict) -> str:
    epoch = statistics.median(result["epoch_seconds"])
    scoring = statistics.median(result["scoring_seconds"])
    evaluating = statistics.median(result["evaluation_seconds"])
    rows = [
        ("epoch (training + test pass + figures)", epoch, 1.0),
        ("per-class figures (matrix, scores, TensorBoard, mistakes file)", scoring, scoring / epoch),
        ("test-set pass giving the predictions", evaluating, evaluating / epoch),
    ]
    lines = ["| part, median over epochs and models | ms | share of the epoch |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {seconds * 1000:.1f} | {share:.2%} |" for name, seconds, share in rows]
    machine = result["machine"]
    lines.append(f"\n{len(result['epoch_seconds'])} epochs on {machine.get('cpu') or 'this CPU'} "
                 f"({machine.get('cpu_count', '?')} logical CPUs, TensorFlow {machine.get('tensorflow')}); load average {result['load'][0]:.2f} at the end.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--models", default="keras,lowlevel")
    args = parser.parse_args(argv)
    print(table(run(args.epochs, args.models)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
