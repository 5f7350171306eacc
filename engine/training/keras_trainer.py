"""Training the classifier the high-level way: `Sequential`, `compile` and `fit`."""

from __future__ import annotations

import threading


from ..data import Dataset
from ..runner import Cancelled, CancelToken
from .config import TrainConfig
from .distribute import make_strategy
from .network import build_keras_model
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


def train_keras(data: Dataset, config: TrainConfig, reporter: ModelReporter, token: CancelToken) -> None:
    import keras

    with make_strategy(config.strategy).scope():
        model = build_keras_model(config)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    model.fit(
        data.x_train,
        data.y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=(data.x_test, data.y_test),
        callbacks=[make_bridge_callback(reporter, token)],
        verbose=0,
    )
