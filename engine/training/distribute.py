"""Choosing a `tf.distribute` strategy: one device, all local devices, or several machines.

- "default": TensorFlow's default strategy (one device: the GPU if there is one).
- "mirrored": `MirroredStrategy` over every local GPU; with no GPU, over every logical
  CPU device (so it can be tried, and tested, on a CPU split into logical devices).
- "multiworker": `MultiWorkerMirroredStrategy` across the machines described by the
  `TF_CONFIG` environment variable (without it, this machine alone). Its collective
  operations time out (`cluster.collective_timeout`), so a lost worker fails the run
  instead of hanging it.

Under several workers, whatever decides which collective operations a worker makes (how
many steps the next compiled call runs, whether to stop) must be the same on every worker:
`agree` makes it so, in one small all-reduce.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Sequence

from .._tf import tensorflow
from ..errors import ConfigError
from . import cluster as cluster_lib

STRATEGIES = ("default", "mirrored", "multiworker")


@lru_cache(maxsize=None)
def make_strategy(name: str):
    """One strategy object per name per process (TensorFlow allows one multi-worker setup)."""
    tf = tensorflow()
    if name == "mirrored":
        if tf.config.list_logical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    if name == "multiworker":
        return _multiworker_strategy()
    return tf.distribute.get_strategy()


def _multiworker_strategy():
    tf = tensorflow()
    cluster = cluster_lib.cluster_from_environment()  # a malformed TF_CONFIG says so here
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=cluster_lib.collective_timeout())

    if cluster is not None:
        cluster_lib.wait_for_workers(cluster, cluster_lib.join_timeout())  # not forever, and interruptible
    try:
        with signal_actions_kept((signal.SIGTERM, signal.SIGINT)):
            return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    except RuntimeError as exc:  # TensorFlow's devices were initialised already
        raise ConfigError(
            "strategy",
            f"The multi-worker strategy must be set up before TensorFlow starts its devices ({exc}).",
            "Run it headless in a fresh process: fmnist-tui run train --strategy multiworker",
        ) from None


SIGACTION_BYTES = 512  # more than any libc's `struct sigaction` (152 bytes with glibc on x86-64)


@contextmanager
def signal_actions_kept(signals: Sequence[int]) -> Iterator[None]:
    """Put back the process's own handlers of `signals` afterwards. Setting up the multi-worker
    strategy starts TensorFlow's coordination service, which replaces the SIGTERM handler
    with one that only notes the signal (for its preemption handling): SIGTERM would no
    longer stop the worker. `signal.signal` only works on the main thread and the strategy
    is made on the task's, so the handlers are saved and restored with libc's `sigaction`."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        saved = {}
        for signum in signals:
            action = ctypes.create_string_buffer(SIGACTION_BYTES)
            if libc.sigaction(signum, None, action) == 0:
                saved[signum] = action
    except (ImportError, OSError, AttributeError):  # no libc sigaction (Windows): nothing to keep
        yield
        return
    try:
        yield
    finally:
        for signum, action in saved.items():
            libc.sigaction(signum, action, None)


def is_multiworker(strategy) -> bool:
    """Whether the strategy's collective operations may span several processes."""
    return isinstance(strategy, tensorflow().distribute.MultiWorkerMirroredStrategy)


def agree(strategy, values: Sequence[float]) -> list[float]:
    """Each value summed over the workers, the same on every worker (one all-reduce; every
    worker must call this at the same point). Whole numbers up to 2**53 stay exact."""
    tf = tensorflow()
    local = tf.constant(values, tf.float64)
    zeros = tf.zeros_like(local)
    local_replicas = len(strategy.extended.worker_devices)

    def contribution(context):  # once per worker: from its first local replica
        return local if context.replica_id_in_sync_group % local_replicas == 0 else zeros

    per_replica = strategy.experimental_distribute_values_from_function(contribution)
    return [float(v) for v in strategy.reduce("SUM", per_replica, axis=None).numpy()]


def worker_count(strategy) -> int:
    return max(1, strategy.num_replicas_in_sync // max(1, len(strategy.extended.worker_devices)))


def agree_on_pace(strategy, steps: int, stop: bool) -> tuple[int, bool]:
    """The steps of the next compiled call (the workers' proposals averaged) and whether to
    stop (any worker asked), the same on every worker."""
    total_steps, stops = agree(strategy, [steps, 1.0 if stop else 0.0])
    return max(1, int(total_steps) // worker_count(strategy)), stops > 0


def agree_on_stop(strategy, stop: bool) -> bool:
    """Whether any worker asks to stop (every worker must ask at the same point)."""
    return agree(strategy, [1.0 if stop else 0.0])[0] > 0


def adopt_chiefs_state(strategy, variables: Sequence, completed_epochs: int) -> int:
    """Every worker takes the chief's epochs completed and, when it has resumed some, its
    variables' values: only the chief holds the run's checkpoint, and workers starting at
    different epochs would make different collective calls."""
    tf = tensorflow()
    epochs = int(_from_chief(strategy, tf.constant(float(completed_epochs), tf.float64)).numpy())
    if epochs:
        for variable in variables:
            value = _from_chief(strategy, tf.cast(tf.convert_to_tensor(variable), tf.float64))
            variable.assign(tf.cast(value, variable.dtype))
    return epochs


def _from_chief(strategy, local):
    """The chief's `local` on every worker (a sum in which only the chief's first replica counts)."""
    tf = tensorflow()
    zeros = tf.zeros_like(local)
    per_replica = strategy.experimental_distribute_values_from_function(
        lambda context: local if context.replica_id_in_sync_group == 0 else zeros)
    return strategy.reduce("SUM", per_replica, axis=None)


def describe_strategy(strategy) -> dict:
    """The strategy in the run's summary: its class, replicas and devices, and under
    several workers the cluster (workers, replicas, hosts)."""
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy has no device list: it uses the default device
        devices = []
    name = type(strategy).__name__.lstrip("_").replace("DefaultDistributionStrategy", "DefaultStrategy")
    name = name.replace("CollectiveAllReduceStrategy", "MultiWorkerMirroredStrategy")  # its public name
    description = {"class": name, "replicas": strategy.num_replicas_in_sync, "devices": devices}
    if is_multiworker(strategy):
        cluster = cluster_lib.cluster_from_environment()
        if cluster is not None:
            description["cluster"] = cluster.describe(strategy.num_replicas_in_sync)
    return description
