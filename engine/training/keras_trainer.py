"""Training the classifier the high-level way: `Sequential`, `compile` and `fit`."""

from __future__ import annotations

import threading
from pathlib import Path


from ..data import Dataset
from ..runner import Cancelled, CancelToken
from .config import TrainConfig
from .distribute import make_strategy
from .network import EVAL_BATCH_SIZE, build_keras_model
from .reporting import ModelReporter


def make_bridge_callback(reporter: ModelReporter, token: CancelToken):
    """A Keras callback that forwards progress to `reporter` and stops on cancel."""
    import keras

    class ProgressBridge(keras.callbacks.Callback):
        # Lets Keras run `on_train_batch_end` on its helper threads, as it does for plain
        # `fit`: otherwise it would turn every batch's metrics into Python floats on the
        # training thread, waiting for each step (measured: ~6% slower).
        async_safe = True

        def __init__(self) -> None:
            super().__init__()
            self._lock = threading.Lock()  # batch-end hooks may run on several threads

        def on_epoch_begin(self, epoch, logs=None):
            reporter.epoch_started(epoch + 1)

        def on_train_batch_begin(self, batch, logs=None):
            # Checked on the training thread before every batch. Raising (rather than
            # `stop_training`) stops at once: Keras would still evaluate the test set first.
            if token.cancelled:
                raise Cancelled()

        def on_test_batch_begin(self, batch, logs=None):
            if token.cancelled:
                raise Cancelled()

        def on_train_batch_end(self, batch, logs=None):
            step = batch + 1
            with self._lock:
                if reporter.wants_batch_event(step):
                    reporter.batch_done(step, {k: float(v) for k, v in (logs or {}).items()})

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            reporter.epoch_ended(
                {
                    "loss": logs["loss"],
                    "accuracy": logs["accuracy"],
                    "test_loss": logs["val_loss"],
                    "test_accuracy": logs["val_accuracy"],
                }
            )

    return ProgressBridge()


def epoch_batches(data: Dataset, config: TrainConfig, seed: int, first_epoch: int):
    """Training batches for epochs `first_epoch` … `config.epochs - 1` (0-based), each epoch in
    its own order drawn from (seed, epoch) alone, so a resumed run sees what an unbroken one would."""
    from .._tf import tensorflow

    tf = tensorflow()
    samples = len(data.x_train)
    images, labels = tf.constant(data.x_train), tf.constant(data.y_train)

    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(samples, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch + 1]))
        return tf.data.Dataset.from_tensor_slices(order).batch(config.batch_size)

    batches = tf.data.Dataset.range(first_epoch, config.epochs).flat_map(epoch_order)
    return batches.map(lambda idx: (tf.gather(images, idx), tf.gather(labels, idx)),
                       num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def train_keras(data: Dataset, config: TrainConfig, reporter: ModelReporter, token: CancelToken,
                seed: int | None = None):
    """Train from the model's last checkpoint (if any) to `config.epochs`; returns the model."""
    import keras

    seed = config.seed if seed is None else seed
    seed = 0 if seed is None else seed
    with make_strategy(config.strategy).scope():
        model = build_keras_model(config)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.optimizer.build(model.trainable_variables)
    reporter.checkpoint.track([*model.variables, *model.optimizer.variables])
    first_epoch = reporter.restore()
    if first_epoch >= config.epochs:
        return model
    model.fit(
        epoch_batches(data, config, seed, first_epoch),
        epochs=config.epochs,
        initial_epoch=first_epoch,
        shuffle=False,  # each epoch is already in its own order (epoch_batches)
        steps_per_epoch=reporter.steps,
        validation_data=(data.x_test, data.y_test),
        validation_batch_size=EVAL_BATCH_SIZE,
        callbacks=[make_bridge_callback(reporter, token)],
        verbose=0,
    )
    return model


def save_keras_model(model, path: Path) -> Path:
    """The whole model (architecture, weights, optimizer state) as one `.keras` file."""
    path = path.with_suffix(".keras")
    model.save(path)
    return path
