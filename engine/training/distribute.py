"""Choosing a `tf.distribute` strategy: one device, all local devices, or several machines.

- "default": TensorFlow's default strategy (one device: the GPU if there is one).
- "mirrored": `MirroredStrategy` over every local GPU; with no GPU, over every logical
  CPU device (so it can be tried, and tested, on a CPU split into logical devices).
- "multiworker": `MultiWorkerMirroredStrategy` across the machines described by the
  `TF_CONFIG` environment variable (without it, this machine alone).
"""

from __future__ import annotations

from functools import lru_cache

from .._tf import tensorflow
from ..errors import ConfigError

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
        try:
            return tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as exc:  # TensorFlow's devices were initialised already
            raise ConfigError(
                "strategy",
                f"The multi-worker strategy must be set up before TensorFlow starts its devices ({exc}).",
                "Run it headless in a fresh process: fmnist-tui run train --strategy multiworker",
            ) from None
    return tf.distribute.get_strategy()


def describe_strategy(strategy) -> dict:
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy has no device list: it uses the default device
        devices = []
    name = type(strategy).__name__.lstrip("_").replace("DefaultDistributionStrategy", "DefaultStrategy")
    return {"class": name, "replicas": strategy.num_replicas_in_sync, "devices": devices}
