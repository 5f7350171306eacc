"""Lazy access to TensorFlow, with its C++ logging quietened before the first import.

TensorFlow takes ~4 s to import and writes C++ log lines straight to file descriptor 2,
which would corrupt a full-screen terminal UI. Everything in the engine gets TensorFlow
through `tensorflow()` inside the function that needs it, never at module level.
"""

from __future__ import annotations

import os
from functools import lru_cache
from types import ModuleType


def quieten_tensorflow_logs() -> None:
    """Hide TensorFlow's INFO and WARNING C++ logs (must run before TensorFlow is imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@lru_cache(maxsize=1)
def tensorflow() -> ModuleType:
    quieten_tensorflow_logs()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf
