"""What `fmnist-tui runs` and the Runs screen say about each run: live status and progress.

The status is the summary's, except that a run whose worker is gone reads "interrupted"
(see `liveness`). Progress comes from the newest progress event in the run's journal, so
it moves with every batch, not only at each summary checkpoint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from .codec import DecodeError
from .events import BatchProgress, EpochEnded, EpochStarted, Event, Progress
from .journal import journal_path, parse_line

TAIL_BYTES = 64 * 1024  # the end of the journal that holds its newest progress event


def last_progress_event(run_dir: Path) -> Event | None:
    """The newest progress-like event of a run's journal, reading only its tail."""
    path = journal_path(run_dir)
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return None
    for raw in reversed(tail.splitlines()):
        if b'"BatchProgress"' not in raw and b'"Epoch' not in raw and b'"Progress"' not in raw:
            continue
        try:
            event = parse_line(raw.decode("utf-8"))
        except (DecodeError, UnicodeDecodeError, ValueError, TypeError, KeyError):
            continue
        if isinstance(event, (BatchProgress, EpochEnded, EpochStarted, Progress)):
            return event
    return None


def progress_of(event: Event | None, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """{"fraction", "text", …} for a run's newest progress event (None when there is none)."""
    if isinstance(event, (BatchProgress, EpochStarted, EpochEnded)):
        models = _models(summary)
        index = models.index(event.model) if event.model in models else 0
        step = event.step if isinstance(event, BatchProgress) else 0
        steps = event.steps if isinstance(event, (BatchProgress, EpochStarted)) else 1
        epoch_done = event.epoch - 1 + (step / steps if steps else 0) if not isinstance(event, EpochEnded) else event.epoch
        fraction = (index * event.epochs + epoch_done) / (max(1, len(models)) * event.epochs)
        text = f"{event.model} epoch {event.epoch}/{event.epochs}"
        if isinstance(event, BatchProgress):
            text += f" · batch {event.step}/{event.steps}"
        return {"fraction": round(min(1.0, fraction), 4), "text": text, "model": event.model,
                "epoch": event.epoch, "epochs": event.epochs}
    if isinstance(event, Progress) and event.total:
        return {"fraction": round(event.done / event.total, 4), "text": f"{event.label} ({event.done}/{event.total})"}
    return None


def _models(summary: Mapping[str, Any]) -> list[str]:
    config = summary.get("config")
    models = config.get("models") if isinstance(config, Mapping) else None
    return [str(m) for m in models] if isinstance(models, list) else []


def run_listing(runs_dir: Path) -> list[dict[str, Any]]:
    """Every run, newest first, as JSON-able objects (`fmnist-tui runs --json`)."""
    from .history import list_runs

    listing = []
    for record in list_runs(runs_dir):
        summary = record.summary or {}
        worker = summary.get("worker") if isinstance(summary.get("worker"), Mapping) else {}
        item: dict[str, Any] = {
            "run_id": record.run_id,
            "task": record.task,
            "status": record.status,
            "started_at": summary.get("started_at") if isinstance(summary.get("started_at"), str) else None,
            "finished_at": summary.get("finished_at") if isinstance(summary.get("finished_at"), str) else None,
            "seconds_total": record.seconds_total,
            "headline": record.headline,
            "path": str(record.path),
            "damaged": record.damaged,
            "pid": worker.get("pid") if record.status == "running" else None,
            "host": worker.get("host") if record.status == "running" else None,
            "progress": None,
        }
        if record.status in ("running", "interrupted"):
            item["progress"] = progress_of(last_progress_event(record.path), summary)
        listing.append(item)
    return json.loads(json.dumps(listing, default=str))
