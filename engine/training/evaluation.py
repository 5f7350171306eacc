"""The end-of-epoch pass over the test set that both trainers share.

One compiled call gives every test image's predicted class and its probability, and the
mean test loss; accuracy, the confusion matrix, the per-class scores and the mistakes all
come from those (`class_figures`), so the per-class figures cost the trainers nothing but
a few NumPy operations. Computed with the variables' values as they are (in cross-replica
context under a strategy: no collective operation, every worker computes the same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._tf import tensorflow
from .network import EVAL_BATCH_SIZE


@dataclass(frozen=True)
class TestPredictions:
    """A model's predictions on the test set at the end of an epoch."""

    labels: np.ndarray  # true classes
    images: np.ndarray  # as the model saw them (floats in [0, 1])
    predicted: np.ndarray  # the most probable class of each image
    confidence: np.ndarray  # its probability
    loss: float  # mean cross-entropy

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.predicted == self.labels)) if len(self.labels) else float("nan")


def test_set_evaluator(probabilities: Callable, images: np.ndarray, labels: np.ndarray) -> Callable[[], TestPredictions]:
    """A function that evaluates the model on the test set; `probabilities(batch)` is the
    model's forward pass in inference mode (class probabilities, shape (n, 10)).

    The batches run inside one `tf.function` (a loop over fixed-size slices, so memory
    stays bounded whatever the test set's size).
    """
    tf = tensorflow()
    test_images = tf.constant(images)
    test_labels = tf.constant(labels.astype("int64"))
    count = len(labels)
    batches = math.ceil(count / EVAL_BATCH_SIZE)

    @tf.function
    def evaluate():
        predicted = tf.TensorArray(tf.int64, size=0, dynamic_size=True, infer_shape=False)
        confidence = tf.TensorArray(tf.float32, size=0, dynamic_size=True, infer_shape=False)
        loss_sum = tf.constant(0.0, tf.float64)
        for index in tf.range(batches):
            start = index * EVAL_BATCH_SIZE
            probs = probabilities(test_images[start:start + EVAL_BATCH_SIZE])
            truth = test_labels[start:start + EVAL_BATCH_SIZE]
            chosen = tf.gather(probs, truth, batch_dims=1)
            # Keras's cross-entropy on probabilities clips them the same way
            loss_sum += tf.reduce_sum(tf.cast(-tf.math.log(tf.clip_by_value(chosen, 1e-7, 1.0 - 1e-7)), tf.float64))
            predicted = predicted.write(index, tf.argmax(probs, axis=1))
            confidence = confidence.write(index, tf.reduce_max(probs, axis=1))
        return predicted.concat(), confidence.concat(), loss_sum / max(count, 1)

    def run() -> TestPredictions:
        predicted, confidence, loss = evaluate()
        return TestPredictions(labels=labels, images=images, predicted=predicted.numpy(),
                               confidence=confidence.numpy(), loss=float(loss))

    return run
