"""Benchmark: training throughput of the two trainers against plain Keras `fit`, in one process.

    .venv/bin/python bench/train_throughput.py [--epochs 4] [--eager-epochs 2] [--batch-size 64]

Runs, on the real Fashion-MNIST with the original hyperparameters:
  1. the original exercise's eager low-level loop (GradientTape, no tf.function),
  2. plain Keras `fit` (no callbacks),
  3. the app's keras trainer (with the progress callback that feeds the UI),
  4. the app's lowlevel trainer.
The first epoch of each is a warm-up (tracing, compilation) and is not counted; the
figure is the median of the other epochs. Every epoch includes evaluating the test set.
Prints a ratio table against plain `fit`; returns the results as a dict.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

from fmnist_tui.engine._tf import tensorflow
from fmnist_tui.engine.data import Dataset, load_fashion_mnist
from fmnist_tui.engine.runner import CancelToken
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.network import build_keras_model, seed_everything, steps_per_epoch
from fmnist_tui.engine.training.reporting import ModelReporter


def _result(name: str, epoch_seconds: list[float], test_accuracy: float) -> dict[str, Any]:
    """One run of one trainer: its epochs' wall times and its final test accuracy."""
    return {"name": name, "epochs": len(epoch_seconds), "epoch_seconds": [round(s, 3) for s in epoch_seconds],
            "test_accuracy": test_accuracy}


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
    return _result(f"app {name} trainer", seconds, record["test_accuracy"])


TRAINERS = ("fit", "keras", "lowlevel", "eager")
LABELS = {"fit": "plain Keras fit", "keras": "app keras trainer", "lowlevel": "app lowlevel trainer",
          "eager": "original eager loop"}


def run(epochs: int = 4, eager_epochs: int = 2, batch_size: int = 64, data: Dataset | None = None,
        trainers: tuple[str, ...] = TRAINERS, seeds: tuple[int, ...] = (1, 2, 3)) -> dict[str, Any]:
    """Each trainer once per seed, interleaved (so drift in the machine hits all alike).

    Time: the median over every measured epoch (each run's first epoch is a warm-up).
    Accuracy: the mean over seeds of the final test accuracy — one seed's accuracy after a
    few epochs varies by more than half a point, so a single run cannot show "equal".
    """
    from fmnist_tui.engine.training.keras_trainer import train_keras
    from fmnist_tui.engine.training.lowlevel_trainer import train_lowlevel

    data = data or load_fashion_mnist()
    benches = {
        "fit": lambda c: plain_fit(data, c, epochs),
        "keras": lambda c: app_trainer("keras", train_keras, data, c, epochs),
        "lowlevel": lambda c: app_trainer("lowlevel", train_lowlevel, data, c, epochs),
        "eager": lambda c: original_eager_loop(data, c, eager_epochs),
    }
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in trainers}
    for index, seed in enumerate(seeds):
        config = TrainConfig.parse({"epochs": epochs, "batch_size": batch_size, "seed": seed})
        for key in trainers:
            if key == "eager" and index:  # ~25 s an epoch: one seed is enough to show its speed
                continue
            print(f"… {LABELS[key]}, seed {seed}", flush=True)
            runs[key].append(benches[key](config))
    results = []
    for key in trainers:
        measured = [s for r in runs[key] for s in (r["epoch_seconds"][1:] or r["epoch_seconds"])]
        median = statistics.median(measured)
        accuracies = [r["test_accuracy"] for r in runs[key]]
        results.append({
            "name": LABELS[key], "epochs": runs[key][0]["epochs"], "seeds": len(runs[key]),
            "epoch_seconds": [r["epoch_seconds"] for r in runs[key]],
            "median_epoch_seconds": median, "samples_per_second": len(data.x_train) / median,
            "test_accuracy": statistics.mean(accuracies), "test_accuracies": accuracies,
        })
    baseline = results[0]["samples_per_second"]
    for result in results:
        result["ratio_vs_plain_fit"] = result["samples_per_second"] / baseline
    return {"batch_size": batch_size, "epochs": epochs, "eager_epochs": eager_epochs, "seeds": list(seeds),
            "results": results}


def table(report: dict[str, Any]) -> str:
    base_accuracy = report["results"][0]["test_accuracy"]
    lines = [
        "| trainer | epochs × seeds | s/epoch (median after warm-up) | samples/s | × plain fit | "
        "test accuracy (mean) | Δ accuracy (pp) |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['name']} | {r['epochs']} × {r['seeds']} | {r['median_epoch_seconds']:.2f} | "
            f"{r['samples_per_second']:,.0f} | {r['ratio_vs_plain_fit']:.2f}× | {r['test_accuracy']:.4f} | "
            f"{100 * (r['test_accuracy'] - base_accuracy):+.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per trainer, the first a warm-up (default 4)")
    parser.add_argument("--eager-epochs", type=int, default=2, help="epochs of the slow eager loop (default 2)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", default="1,2,3", help="one run of each trainer per seed (default 1,2,3)")
    parser.add_argument("--trainers", default=",".join(TRAINERS),
                        help=f"which to run, the first is the baseline (default {','.join(TRAINERS)})")
    args = parser.parse_args(argv)
    report = run(args.epochs, args.eager_epochs, args.batch_size, trainers=tuple(args.trainers.split(",")),
                 seeds=tuple(int(s) for s in args.seeds.split(",")))
    print(table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
