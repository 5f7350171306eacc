"""Training the classifier the high-level way: `Sequential`, `compile` and `fit`."""

from __future__ import annotations


from ..data import Dataset
from ..runner import Cancelled, CancelToken
from .config import TrainConfig
from .network import build_keras_model
from .reporting import ModelReporter


def make_bridge_callback(reporter: ModelReporter, token: CancelToken):
    """A Keras callback that forwards progress to `reporter` and stops on cancel."""
    import keras

    class ProgressBridge(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            reporter.epoch_started(epoch + 1)

        def on_train_batch_end(self, batch, logs=None):
            # Raising (rather than `stop_training`) stops at once: Keras would otherwise
            # still evaluate the test set before noticing.
            if token.cancelled:
                raise Cancelled()
            step = batch + 1
            if reporter.wants_batch_event(step):
                reporter.batch_done(step, {k: float(v) for k, v in (logs or {}).items()})

        def on_test_batch_end(self, batch, logs=None):
            if token.cancelled:
                raise Cancelled()

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
