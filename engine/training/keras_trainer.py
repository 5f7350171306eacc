"""Training the classifier the high-level way: `Sequential`, `compile` and `fit`.

`fit` runs several training steps per compiled call (Keras's `steps_per_execution`): with
one step a call, every step also pays for a return to Python, the batch callbacks and the
hand-over of its batch. "auto" sizes the calls like the low-level trainer's chunks, to
about 0.1 s each, so that progress (reported between calls) and cancellation (checked
between calls) stay prompt. Under a strategy of several replicas Keras 3 cannot run
several steps a call (keras-team/keras#19246): one step a call there.

Under several workers (MultiWorkerMirroredStrategy) each worker's input pipeline makes only
its replicas' shares of every global batch; two places where Keras 3's `fit` breaks under
that strategy are worked around (`build_on_this_worker`, `multiworker_training_call`); and
the bridge callback stops on a cancel agreed between the workers (`StopCheck`), so that all
of them stop at the same step.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from .._tf import tensorflow
from ..data import Dataset
from ..errors import ConfigError
from ..runner import Cancelled, CancelToken
from .cluster import cluster_for, collective_failures
from .config import TrainConfig
from .distribute import adopt_chiefs_state, agree_on_stop, is_multiworker, make_strategy
from .evaluation import TestPredictions, test_set_evaluator
from .network import build_keras_model
from .reporting import ModelReporter


PROBE_STEPS = 8  # one-step calls timed together while measuring the step time ("auto")
PROBE_ROUNDS = 3  # of PROBE_STEPS calls, after the call that traces the function
# Under several workers, calls between two agreements on stopping (one costs about as much as a step)
STOP_AGREEMENT_CALLS = 25


class Executions:
    """The model's compiled training calls: `steps` steps each, and what is left of an epoch
    that `steps` does not divide.

    Keras walks an epoch in strides of `model.steps_per_execution`, and each call takes that
    many batches from the iterator. Here the iterator runs on into the next epoch (each
    epoch has its own order, see `epoch_batches`), so the epoch's last stride must take only
    what is left of the epoch: one-step calls, as many as are left (a function of its own
    would cost a trace, about a second). `function_for` gives the call for the stride that
    begins at a step; the bridge callback puts it in place before Keras makes the call.
    """

    def __init__(self, model, steps: int, steps_per_epoch: int, one_step: Callable | None = None) -> None:
        self.steps = steps
        self.last_begin = steps * ((steps_per_epoch - 1) // steps)  # where the epoch's last stride begins
        remainder = steps_per_epoch - self.last_begin
        one_step = one_step or training_calls(model, 1)  # traced on its first call, if any
        self._full = one_step if steps == 1 else training_calls(model, steps)
        self._last = None if remainder == steps else _repeated(one_step, remainder)
        # The stride of fit's epochs, and the test function's steps, are the model's value.
        model.steps_per_execution = steps
        model.train_function = self._full

    def function_for(self, begin: int) -> Callable:
        return self._last if self._last is not None and begin == self.last_begin else self._full


def training_calls(model, steps: int) -> Callable:
    """Keras's compiled training call, of `steps` steps whatever `model.steps_per_execution` says.

    Keras reads `model.steps_per_execution` when it traces the call (on its first use), so
    the value is set for the duration of every call.
    """
    model.make_train_function(force=True)
    function = model.train_function

    def call(iterator):
        previous, model.steps_per_execution = model.steps_per_execution, steps
        try:
            return function(iterator)
        finally:
            model.steps_per_execution = previous

    return call


def _repeated(call: Callable, times: int) -> Callable:
    def calls(iterator):
        for _ in range(times):
            logs = call(iterator)
        return logs

    return calls


def measure_steps_per_execution(model, batches, variables: Sequence[Any], token: CancelToken,
                                steps_per_epoch: int) -> tuple[int, Callable]:
    """Steps per call that take about `CHUNK_SECONDS` (at most an epoch's), measured on the
    model itself; and the one-step call it measured with, traced (for `Executions`).

    One-step calls on the run's first batches are timed, `PROBE_STEPS` at a time, and the
    fastest round decides (the others met noise). A step inside a one-step call costs a
    little more than inside a longer call (its call's own overhead: measured 8.6 against
    6-7.5 ms a step on a busy 2-core machine), so the calls come out somewhat shorter than
    the target, not longer; what several steps a call save is mostly the work between
    calls, in Python (plain `fit` spent 10-11 ms a step there). Every variable of the model
    and its optimizer (weights, Adam's state, the dropout seed) is then put back, so the
    training goes on as if nothing had run.
    """
    from .lowlevel_trainer import next_chunk_size

    saved = [v.numpy() for v in variables]
    probe = training_calls(model, 1)
    # Its own iterator, over and over the first batches (a short training has few).
    iterator = iter(model.distribute_strategy.experimental_distribute_dataset(batches.repeat()))
    fastest = float("inf")
    try:
        float(probe(iterator)["loss"])  # traces the function
        for _ in range(PROBE_ROUNDS):
            if token.cancelled:
                raise Cancelled()
            start = time.perf_counter()
            for _ in range(PROBE_STEPS):
                logs = probe(iterator)
            float(logs["loss"])  # waits for the last call to finish
            fastest = min(fastest, time.perf_counter() - start)
    finally:
        for variable, value in zip(variables, saved):
            variable.assign(value)
    return min(next_chunk_size(PROBE_STEPS, fastest), steps_per_epoch), probe


class StopCheck:
    """Whether to stop: this worker's cancel; under several workers, a cancel agreed between
    all of them (a collective operation) every `STOP_AGREEMENT_CALLS` calls and at every
    epoch's end, so that every worker stops at the same step."""

    def __init__(self, token: CancelToken, strategy=None) -> None:
        self.token = token
        self.strategy = strategy  # None: this worker decides alone

    def before_call(self, batch: int) -> bool:
        if self.strategy is None:
            return self.token.cancelled
        return batch % STOP_AGREEMENT_CALLS == 0 and agree_on_stop(self.strategy, self.token.cancelled)

    def at_epoch_end(self) -> bool:
        return self.token.cancelled if self.strategy is None else agree_on_stop(self.strategy, self.token.cancelled)


def make_bridge_callback(reporter: ModelReporter, token: CancelToken, evaluate: Callable[[], TestPredictions],
                         executions: Executions | None = None, stop: StopCheck | None = None):
    """A Keras callback that forwards progress to `reporter`, evaluates the test set at the end
    of every epoch (`evaluate`, in place of `fit`'s validation: it also gives the per-class
    figures) and stops on cancel (`stop`, by default this worker's own)."""
    import keras

    stop = stop or StopCheck(token)

    class ProgressBridge(keras.callbacks.Callback):
        # Lets Keras run `on_train_batch_end` on its helper threads, as it does for plain
        # `fit`: otherwise it would turn every batch's metrics into Python floats on the
        # training thread, waiting for each step (measured: ~6% slower).
        async_safe = True

        def __init__(self) -> None:
            super().__init__()
            self._lock = threading.Lock()  # batch-end hooks may run on several threads

        def on_epoch_begin(self, epoch, logs=None):
            if reporter.epoch != epoch + 1:  # the first epoch started before its calibration
                reporter.epoch_started(epoch + 1)

        def on_train_batch_begin(self, batch, logs=None):
            # Checked on the training thread before every call (of `steps_per_execution`
            # batches). Raising (rather than `stop_training`) stops at once: Keras would
            # still evaluate the test set first.
            if stop.before_call(batch):
                raise Cancelled()
            if executions is not None:
                self.model.train_function = executions.function_for(batch)

        def on_train_batch_end(self, batch, logs=None):
            # `batch` is the last step of the call's stride, which may reach past the epoch's end
            step = min(batch + 1, reporter.steps)
            with self._lock:
                if reporter.wants_batch_event(step):
                    reporter.batch_done(step, {k: float(v) for k, v in (logs or {}).items()})

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if stop.at_epoch_end():
                raise Cancelled()
            reporter.epoch_ended({"loss": logs["loss"], "accuracy": logs["accuracy"]}, evaluate())

    return ProgressBridge()


def batch_indices(samples: int, config: TrainConfig, seed: int, first_epoch: int):
    """The sample indices of every global batch of epochs `first_epoch` … `config.epochs - 1`
    (0-based), each epoch in its own order drawn from (seed, epoch) alone, so a resumed run
    sees what an unbroken one would."""
    tf = tensorflow()

    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(samples, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch + 1]))
        return tf.data.Dataset.from_tensor_slices(order).batch(config.batch_size)

    return tf.data.Dataset.range(first_epoch, config.epochs).flat_map(epoch_order)


def _gathered(indices, data: Dataset):
    """Batches of (images, labels) for a data set of index batches."""
    tf = tensorflow()
    images, labels = tf.constant(data.x_train), tf.constant(data.y_train)
    return indices.map(lambda idx: (tf.gather(images, idx), tf.gather(labels, idx)),
                       num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def epoch_batches(data: Dataset, config: TrainConfig, seed: int, first_epoch: int):
    """Training batches for epochs `first_epoch` … `config.epochs - 1` (see `batch_indices`)."""
    return _gathered(batch_indices(len(data.x_train), config, seed, first_epoch), data)


def worker_batches(data: Dataset, config: TrainConfig, seed: int, first_epoch: int, strategy):
    """Under several workers: each worker's pipeline makes only its own replicas' shares of
    every global batch, replica r taking the batch's samples r, r + R, … (R replicas in
    all), as the low-level trainer's steps do; nothing is made twice, nothing is left out."""
    def pipeline(context):
        local = context.num_replicas_in_sync // context.num_input_pipelines
        first = context.input_pipeline_id * local  # the global id of this worker's first replica
        indices = batch_indices(len(data.x_train), config, seed, first_epoch)
        return _gathered(replica_shares(indices, range(first, first + local), context.num_replicas_in_sync), data)

    return strategy.distribute_datasets_from_function(pipeline)


def replica_shares(indices, replicas: range, replica_count: int):
    """For every batch of `indices`, the share of each replica in `replicas` in turn (the
    order in which a worker's replicas take their input): replica r's share holds the
    batch's entries r, r + `replica_count`, …"""
    tf = tensorflow()
    ids = tf.data.Dataset.range(replicas.start, replicas.stop)
    return indices.flat_map(lambda batch: ids.map(lambda replica: batch[replica::replica_count]))


def build_on_this_worker(model, data: Dataset) -> None:
    """Keras 3's `fit` first averages a batch over the replicas to build the model's metrics,
    a `strategy.reduce` of an (images, labels) pair that MultiWorkerMirroredStrategy refuses
    (keras-team/keras#20585); have it build them from one local training sample instead,
    the same on every worker."""
    build = type(model)._maybe_symbolic_build
    sample = (data.x_train[:1], data.y_train[:1])
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: build(model, data_batch=sample)


def multiworker_training_call(model) -> Callable:
    """A training call of one step for several workers. Keras 3's own averages each figure
    (loss, accuracy) over the workers, over an axis that a scalar lacks under
    MultiWorkerMirroredStrategy (tensorflow/tensorflow#72388). This one gives this worker's
    running figures (its replicas' mean) without asking the others: two collective
    operations a step saved (a step took ~50 ms instead of ~16 on two local workers). The
    epoch's figures are the metrics' own, read over all the workers at its end."""
    tf = tensorflow()
    strategy = model.distribute_strategy

    @tf.function
    def call(iterator):
        logs = strategy.run(model.train_step, args=(next(iterator),))
        return {name: tf.reduce_mean(tf.stack(strategy.experimental_local_results(value)), axis=0)
                for name, value in logs.items()}

    return call


def check_steps_per_execution(config: TrainConfig, strategy) -> None:
    if strategy.num_replicas_in_sync > 1 and config.steps_per_execution not in ("auto", 1):
        raise ConfigError(
            "steps_per_execution",
            f"Steps per execution {config.steps_per_execution} does not work with {strategy.num_replicas_in_sync} "
            "replicas: Keras 3 fails to run several steps a call under a strategy of several devices "
            "(keras-team/keras#19246).",
            "Use auto (one step a call there) or 1.",
        )


def compiled_model(config: TrainConfig, strategy):
    """The Keras model, compiled, with its optimizer built; and every variable a checkpoint holds."""
    import keras

    with strategy.scope():
        model = build_keras_model(config)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.optimizer.build(model.trainable_variables)
    return model, [*model.variables, *model.optimizer.variables]


def train_keras(data: Dataset, config: TrainConfig, reporter: ModelReporter, token: CancelToken,
                seed: int | None = None):
    """Train from the model's last checkpoint (if any) to `config.epochs`; returns the model."""
    seed = config.seed if seed is None else seed
    seed = 0 if seed is None else seed
    strategy = make_strategy(config.strategy)
    check_steps_per_execution(config, strategy)
    with collective_failures(cluster_for(config.strategy), token):
        model, variables = compiled_model(config, strategy)
        reporter.checkpoint.track(variables)
        first_epoch = reporter.restore()
        if is_multiworker(strategy):
            first_epoch = adopt_chiefs_state(strategy, variables, first_epoch)
        if first_epoch < config.epochs:
            _fit(model, data, config, seed, first_epoch, reporter, token, variables)
    return model


def _training_calls_for(model, data: Dataset, config: TrainConfig, batches, variables: Sequence[Any],
                        token: CancelToken, steps_per_epoch: int) -> tuple[int, Callable | None]:
    """The steps of each compiled call, and the one-step call when there is one already."""
    strategy = model.distribute_strategy
    if is_multiworker(strategy):
        build_on_this_worker(model, data)
        return 1, multiworker_training_call(model)
    if strategy.num_replicas_in_sync > 1:  # one step a call (see above)
        return 1, None
    if config.steps_per_execution == "auto":
        return measure_steps_per_execution(model, batches, variables, token, steps_per_epoch)
    return int(config.steps_per_execution), None


def _fit(model, data: Dataset, config: TrainConfig, seed: int, first_epoch: int, reporter: ModelReporter,
         token: CancelToken, variables: Sequence[Any]) -> None:
    strategy = model.distribute_strategy
    several_workers = is_multiworker(strategy)
    if several_workers:
        batches = worker_batches(data, config, seed, first_epoch, strategy)
    else:
        batches = epoch_batches(data, config, seed, first_epoch)
    # The first epoch's clock starts now: measuring the step time is part of its cost.
    reporter.epoch_started(first_epoch + 1)
    steps, one_step = _training_calls_for(model, data, config, batches, variables, token, reporter.steps)
    executions = Executions(model, steps, reporter.steps, one_step)
    evaluate = test_set_evaluator(lambda images: model(images, training=False), data.x_test, data.y_test)
    reporter.set_steps_per_execution(steps, config.steps_per_execution == "auto")
    stop = StopCheck(token, strategy if several_workers else None)
    model.fit(
        batches,
        epochs=config.epochs,
        initial_epoch=first_epoch,
        shuffle=False,  # each epoch is already in its own order (batch_indices)
        steps_per_epoch=reporter.steps,
        callbacks=[make_bridge_callback(reporter, token, evaluate, executions, stop)],
        verbose=0,
    )


def save_keras_model(model, path: Path) -> Path:
    """The whole model (architecture, weights, optimizer state) as one `.keras` file."""
    path = path.with_suffix(".keras")
    model.save(path)
    return path
