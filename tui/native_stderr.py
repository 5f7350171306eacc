"""Keeps native (C++) log lines off the terminal while a front end draws on it.

TensorFlow prints some lines to file descriptor 2 before its log level applies, and those
lines would corrupt a Textual screen or break rich's progress bars. We point fd 2 at a
log file and give Python a private duplicate of the real terminal for its own output
(Textual draws on `sys.__stderr__`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator, TextIO


@contextlib.contextmanager
def native_stderr_to(log_path: Path) -> Iterator[TextIO]:
    """Inside the block, fd 2 writes to `log_path`; yields a stream to the real stderr."""
    try:
        sys.stderr.flush()
        real_fd = os.dup(2)
    except (OSError, ValueError):  # no fd 2 (embedded interpreter): nothing to protect
        yield sys.stderr
        return
    terminal = os.fdopen(real_fd, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace")
    saved = sys.stderr, sys.__stderr__
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        terminal.close()
        yield sys.stderr
        return
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.stderr = sys.__stderr__ = terminal
    try:
        yield terminal
    finally:
        terminal.flush()
        os.dup2(terminal.fileno(), 2)
        sys.stderr, sys.__stderr__ = saved
        terminal.close()
