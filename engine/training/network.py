"""The network both trainers build: Flatten → Dense(hidden, relu) → Dropout → Dense(10, softmax)."""

from __future__ import annotations

import math

from .config import TrainConfig

INPUT_SHAPE = (28, 28)
INPUT_FEATURES = 28 * 28
CLASSES = 10
EVAL_BATCH_SIZE = 1024  # evaluation only: the batch size does not change the results


def steps_per_epoch(samples: int, batch_size: int) -> int:
    return math.ceil(samples / batch_size)


def seed_everything(seed: int | None) -> None:
    """Python, NumPy and TensorFlow seeds in one call (Keras's helper does all three)."""
    if seed is not None:
        import keras

        keras.utils.set_random_seed(seed)


def build_keras_model(config: TrainConfig):
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(config.hidden_units, activation="relu"),
            keras.layers.Dropout(config.dropout),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ],
        name="fmnist_keras",
    )
