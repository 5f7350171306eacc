"""Writing run summaries: atomic file writes and small GitHub-flavoured Markdown helpers."""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from fmnist_tui.render.table import escape_cell, markdown_table  # noqa: F401  (re-exported)

from .errors import FmnistError

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"


def _read_umask() -> int:
    """The process umask, read without changing it where the system allows.

    `os.umask` can only be read by setting it; between the set and the restore another
    thread creating a file would get the wrong mode, so Linux's /proc is preferred.
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # at import, before the front ends start their threads
    os.umask(mask)
    return mask


# Read once: the front ends never change the umask, and reading /proc per write is wasted work.
FILE_MODE = 0o666 & ~_read_umask()


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see either the old file or the new one, never half.

    The data goes to a temporary file in the same directory, is flushed to disk, then
    renamed over the target (`os.replace` is atomic on POSIX and Windows). The file gets
    the mode an ordinary `open` would give it (0666 less the umask), not mkstemp's 0600, so
    the other users of a shared machine can read the summaries when the umask lets them.
    """
    path = Path(path)
    # No mkdir here: a worker whose run directory was deleted must fail, not re-create it.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if hasattr(os, "fchmod"):  # POSIX only; Windows has no group/other bits to open
                os.fchmod(handle.fileno(), FILE_MODE)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, Paths, sets: everything a summary may carry.
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, complex):
        return {"re": value.real, "im": value.imag}
    return str(value)


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: replace them by None so any parser can read the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(_finite(summary), indent=2, default=_json_default, allow_nan=False) + "\n"


class ResultsWriteError(FmnistError):
    """A run's results could not be written (a full disk, a directory that went away)."""

    def __init__(self, path: Path, exc: OSError) -> None:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        reason = "No space left on device" if full else (exc.strerror or str(exc))
        hint = "Free some space (or choose another --out);" if full else "Check the output directory (--out DIR);"
        super().__init__(f"{reason} while writing {path}.", f"{hint} what is already on disk is still valid.")


def write_summary(run_dir: Path, summary: Mapping[str, Any] | str, markdown: str,
                  markdown_first: bool = False) -> Path:
    """Write `summary.json` and `summary.md` atomically into `run_dir`; returns the Markdown path.

    `summary` may be given as its JSON text. JSON first: when the disk fills, the
    machine-readable record is the one worth having. `markdown_first` for a run's first
    summary, where there is no older record to keep, so that its JSON is the last thing
    written. Raises `ResultsWriteError`.
    """
    run_dir = Path(run_dir)
    json_text = summary if isinstance(summary, str) else to_json(summary)
    files = ((SUMMARY_JSON, json_text), (SUMMARY_MD, markdown))
    for name, text in reversed(files) if markdown_first else files:
        try:
            atomic_write_text(run_dir / name, text)
        except OSError as exc:
            raise ResultsWriteError(run_dir / name, exc) from None
    return run_dir / SUMMARY_MD


def fmt(value: Any, digits: int = 4) -> str:
    """Format a number for a table; None and NaN read as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:.{digits}f}"
    return str(value)
