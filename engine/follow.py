"""Following a run from outside its worker: its journal's events, as an async stream.

A follower replays what the journal holds (thinned: see `journal.compact_backlog`), then
polls for new lines until the run's terminal event. If the worker dies without one (killed,
out of memory, machine gone), the follower publishes `RunInterrupted` itself, at once on
the same host. Pure asyncio, no TensorFlow: this is how the app and `attach` watch runs.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import AsyncIterator

from .events import Event, RunInterrupted, is_terminal
from .journal import JournalReader, compact_backlog, journal_path
from .launcher import read_summary, reap_children
from .liveness import live_status
from .summaries import SUMMARY_MD

POLL_SECONDS = 0.05  # between reads of the journal: ~20 a second, a few microseconds each
LIVE_READ_BYTES = 256 << 10  # read inline: a thread hop per poll cost the app more than the read
LIVENESS_SECONDS = 0.5  # between checks that the worker is still there, while it is silent


async def follow_run(run_dir: Path, poll: float = POLL_SECONDS, replay: bool = True) -> AsyncIterator[Event]:
    """Every event of the run (the backlog first), ending with a terminal one."""
    run_dir = Path(run_dir)
    reader = JournalReader(journal_path(run_dir))
    backlog = await asyncio.to_thread(reader.read_all)
    for event in compact_backlog(backlog) if replay else backlog[-1:]:
        yield event
        if is_terminal(event):
            return
    last_check = time.monotonic()
    while True:
        events = reader.read(LIVE_READ_BYTES)
        for event in events:
            yield event
            if is_terminal(event):
                return
        if events:
            last_check = time.monotonic()
            continue
        if time.monotonic() - last_check >= LIVENESS_SECONDS:
            last_check = time.monotonic()
            interrupted = await asyncio.to_thread(_interrupted, run_dir, reader)
            if interrupted is not None:
                for event in interrupted:
                    yield event
                return
        await asyncio.sleep(poll)


def _interrupted(run_dir: Path, reader: JournalReader) -> list[Event] | None:
    """None while the worker lives; else the journal's last events and the run's ending."""
    reap_children()
    summary = read_summary(run_dir)
    if summary is None or live_status(summary) != "interrupted":
        return None
    events = reader.read_all()  # it may have written its ending just before it went
    if events and is_terminal(events[-1]):
        return events
    return events + [interrupted_event(run_dir, summary)]


LOW_SPACE_BYTES = 256 * 1024  # below this, a worker that vanished most likely could not write


def interrupted_event(run_dir: Path, summary: dict) -> RunInterrupted:
    worker = summary.get("worker") if isinstance(summary.get("worker"), dict) else {}
    run_id = run_dir.name
    hint = f"Resume it with: fmnist-tui run train --resume {run_id}" if summary.get("task") == "train" else \
        "Start it again."
    error = f"The worker of run {run_id} (pid {worker.get('pid', '?')}) ended without finishing the run."
    try:
        if shutil.disk_usage(run_dir).free < LOW_SPACE_BYTES:
            error = f"No space left on device while writing {run_dir}: its worker could not record the ending."
            hint = "Free some space; what is on disk is still valid. " + hint
    except OSError:
        pass
    return RunInterrupted(error=error, hint=hint, summary={**summary, "status": "interrupted"},
                          summary_path=run_dir / SUMMARY_MD)
