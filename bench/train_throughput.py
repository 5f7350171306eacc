"""Benchmark: training throughput of the two trainers against plain Keras `fit`, in one process.

    .venv/bin/python bench/train_throughput.py [--epochs 4] [--eager-epochs 2] [--batch-size 64]
        [--seeds 1,2,3] [--trainers fit,keras,lowlevel,eager] [--steps-per-execution auto]

Runs, on the real Fashion-MNIST with the original hyperparameters:
  1. plain Keras `fit` (no callbacks, Keras's default of one step a call), the baseline,
  2. the app's keras trainer (with the progress callback that feeds the UI, and its
     `steps_per_execution` setting, "auto" unless given),
  3. the app's lowlevel trainer,
  4. the original exercise's eager low-level loop (GradientTape, no tf.function), one seed
     (`--eager-epochs 0` leaves it out).
The first epoch of each is a warm-up (tracing, compilation) and is not counted; the
figure is the median of the other epochs. Every epoch includes evaluating the test set.
Prints a ratio table against plain `fit` (the mean of the per-seed ratios, and their
spread); returns the results as a dict.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any, Callable

from fmnist_tui.engine._tf import tensorflow
from fmnist_tui.engine.data import Dataset, load_fashion_mnist
from fmnist_tui.engine.runner import CancelToken
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.network import build_keras_model, seed_everything, steps_per_epoch
from fmnist_tui.engine.training.reporting import ModelReporter


def _result(name: str, epoch_seconds: list[float], test_accuracy: float, **extra: Any) -> dict[str, Any]:
    """One run of one trainer: its epochs' wall times and its final test accuracy."""
    return {"name": name, "epochs": len(epoch_seconds), "epoch_seconds": [round(s, 3) for s in epoch_seconds],
            "test_accuracy": test_accuracy, **extra}


def _measured(epoch_seconds: list[float]) -> list[float]:
    """The epochs that count: all but the first (tracing, compilation), unless it is the only one."""
    return epoch_seconds[1:] or epoch_seconds


def original_eager_loop(data: Dataset, config: TrainConfig, epochs: int) -> dict[str, Any]:
    """The exercise's loop: Python iterates batches and runs every op eagerly."""
    import keras

    tf = tensorflow()
    seed_everything(config.seed)
    model = build_keras_model(config)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    train = tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train)).shuffle(60000).batch(config.batch_size)
    seconds = []
    accuracy = float("nan")
    for _ in range(epochs):
        start = time.perf_counter()
        for images, labels in train:
            with tf.GradientTape() as tape:
                loss = loss_fn(labels, model(images, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        accuracy = _evaluate(model, data)
        seconds.append(time.perf_counter() - start)
    return _result("original eager loop", seconds, accuracy)


def _evaluate(model, data: Dataset) -> float:
    import numpy as np

    predictions = model.predict(data.x_test, batch_size=1024, verbose=0)
    return float(np.mean(predictions.argmax(axis=1) == data.y_test))


def plain_fit(data: Dataset, config: TrainConfig, epochs: int) -> dict[str, Any]:
    import keras

    class EpochTimer(keras.callbacks.Callback):
        # epoch_begin/end only: no batch hooks, so fit keeps its fast path
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)
            accuracy.append(logs["val_accuracy"])

    seconds: list[float] = []
    accuracy: list[float] = []
    seed_everything(config.seed)
    model = build_keras_model(config)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(data.x_train, data.y_train, batch_size=config.batch_size, epochs=epochs,
              validation_data=(data.x_test, data.y_test), callbacks=[EpochTimer()], verbose=0)
    return _result("plain Keras fit", seconds, accuracy[-1])


def app_trainer(name: str, train: Callable, data: Dataset, config: TrainConfig, epochs: int) -> dict[str, Any]:
    config = TrainConfig.parse({**config.to_dict(), "epochs": epochs})
    samples = len(data.x_train)
    events: list[Any] = []
    record: dict[str, Any] = {}
    reporter = ModelReporter(name, epochs, steps_per_epoch(samples, config.batch_size), samples,
                             events.append, record)
    seed_everything(config.seed)
    train(data, config, reporter, CancelToken())
    seconds = [e["seconds"] for e in record["epochs"]]
    return _result(f"app {name} trainer", seconds, record["test_accuracy"],
                   steps_per_execution=record.get("steps_per_execution"))


TRAINERS = ("fit", "keras", "lowlevel", "eager")
LABELS = {"fit": "plain Keras fit", "keras": "app keras trainer", "lowlevel": "app lowlevel trainer",
          "eager": "original eager loop"}


def run(epochs: int = 4, eager_epochs: int = 2, batch_size: int = 64, data: Dataset | None = None,
        trainers: tuple[str, ...] = TRAINERS, seeds: tuple[int, ...] = (1, 2, 3),
        steps_per_execution: str = "auto") -> dict[str, Any]:
    """Each trainer once per seed, interleaved (so drift in the machine hits all alike).

    Time: the median over every measured epoch (each run's first epoch is a warm-up).
    Ratio against the first trainer (plain `fit`): per seed, the ratio of the two runs'
    median epochs (the runs a seed's round made side by side); the table gives their mean
    and their spread (min–max).
    Accuracy: the mean over seeds of the final test accuracy — one seed's accuracy after a
    few epochs varies by more than half a point, so a single run cannot show "equal".
    `steps_per_execution` is the app's keras trainer's setting.
    """
    from fmnist_tui.engine.training.keras_trainer import train_keras
    from fmnist_tui.engine.training.lowlevel_trainer import train_lowlevel

    if eager_epochs < 1 and "eager" in trainers:  # nothing to time
        print("(the original eager loop is left out: --eager-epochs 0)", flush=True)
        trainers = tuple(t for t in trainers if t != "eager")
    data = data or load_fashion_mnist()
    load_before = os.getloadavg()[0]
    benches = {
        "fit": lambda c: plain_fit(data, c, epochs),
        "keras": lambda c: app_trainer("keras", train_keras, data, c, epochs),
        "lowlevel": lambda c: app_trainer("lowlevel", train_lowlevel, data, c, epochs),
        "eager": lambda c: original_eager_loop(data, c, eager_epochs),
    }
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in trainers}
    for index, seed in enumerate(seeds):
        config = TrainConfig.parse({"epochs": epochs, "batch_size": batch_size, "seed": seed,
                                    "steps_per_execution": steps_per_execution})
        for key in trainers:
            if key == "eager" and index:  # ~25 s an epoch: one seed is enough to show its speed
                continue
            print(f"… {LABELS[key]}, seed {seed}", flush=True)
            runs[key].append(benches[key](config))
    results = []
    baseline = runs[trainers[0]]
    for key in trainers:
        measured = [s for r in runs[key] for s in _measured(r["epoch_seconds"])]
        median = statistics.median(measured)
        accuracies = [r["test_accuracy"] for r in runs[key]]
        # per seed: the baseline's median epoch over this trainer's, from the same round
        ratios = [statistics.median(_measured(b["epoch_seconds"])) / statistics.median(_measured(r["epoch_seconds"]))
                  for b, r in zip(baseline, runs[key])]
        results.append({
            "name": LABELS[key], "epochs": runs[key][0]["epochs"], "seeds": len(runs[key]),
            "epoch_seconds": [r["epoch_seconds"] for r in runs[key]],
            "median_epoch_seconds": median, "samples_per_second": len(data.x_train) / median,
            "ratio_vs_plain_fit": statistics.mean(ratios), "ratios_per_seed": ratios,
            "test_accuracy": statistics.mean(accuracies), "test_accuracies": accuracies,
            "steps_per_execution": [r.get("steps_per_execution") for r in runs[key]],
        })
    # Another process busy on the machine skews the ratios (plain fit loses the most): say so.
    load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    return {"batch_size": batch_size, "epochs": epochs, "eager_epochs": eager_epochs, "seeds": list(seeds),
            "keras_steps_per_execution": steps_per_execution, "load_average_1min": load, "results": results}


def table(report: dict[str, Any]) -> str:
    base_accuracy = report["results"][0]["test_accuracy"]
    lines = [
        "| trainer | epochs × seeds | s/epoch (median after warm-up) | samples/s | × plain fit (mean) | "
        "× plain fit (min–max over seeds) | test accuracy (mean) | Δ accuracy (pp) | steps per call |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :--- |",
    ]
    for r in report["results"]:
        ratios = r["ratios_per_seed"]
        lines.append(
            f"| {r['name']} | {r['epochs']} × {r['seeds']} | {r['median_epoch_seconds']:.2f} | "
            f"{r['samples_per_second']:,.0f} | {r['ratio_vs_plain_fit']:.2f}× | "
            f"{min(ratios):.2f}–{max(ratios):.2f}× | {r['test_accuracy']:.4f} | "
            f"{100 * (r['test_accuracy'] - base_accuracy):+.2f} | {_steps_per_call(r)} |"
        )
    load = report.get("load_average_1min")
    if load:
        lines += ["", f"Load average (1 min) {load['before']:.2f} before, {load['after']:.2f} after "
                      f"({os.cpu_count()} CPUs); epochs (s): "
                      + "; ".join(f"{r['name']} {r['epoch_seconds']}" for r in report["results"])]
    return "\n".join(lines)


def _steps_per_call(result: dict[str, Any]) -> str:
    """What each run of a trainer ran per compiled call, e.g. "37, 36 (auto)"."""
    if result["name"] == LABELS["fit"]:
        return "1 (Keras's default)"
    values = [v for v in result.get("steps_per_execution") or [] if v]
    if not values:  # the eager loop: no compiled calls
        return "—"
    steps = ", ".join(str(v["steps"]) for v in values)
    return f"{steps} (auto)" if all(v.get("auto") for v in values) else steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per trainer, the first a warm-up (default 4)")
    parser.add_argument("--eager-epochs", type=int, default=2, help="epochs of the slow eager loop (default 2)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", default="1,2,3", help="one run of each trainer per seed (default 1,2,3)")
    parser.add_argument("--trainers", default=",".join(TRAINERS),
                        help=f"which to run, the first is the baseline (default {','.join(TRAINERS)})")
    parser.add_argument("--steps-per-execution", default="auto",
                        help="the app's keras trainer's steps per compiled call: auto or a whole number (default auto)")
    args = parser.parse_args(argv)
    report = run(args.epochs, args.eager_epochs, args.batch_size, trainers=tuple(args.trainers.split(",")),
                 seeds=tuple(int(s) for s in args.seeds.split(",")), steps_per_execution=args.steps_per_execution)
    print(table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
