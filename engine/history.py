"""Past runs: reading the runs directory, headline figures, filtering, sorting, deleting, comparing.

Pure Python (no TensorFlow, no Textual). Every run lives in `runs/<run-id>/` with a
`summary.json` and a `summary.md`. Reading never raises: a directory whose files are
missing, unreadable, half-written, not a JSON object or not of a summary's shape
(`summary_check`) is still listed, with `damaged` saying why, so a front end can show it
(and offer to delete it) instead of crashing; only a `usable` record's summary is compared.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .errors import FmnistError
from .summaries import SUMMARY_JSON, SUMMARY_MD
from .summary_check import STATUSES, TASKS, is_number, summary_problem
from .training.summary import comparison_rows

# A "running" summary not rewritten for this long is taken to belong to a process that is gone.
STALE_AFTER_SECONDS = 600.0
SORT_KEYS = ("started_at", "task", "status", "seconds_total", "headline", "run_id")

_ID_STAMP = re.compile(r"^(\d{8}-\d{6})-([A-Za-z_]+)")


class HistoryError(FmnistError):
    """A run cannot be deleted or compared (outside the runs directory, not a training run, …)."""


@dataclass(frozen=True)
class RunRecord:
    """One directory under the runs directory, as read from its `summary.json`.

    `status` is the summary's status, except that a "running" summary with no `finished_at`
    that has not been rewritten for `STALE_AFTER_SECONDS` reads "interrupted". `damaged` is
    None for a healthy run, else the reason (the run is still listed); `summary` is the
    parsed JSON object when there is one (also for a run whose `summary.md` is missing, and
    for one whose shape is wrong: `summary_problem` then says why, and `usable` is False).
    """

    run_id: str
    path: Path
    task: str
    started_at: _dt.datetime | None
    status: str
    seconds_total: float | None
    headline: str
    damaged: str | None = None
    summary: dict[str, Any] | None = None
    summary_problem: str | None = None

    @property
    def usable(self) -> bool:
        """The summary can be rendered, compared and reported on (`summary_check` accepts it)."""
        return self.summary is not None and self.summary_problem is None

    @property
    def markdown_path(self) -> Path:
        return self.path / SUMMARY_MD

    @property
    def json_path(self) -> Path:
        return self.path / SUMMARY_JSON

    @property
    def is_training(self) -> bool:
        return self.task == "train" and self.usable


# ---- reading -----------------------------------------------------------------------------


def list_runs(
    runs_dir: Path | str, now: float | None = None, stale_after: float = STALE_AFTER_SECONDS
) -> list[RunRecord]:
    """Every run directory under `runs_dir`, newest first; never raises.

    Hidden entries and plain files are skipped; a missing `runs_dir` gives an empty list.
    `now` (a `time.time()` value) is for tests.
    """
    runs_dir = Path(runs_dir)
    try:
        entries = [e for e in os.scandir(runs_dir) if not e.name.startswith(".")]
    except OSError:
        return []
    now = time.time() if now is None else now
    records = []
    for entry in entries:
        try:
            if not entry.is_dir():
                continue
        except OSError:
            continue
        records.append(read_run(Path(entry.path), now=now, stale_after=stale_after))
    return sort_runs(records, "started_at", reverse=True)


def read_run(path: Path, now: float | None = None, stale_after: float = STALE_AFTER_SECONDS) -> RunRecord:
    """One run directory as a `RunRecord`; never raises."""
    path = Path(path)
    run_id = path.name
    now = time.time() if now is None else now
    summary, damaged = _load_summary(path / SUMMARY_JSON)
    problem = damaged if summary is not None else None  # parsed, but of the wrong shape
    if summary is not None and damaged is None and not (path / SUMMARY_MD).is_file():
        damaged = f"missing {SUMMARY_MD}"

    id_task, id_time = _parse_run_id(run_id)
    data = summary or {}
    task = data.get("task") if isinstance(data.get("task"), str) and data.get("task") else (id_task or "?")
    started = _parse_time(data.get("started_at")) or id_time or _mtime_datetime(path)
    seconds = data.get("seconds_total")
    seconds = float(seconds) if is_number(seconds) else None
    status = derive_status(summary, path / SUMMARY_JSON, now, stale_after)
    headline = run_headline(task, data) if summary is not None else ""
    return RunRecord(run_id, path, task, started, status, seconds, headline, damaged, summary, problem)


def derive_status(summary: Mapping[str, Any] | None, json_path: Path, now: float, stale_after: float) -> str:
    """The status a run is listed with: the summary's, but "interrupted" for a run whose worker
    is gone (exact for a worker on this host; see `liveness`). A "running" summary without a
    worker record (older versions) reads "interrupted" once it is `stale_after` seconds old."""
    from .liveness import live_status

    if summary is None:
        return "—"
    status = str(summary.get("status") or "—")
    if status == "running" and not summary.get("finished_at"):
        if isinstance(summary.get("worker"), Mapping):
            return live_status(summary, now) or status
        mtime = _mtime(json_path)
        if mtime is not None and now - mtime > stale_after:
            status = "interrupted"
    return status


def _load_summary(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The parsed summary (None if there is no JSON object) and why it is damaged (None if not)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"missing {SUMMARY_JSON}"
    except IsADirectoryError:
        return None, f"{SUMMARY_JSON} is a directory"
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        return None, f"cannot read {SUMMARY_JSON}: {reason}"
    if not text.strip():
        return None, f"empty {SUMMARY_JSON}"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        return None, f"half-written or corrupt {SUMMARY_JSON} (invalid JSON{where})"
    if not isinstance(data, dict):
        return None, f"{SUMMARY_JSON} holds a {_json_type(data)}, not an object"
    return data, summary_problem(data)


def _json_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _parse_run_id(run_id: str) -> tuple[str | None, _dt.datetime | None]:
    match = _ID_STAMP.match(run_id)
    if not match:
        return None, None
    try:
        when = _dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").astimezone()
    except (ValueError, OverflowError, OSError):
        when = None
    return match.group(2), when


def _parse_time(value: Any) -> _dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = _dt.datetime.fromisoformat(value)
        return when if when.tzinfo is not None else when.astimezone()
    except (ValueError, OverflowError, OSError):
        return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _mtime_datetime(path: Path) -> _dt.datetime | None:
    mtime = _mtime(path)
    try:
        return _dt.datetime.fromtimestamp(mtime).astimezone() if mtime is not None else None
    except (ValueError, OverflowError, OSError):
        return None




# ---- headline figures --------------------------------------------------------------------


def run_headline(task: str, summary: Mapping[str, Any]) -> str:
    """The figure a run is remembered by, e.g. "keras 0.8664 · lowlevel 0.8696".

    Training: best test accuracy per model. Devices: peak GFLOP/s per device over the
    accepted (not rejected) timings. Jacobian and eigen: ✓ or ✗ for the check. Never
    raises: what is missing or of the wrong type is left out (a damaged run's figure).
    """
    if task == "train":
        models = summary.get("models")
        parts = [
            f"{name} {_best_accuracy(record)}"
            for name, record in (models.items() if isinstance(models, Mapping) else ())
            if isinstance(record, Mapping)
        ]
        return " · ".join(parts)
    if task == "devices":
        peaks: dict[str, float] = {}
        rows = summary.get("rows")
        for row in rows if isinstance(rows, list) else ():
            if not isinstance(row, Mapping) or row.get("rejected"):
                continue
            gflops = row.get("gflops")
            if is_number(gflops):
                device = row.get("device")
                device = device if isinstance(device, str) else "?"
                peaks[device] = max(peaks.get(device, float("-inf")), float(gflops))
        if not peaks:
            return ""
        return " · ".join(f"{d} {_gflops(v)}" for d, v in peaks.items()) + " GFLOP/s"
    if task == "report":
        runs = summary.get("runs")
        count = len(runs) if isinstance(runs, list) else 0
        return f"report of {count} run{'s' if count != 1 else ''}"
    if task in ("jacobian", "eigen"):
        match = summary.get("match")
        if match is True:
            return "✓ match"
        if match is False:
            return "✗ mismatch"
        return ""
    return ""


def _best_accuracy(record: Mapping[str, Any]) -> str:
    best = record.get("best_test_accuracy")
    if not is_number(best):
        epochs = record.get("epochs")
        rows = [e for e in (epochs if isinstance(epochs, list) else ()) if isinstance(e, Mapping)]
        accuracies = [e.get("test_accuracy") for e in rows if is_number(e.get("test_accuracy"))]
        best = max(accuracies) if accuracies else None
    return f"{best:.4f}" if is_number(best) else "—"


def _gflops(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"


# ---- filtering and sorting ---------------------------------------------------------------


def filter_runs(records: Iterable[RunRecord], task: str | None) -> list[RunRecord]:
    """Records of one task; None, "" or "all" keeps every record."""
    if task in (None, "", "all"):
        return list(records)
    return [r for r in records if r.task == task]


def _sort_value(record: RunRecord, key: str) -> Any:
    if key == "started_at":
        return record.started_at.timestamp() if record.started_at else None
    if key == "headline":
        return f"damaged: {record.damaged}" if record.damaged else (record.headline or None)
    value = getattr(record, key)
    return value.lower() if isinstance(value, str) else value


def sort_runs(records: Iterable[RunRecord], key: str = "started_at", reverse: bool = False) -> list[RunRecord]:
    """Records sorted by one of `SORT_KEYS`; records without that value always come last.

    Ties (and "started_at" ties) are broken by the run id, in the same direction.
    """
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}; expected one of {', '.join(SORT_KEYS)}")
    present, missing = [], []
    for record in records:
        (missing if _sort_value(record, key) is None else present).append(record)
    present.sort(key=lambda r: (_sort_value(r, key), r.run_id), reverse=reverse)
    missing.sort(key=lambda r: r.run_id, reverse=reverse)
    return present + missing


# ---- deleting ----------------------------------------------------------------------------


def delete_run(record: RunRecord, runs_dir: Path | str) -> Path:
    """Delete a run's directory; refuses anything that is not a direct child of `runs_dir`.

    A symbolic link is removed as a link (its target is left alone). Returns the removed path;
    raises `HistoryError` when refusing or when the directory cannot be removed.
    """
    root = Path(runs_dir).resolve()
    path = Path(record.path)
    if path.name in ("", ".", "..") or path.parent.resolve() != root:
        raise HistoryError(f"Refusing to delete {path}: it is not a run inside {runs_dir}.")
    try:
        if not path.is_symlink() and not path.exists():
            raise FileNotFoundError(path)
        if path.is_symlink():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            raise HistoryError(f"{path} is not a run directory.")
    except FileNotFoundError:
        raise HistoryError(f"Run {record.run_id} is already gone.") from None
    except OSError as exc:
        raise HistoryError(f"Could not delete {path}: {exc.strerror or exc}.", "Check its permissions.") from None
    return path


# ---- comparing ---------------------------------------------------------------------------


def compare_training_runs(a: RunRecord, b: RunRecord) -> dict[str, Any]:
    """Two training runs side by side.

    Returns a dict with:
      - "runs": (run id A, run id B)
      - "config": [(key, value A, value B, differs)] over the union of both configs' keys
      - "comparison": {run id: comparison rows (`comparison_rows`)} for each run
      - "models": {run id: [model names]}
      - "table": {"headers": [...], "rows": [...]}: the metric rows of both runs side by side,
        columns "A <model>" then "B <model>"
      - "curves": {"A <model>": [epoch logs]} for overlaid curves
    Raises `HistoryError` if either run is not a usable training run (damaged, or another task).
    """
    for label, record in (("A", a), ("B", b)):
        if not record.usable or record.task != "train":
            why = f"it is damaged ({record.damaged})" if not record.usable else f"it is a {record.task} run"
            raise HistoryError(f"Run {label} ({record.run_id}) cannot be compared: {why}.")
    config_a = a.summary.get("config") if isinstance(a.summary.get("config"), Mapping) else {}
    config_b = b.summary.get("config") if isinstance(b.summary.get("config"), Mapping) else {}
    config = []
    for key in dict.fromkeys([*config_a, *config_b]):
        va, vb = config_a.get(key), config_b.get(key)
        config.append((key, va, vb, va != vb))

    comparison, models, curves = {}, {}, {}
    headers, columns = ["metric"], []
    for label, record in (("A", a), ("B", b)):
        raw = record.summary.get("models")
        valid = {m: r for m, r in raw.items() if isinstance(r, Mapping)} if isinstance(raw, Mapping) else {}
        rows = comparison_rows(valid)
        comparison[record.run_id] = rows
        models[record.run_id] = list(valid)
        headers += [f"{label} {m}" for m in valid]
        columns.append(rows)
        for m, r in valid.items():
            epochs = [e for e in r.get("epochs") or [] if isinstance(e, Mapping) and _has_curve_keys(e)]
            curves[f"{label} {m}"] = [dict(e) for e in epochs]
    rows_a, rows_b = columns
    table_rows = [ra + rb[1:] for ra, rb in zip(rows_a, rows_b)]
    return {
        "runs": (a.run_id, b.run_id),
        "config": config,
        "comparison": comparison,
        "models": models,
        "table": {"headers": headers, "rows": table_rows},
        "curves": curves,
    }


def _has_curve_keys(epoch: Mapping[str, Any]) -> bool:
    return all(is_number(epoch.get(k)) for k in ("epoch", "loss", "accuracy", "test_loss", "test_accuracy"))


def format_duration(seconds: float | None) -> str:
    """"8.0 s", "2m 05s", "1h 02m"; "—" when unknown."""
    if seconds is None or not is_number(seconds):
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_started(when: _dt.datetime | None) -> str:
    """Local "2026-11-28 19:45"; "—" when unknown."""
    if when is None:
        return "—"
    try:
        return when.astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        return "—"


__all__: Sequence[str] = (
    "HistoryError", "RunRecord", "SORT_KEYS", "STALE_AFTER_SECONDS", "STATUSES", "TASKS", "compare_training_runs",
    "delete_run", "filter_runs", "format_duration", "format_started", "list_runs", "read_run",
    "run_headline", "sort_runs",
)
