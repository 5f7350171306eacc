"""Training the same classifier the low-level way: `tf.Variable`s, `GradientTape` and Adam.

The weights are plain variables initialised like Keras's `Dense` (Glorot-uniform kernels,
zero biases); one training step is compiled with `tf.function`; the input pipeline is
`tf.data`; running loss and accuracy come from `tf.metrics`.
"""

from __future__ import annotations

import math

from .._tf import tensorflow
from ..data import Dataset
from ..runner import Cancelled, CancelToken
from .config import TrainConfig
from .network import CLASSES, INPUT_FEATURES
from .reporting import ModelReporter

EVAL_BATCH_SIZE = 1024  # evaluation only: the batch size does not change the results


class DenseClassifier:
    """Flatten → Dense(hidden, relu) → Dropout → Dense(10, softmax) as bare variables."""

    def __init__(self, hidden_units: int, dropout: float, seed: int | None) -> None:
        tf = tensorflow()
        self.dropout = dropout
        self.w1 = tf.Variable(_glorot_uniform(INPUT_FEATURES, hidden_units, seed), name="w1")
        self.b1 = tf.Variable(tf.zeros([hidden_units]), name="b1")
        self.w2 = tf.Variable(_glorot_uniform(hidden_units, CLASSES, None if seed is None else seed + 1), name="w2")
        self.b2 = tf.Variable(tf.zeros([CLASSES]), name="b2")

    @property
    def variables(self):
        return [self.w1, self.b1, self.w2, self.b2]

    def logits(self, images, training: bool):
        tf = tensorflow()
        x = tf.reshape(images, [-1, INPUT_FEATURES])
        hidden = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
        if training and self.dropout > 0:
            hidden = tf.nn.dropout(hidden, rate=self.dropout)
        return tf.matmul(hidden, self.w2) + self.b2

    def __call__(self, images, training: bool = False):
        return tensorflow().nn.softmax(self.logits(images, training))


def _glorot_uniform(fan_in: int, fan_out: int, seed: int | None):
    tf = tensorflow()
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return tf.random.uniform([fan_in, fan_out], -limit, limit, dtype=tf.float32, seed=seed)


def train_lowlevel(data: Dataset, config: TrainConfig, reporter: ModelReporter, token: CancelToken) -> None:
    tf = tensorflow()
    model = DenseClassifier(config.hidden_units, config.dropout, config.seed)
    optimizer = tf.optimizers.Adam(learning_rate=config.learning_rate)
    # Cross-entropy from the logits: the same loss as softmax + cross-entropy, computed stably.
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_loss, test_loss = tf.metrics.Mean(), tf.metrics.Mean()
    train_accuracy = tf.metrics.SparseCategoricalAccuracy()
    test_accuracy = tf.metrics.SparseCategoricalAccuracy()

    train_ds = (
        tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
        .shuffle(len(data.x_train), seed=config.seed, reshuffle_each_iteration=True)
        .batch(config.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    test_ds = tf.data.Dataset.from_tensor_slices((data.x_test, data.y_test)).batch(EVAL_BATCH_SIZE)

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model.logits(images, training=True)
            loss = loss_fn(labels, logits)
        gradients = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(zip(gradients, model.variables))
        train_loss.update_state(loss, sample_weight=tf.shape(labels)[0])
        train_accuracy.update_state(labels, logits)

    @tf.function
    def test_step(images, labels):
        logits = model.logits(images, training=False)
        test_loss.update_state(loss_fn(labels, logits), sample_weight=tf.shape(labels)[0])
        test_accuracy.update_state(labels, logits)

    for epoch in range(1, config.epochs + 1):
        for metric in (train_loss, train_accuracy, test_loss, test_accuracy):
            metric.reset_state()
        reporter.epoch_started(epoch)
        for step, (images, labels) in enumerate(train_ds, start=1):
            if token.cancelled:
                raise Cancelled()
            train_step(images, labels)
            if reporter.wants_batch_event(step):
                reporter.batch_done(
                    step, {"loss": float(train_loss.result()), "accuracy": float(train_accuracy.result())}
                )
        for images, labels in test_ds:
            if token.cancelled:
                raise Cancelled()
            test_step(images, labels)
        reporter.epoch_ended(
            {
                "loss": float(train_loss.result()),
                "accuracy": float(train_accuracy.result()),
                "test_loss": float(test_loss.result()),
                "test_accuracy": float(test_accuracy.result()),
            }
        )
