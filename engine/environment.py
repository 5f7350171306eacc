"""A description of the machine a run used: versions, devices and CPU count, for summaries."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from ._tf import tensorflow


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def describe() -> dict[str, Any]:
    """Everything a reader needs to judge a run's figures; imports TensorFlow."""
    import numpy

    tf = tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    build = dict(tf.sysconfig.get_build_info())
    gpu_details = []
    for gpu in gpus:
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:  # not every build reports details
            details = {}
        gpu_details.append(
            {
                "name": gpu.name,
                "device_name": details.get("device_name", ""),
                "compute_capability": details.get("compute_capability"),
            }
        )
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "numpy": numpy.__version__,
        "cpu_count": cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "cuda_build": bool(build.get("is_cuda_build", False)),
        "cuda_version": build.get("cuda_version"),
        "cudnn_version": build.get("cudnn_version"),
        "devices": [d.name for d in tf.config.list_logical_devices()],
        "gpus": gpu_details,
        "device_in_use": "GPU:0" if gpus else "CPU:0",
        "executable": sys.executable,
    }


def describe_quickly() -> dict[str, Any]:
    """What the header shows, without starting TensorFlow's devices (a spare worker must not:
    memory growth and multi-worker set-up have to come first)."""
    tf = tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    names = []
    for gpu in gpus:
        try:
            names.append(tf.config.experimental.get_device_details(gpu).get("device_name") or gpu.name)
        except Exception:
            names.append(gpu.name)
    build = dict(tf.sysconfig.get_build_info())
    return {
        "tensorflow": tf.__version__,
        "cpu_count": cpu_count(),
        "cuda_build": bool(build.get("is_cuda_build", False)),
        "cuda_version": build.get("cuda_version"),
        "cudnn_version": build.get("cudnn_version"),
        "gpus": [{"name": gpu.name, "device_name": name} for gpu, name in zip(gpus, names)],
    }


def device_label(environment: dict[str, Any]) -> str:
    """A short label for headers: "TF 2.21.0 · CPU ×2" or "TF 2.21.0 · GPU: NVIDIA H200"."""
    tf_version = environment.get("tensorflow", "?")
    gpus = environment.get("gpus") or []
    if gpus:
        names = ", ".join(g.get("device_name") or g.get("name", "GPU") for g in gpus)
        return f"TF {tf_version} · GPU: {names}"
    return f"TF {tf_version} · CPU ×{environment.get('cpu_count', '?')} (no GPU)"
