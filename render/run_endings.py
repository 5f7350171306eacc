"""How a run's ending reads: its status line, its notification and its log lines, once.

The screens (status line, toast, log tab) and the headless commands (the last lines of the
output) word a completed, cancelled, failed or interrupted run the same way, from here.
Text is markup-free; a `severity` ("information", "warning", "error", as Textual's
notifications name them) says how it looks, and `STATUS_STYLE` maps it to a colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fmnist_tui.engine.events import RunCancelled, RunFailed, RunFinished, RunInterrupted

Severity = Literal["information", "warning", "error"]
STATUS_STYLE: dict[str, str] = {"information": "green", "warning": "yellow", "error": "red"}
FAILURE_TIMEOUT = 15  # seconds a failure's notification stays: it carries the hint to act on


@dataclass(frozen=True)
class RunEnding:
    outcome: str  # "completed", "cancelled", "failed" or "interrupted"
    status: str  # the one line that says how the run ended
    severity: Severity
    title: str  # the notification's title
    message: str  # the notification's text
    hint: str = ""  # what to do about a failure
    summary_path: Path | None = None

    @property
    def style(self) -> str:
        return STATUS_STYLE[self.severity]

    @property
    def summary(self) -> str:
        """ "Summary: <path>", or "" when the run wrote none."""
        return summary_line(self.summary_path) if self.summary_path is not None else ""

    @property
    def log_lines(self) -> list[str]:
        return [line for line in (self.status, self.hint, self.summary) if line]


def summary_line(path: Any) -> str:
    return f"Summary: {path}"


def run_name(run_id: str | None) -> str:
    return f"Run {run_id}" if run_id else "The run"


def run_ending(event: Any, run_id: str | None, task_title: str = "") -> RunEnding:
    """The ending of a terminal event (RunFinished, RunCancelled, RunFailed or RunInterrupted).

    `task_title` ("Classifier", "Devices", …) titles the notification of a run that
    completed or was cancelled; a failure's notification is titled by what happened.
    """
    name, path = run_name(run_id), event.summary_path
    if isinstance(event, RunFinished):
        status = f"{name} completed."
        return RunEnding("completed", status, "information", task_title, status, summary_path=path)
    if isinstance(event, RunCancelled):
        status = f"{name} cancelled; what completed is kept in the summary."
        return RunEnding("cancelled", status, "warning", task_title, status, summary_path=path)
    if isinstance(event, RunFailed):
        outcome = "interrupted" if isinstance(event, RunInterrupted) else "failed"
        message = "\n".join(part for part in (event.error, event.hint) if part)
        return RunEnding(outcome, f"{name} {outcome}: {event.error}", "error", f"Run {outcome}", message,
                         hint=event.hint or "", summary_path=path)
    raise TypeError(f"not a run's ending: {type(event).__name__}")
