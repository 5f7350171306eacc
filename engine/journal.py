"""The run journal, `runs/<run-id>/events.jsonl`: every event of a run, one JSON line each.

The worker appends and flushes a line per event, so a reader (the app, `attach`) sees each
one at once and a kill at any instant leaves at worst a torn last line, which readers skip
until it is complete. Batch progress is thinned to about ten events a second per model;
every other event is kept.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .codec import DecodeError, decode, encode
from .events import BatchProgress, Event, Log

EVENTS_FILE = "events.jsonl"
BATCH_INTERVAL = 0.1  # seconds between journalled batch events of one model


def event_line(event: Event, wall_time: float | None = None) -> str:
    """One journal line (without the newline)."""
    record = {
        "t": round(time.time() if wall_time is None else wall_time, 3),
        "event": type(event).__name__,
        **encode(event),
    }
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def parse_line(line: str) -> Event:
    """The event of one journal line; raises `DecodeError` on a damaged line."""
    try:
        record = json.loads(line)
    except ValueError:
        raise DecodeError("not JSON") from None
    if not isinstance(record, dict) or "__dataclass__" not in record:
        raise DecodeError("not an event record")
    event = decode({"__dataclass__": record["__dataclass__"], "fields": record.get("fields")})
    if not isinstance(event, Event):
        raise DecodeError(f"{record['__dataclass__']} is not an event")
    return event


class JournalWriter:
    """Appends events to a run's journal; safe to call from several threads."""

    def __init__(self, path: Path, batch_interval: float = BATCH_INTERVAL) -> None:
        self.path = Path(path)
        self._file: IO[str] = open(self.path, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._batch_interval = batch_interval
        self._last_batch: dict[str, float] = {}
        self.failed: OSError | None = None  # the first write error (a full disk), if any

    def write(self, event: Event) -> None:
        if isinstance(event, BatchProgress) and not self._wanted(event):
            return
        line = event_line(event) + "\n"
        with self._lock:
            if self._file.closed:
                return
            try:
                self._file.write(line)
                self._file.flush()
            except OSError as exc:  # keep running: the summary still records the results
                self.failed = self.failed or exc

    def _wanted(self, event: BatchProgress) -> bool:
        now = time.monotonic()
        last = self._last_batch.get(event.model)
        if event.step >= event.steps or last is None or now - last >= self._batch_interval:
            self._last_batch[event.model] = now
            return True
        return False

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                try:
                    self._file.flush()
                    os.fsync(self._file.fileno())
                except OSError:
                    pass
                self._file.close()


@dataclass
class JournalReader:
    """Reads a journal incrementally: each `read()` returns the events added since the last."""

    path: Path
    offset: int = 0
    damaged_lines: int = 0

    def read(self, max_bytes: int = 8 << 20) -> list[Event]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(max_bytes)
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:  # nothing complete yet (or a torn last line): read it next time
            return []
        self.offset += end + 1
        events: list[Event] = []
        for raw in chunk[: end + 1].splitlines():
            if not raw.strip():
                continue
            try:
                events.append(parse_line(raw.decode("utf-8")))
            except (DecodeError, UnicodeDecodeError, TypeError, ValueError, KeyError) as exc:
                self.damaged_lines += 1
                events.append(Log(f"A damaged line of {self.path.name} was skipped ({exc}).", level="warning"))
        return events

    def read_all(self) -> list[Event]:
        events: list[Event] = []
        while True:
            batch = self.read()
            if not batch:
                return events
            events.extend(batch)


def compact_backlog(events: list[Event]) -> list[Event]:
    """The events a late reader needs: every event, but only the newest batch progress per model.

    Replaying a long run's thousands of batch events would only redraw bars that the next
    event overwrites anyway.
    """
    last_batch: dict[str, int] = {}
    for index, event in enumerate(events):
        if isinstance(event, BatchProgress):
            last_batch[event.model] = index
    keep = set(last_batch.values())
    return [e for i, e in enumerate(events) if not isinstance(e, BatchProgress) or i in keep]


def journal_path(run_dir: Path) -> Path:
    return Path(run_dir) / EVENTS_FILE


def first_event(run_dir: Path) -> Any:
    """The first event of a run's journal (its `RunStarted`), or None."""
    events = JournalReader(journal_path(run_dir)).read(max_bytes=1 << 20)
    return events[0] if events else None
