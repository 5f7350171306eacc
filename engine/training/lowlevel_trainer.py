"""Training the same classifier the low-level way: `tf.Variable`s, `GradientTape` and Adam.

The weights are plain variables initialised like Keras's `Dense` (Glorot-uniform kernels,
zero biases); running loss and accuracy come from `tf.metrics`. For speed (measured with
`bench/train_throughput.py`: about 2.2× plain Keras `fit` on 2 CPU cores):
- the images stay on the device (a non-trainable variable); a `tf.data` pipeline gives
  each epoch's shuffled order of sample indices, and each step slices its batch of
  indices from it and gathers the images in-graph;
- Python does not drive every batch: one `tf.function` runs a chunk of steps, sized to
  take about 0.1 s, so progress and cancellation stay prompt;
- on one device each step is compiled with XLA.
Its randomness is stateless: each epoch's order comes from (seed, epoch) and each step's
dropout mask from (seed, global step), so a run resumed from a checkpoint (weights and
Adam's state) continues exactly as the unbroken run would.
Under a distribution strategy each step runs on every replica (`strategy.run`), each
replica taking its share of the global batch, and the loss is averaged over the global
batch. Under several workers every worker must make the same collective operations in the
same order: the metrics are read at the end of every call, inside it, and the next call's
size and whether to stop are agreed between the workers after every call, not taken from
each worker's own clock and cancel flag.
"""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path

from .._tf import tensorflow
from ..data import Dataset
from ..runner import Cancelled, CancelToken
from .config import TrainConfig
from .cluster import cluster_for, collective_failures
from .distribute import adopt_chiefs_state, agree_on_pace, is_multiworker, make_strategy
from .evaluation import test_set_evaluator
from .network import CLASSES, INPUT_FEATURES
from .reporting import ModelReporter

CHUNK_SECONDS = 0.1  # target wall time of one call to the compiled training loop
# Under several workers each call ends with the metric reads and an agreement between the
# workers, ~10 ms together over gRPC on one machine: longer calls keep that to a few percent.
MULTIWORKER_CHUNK_SECONDS = 0.3
MAX_STEPS_PER_CALL = 512


class DenseClassifier:
    """Flatten → Dense(hidden, relu) → Dropout → Dense(10, softmax) as bare variables."""

    def __init__(self, hidden_units: int, dropout: float, seed: int | None, rng_alg: str = "threefry") -> None:
        tf = tensorflow()
        self.dropout = dropout
        self.rng_alg = rng_alg  # of the dropout masks (see LowLevelTraining)
        self.w1 = tf.Variable(_glorot_uniform(INPUT_FEATURES, hidden_units, seed), name="w1")
        self.b1 = tf.Variable(tf.zeros([hidden_units]), name="b1")
        self.w2 = tf.Variable(_glorot_uniform(hidden_units, CLASSES, None if seed is None else seed + 1), name="w2")
        self.b2 = tf.Variable(tf.zeros([CLASSES]), name="b2")

    @property
    def variables(self):
        return [self.w1, self.b1, self.w2, self.b2]

    def logits(self, images, dropout_seed=None):
        """The logits; with a `dropout_seed` (a stateless seed pair), as in training."""
        tf = tensorflow()
        x = tf.reshape(images, [-1, INPUT_FEATURES])
        hidden = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
        if dropout_seed is not None and self.dropout > 0:
            hidden = tf.nn.experimental.stateless_dropout(hidden, rate=self.dropout, seed=dropout_seed,
                                                          rng_alg=self.rng_alg)
        return tf.matmul(hidden, self.w2) + self.b2

    def __call__(self, images):
        return tensorflow().nn.softmax(self.logits(images))

    def save(self, path: Path) -> Path:
        """A SavedModel whose `serve` signature maps (n, 28, 28) images to class probabilities."""
        tf = tensorflow()
        module = tf.Module()
        module.variables_ = self.variables
        module.serve = tf.function(self.__call__, input_signature=[tf.TensorSpec([None, 28, 28], tf.float32)])
        tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
        return path


def _glorot_uniform(fan_in: int, fan_out: int, seed: int | None):
    tf = tensorflow()
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return tf.random.uniform([fan_in, fan_out], -limit, limit, dtype=tf.float32, seed=seed)


def next_chunk_size(steps: int, seconds: float, target: float = CHUNK_SECONDS) -> int:
    """Steps for the next call so that it takes about `target` seconds."""
    if seconds <= 0:
        return min(steps * 2, MAX_STEPS_PER_CALL)
    return max(1, min(MAX_STEPS_PER_CALL, round(steps * target / seconds)))


class LowLevelTraining:
    """The model, its optimizer and the compiled training calls of one low-level training."""

    def __init__(self, data: Dataset, config: TrainConfig, seed: int) -> None:
        tf = tensorflow()
        self.config = config
        self.seed = seed
        self.strategy = strategy = make_strategy(config.strategy)
        self.several_workers = is_multiworker(strategy)
        self.samples = len(data.x_train)
        self.steps_per_epoch = math.ceil(self.samples / config.batch_size)
        with strategy.scope():
            # On the device once, instead of copying every batch from host memory.
            images = tf.Variable(data.x_train, trainable=False, name="train_images")
            labels = tf.Variable(data.y_train.astype("int32"), trainable=False, name="train_labels")
            # ThreeFry under XLA (one device): on a CPU, 45 µs a mask against 3.5 ms for the default
            # algorithm (2,000 masks of 64×512, 2-core AVX2 machine). Without XLA (several
            # replicas) only Philox has a kernel.
            rng_alg = "threefry" if strategy.num_replicas_in_sync == 1 else "philox"
            self.model = DenseClassifier(config.hidden_units, config.dropout, seed, rng_alg)
            self.optimizer = tf.optimizers.Adam(learning_rate=config.learning_rate)
            self.optimizer.build(self.model.variables)  # its slots now, not lazily inside the compiled step
            self.train_loss = tf.metrics.Mean()
            self.train_accuracy = tf.metrics.SparseCategoricalAccuracy()
        self.train_steps = self._compile_training(images, labels)
        self.evaluate = test_set_evaluator(self.model, data.x_test, data.y_test)

    @property
    def variables(self) -> list:
        """Everything a checkpoint must hold: the model's and the optimizer's variables."""
        return [*self.model.variables, *self.optimizer.variables]

    def _compile_training(self, images, labels):
        """`train_steps(order, epoch, first, steps)`: steps `first` … `first + steps - 1` of the
        epoch, batches sliced from `order` in-graph, each step on every replica."""
        tf = tensorflow()
        model, optimizer, strategy, batch_size = self.model, self.optimizer, self.strategy, self.config.batch_size
        seed_tensor = tf.constant(self.seed, tf.int64)
        # Per-example losses from the logits (the stable form of softmax + cross-entropy),
        # averaged over the global batch below.
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")

        # One device: compile each step with XLA, which fuses the ~80 small ops of a step
        # (dropout, loss, Adam's updates, metrics) into a few kernels. Several replicas: plain
        # graph mode, since the step then holds the cross-replica gradient reduction.
        @tf.function(jit_compile=strategy.num_replicas_in_sync == 1)
        def train_step(indices, global_step):
            # `indices` is the global batch; each replica trains on its share of it.
            replica = tf.distribute.get_replica_context()
            indices = indices[replica.replica_id_in_sync_group::replica.num_replicas_in_sync]
            batch_images, batch_labels = tf.gather(images, indices), tf.gather(labels, indices)
            dropout_seed = tf.stack([seed_tensor + tf.cast(replica.replica_id_in_sync_group, tf.int64), global_step])
            with tf.GradientTape() as tape:
                logits = model.logits(batch_images, dropout_seed)
                per_example = loss_fn(batch_labels, logits)
                loss = tf.nn.compute_average_loss(per_example)  # ÷ global batch size
            gradients = tape.gradient(loss, model.variables)
            optimizer.apply_gradients(zip(gradients, model.variables))
            self.train_loss.update_state(per_example)
            self.train_accuracy.update_state(batch_labels, logits)

        @tf.function
        def train_steps(order, epoch, first, steps):
            for step in tf.range(first, first + steps):
                indices = order[step * batch_size:(step + 1) * batch_size]
                global_step = tf.cast(epoch, tf.int64) * 1_000_000 + tf.cast(step, tf.int64)
                strategy.run(train_step, args=(indices, global_step))
            # The running figures, read here on every worker (a collective operation under
            # several workers), so the caller needs no reads of its own.
            return self.train_loss.result(), self.train_accuracy.result()

        return train_steps

    def epoch_order(self, epoch: int):
        """The epoch's order of the training samples, from (seed, epoch) alone."""
        tf = tensorflow()
        return tf.random.experimental.stateless_shuffle(
            tf.range(self.samples, dtype=tf.int64), seed=tf.constant([self.seed, epoch], tf.int64))

    def train_epoch(self, epoch: int, reporter: ModelReporter, token: CancelToken,
                    chunk: int) -> tuple[int, list[int], dict[str, float]]:
        """One epoch, in calls of about `CHUNK_SECONDS`; returns the next call's size, the
        steps of each call that the epoch's end did not cut short, and the epoch's training
        loss and accuracy."""
        tf = tensorflow()
        self.train_loss.reset_state()
        self.train_accuracy.reset_state()
        order = self.epoch_order(epoch)
        done, calls, figures = 0, [], {}
        while done < self.steps_per_epoch:
            if token.cancelled and not self.several_workers:
                raise Cancelled()
            steps = min(chunk, self.steps_per_epoch - done)
            if steps == chunk or not calls:
                calls.append(steps)
            start = time.perf_counter()
            loss, accuracy = self.train_steps(order, tf.constant(epoch), tf.constant(done), tf.constant(steps))
            figures = {"loss": float(loss), "accuracy": float(accuracy)}  # waits for the call to finish
            done += steps
            chunk = self._next_chunk(steps, time.perf_counter() - start, token)
            if reporter.wants_batch_event(done):
                reporter.batch_done(done, figures)
        return chunk, calls, figures

    def _next_chunk(self, steps: int, seconds: float, token: CancelToken) -> int:
        """The next call's steps; under several workers, agreed between them together with
        whether to stop (any worker's cancel stops them all after the same call)."""
        if not self.several_workers:
            return next_chunk_size(steps, seconds)
        proposal = next_chunk_size(steps, seconds, MULTIWORKER_CHUNK_SECONDS)
        chunk, stop = agree_on_pace(self.strategy, proposal, token.cancelled)
        if stop:
            raise Cancelled()
        return chunk


def train_lowlevel(data: Dataset, config: TrainConfig, reporter: ModelReporter, token: CancelToken,
                   seed: int | None = None) -> DenseClassifier:
    """Train from the model's last checkpoint (if any) to `config.epochs`; returns the model."""
    seed = config.seed if seed is None else seed
    with collective_failures(cluster_for(config.strategy), token):
        training = LowLevelTraining(data, config, 0 if seed is None else seed)
        reporter.checkpoint.track(training.variables)
        first_epoch = reporter.restore()
        if training.several_workers:
            first_epoch = adopt_chiefs_state(training.strategy, training.variables, first_epoch)
        chunk = 8  # grows to ~0.1 s worth of steps after the first (tracing) call
        for epoch in range(first_epoch + 1, config.epochs + 1):
            reporter.epoch_started(epoch)
            chunk, calls, figures = training.train_epoch(epoch, reporter, token, chunk)
            if token.cancelled and not training.several_workers:
                raise Cancelled()
            reporter.set_steps_per_execution(statistics.median_low(calls), auto=True)
            reporter.epoch_ended(figures, training.evaluate())
    return training.model
