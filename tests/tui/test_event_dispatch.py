"""One dispatch for screens and headless renderers; a run's ending reads the same on both."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from fmnist_tui.engine.events import Log, Progress, RunCancelled, RunFailed, RunFinished, RunInterrupted, RunStarted
from fmnist_tui.tui.event_dispatch import EventDispatch, handles
from fmnist_tui.tui.headless import HeadlessRenderer
from fmnist_tui.tui.screens.devices import DevicesScreen

from pilot_helpers import SIZE, open_screen, toasts

RUN_ID = "20261129-101500-devices"


# ---- dispatch -------------------------------------------------------------------------------


class Recorder(EventDispatch):
    def __init__(self) -> None:
        self.seen: list[str] = []

    @handles(RunFailed)
    def failed(self, event: RunFailed) -> None:
        self.seen.append(f"failed: {event.error}")

    @handles(Log, RunStarted)
    def noted(self, event) -> None:
        self.seen.append(type(event).__name__)


class InterruptedApart(Recorder):
    @handles(RunInterrupted)
    def interrupted(self, event: RunInterrupted) -> None:
        self.seen.append(f"interrupted: {event.error}")

    def noted(self, event) -> None:  # overridden by name: still the handler of Log and RunStarted
        self.seen.append(f"noted {type(event).__name__}")


def failure(kind=RunFailed, error="boom") -> RunFailed:
    return kind(error=error, hint="", summary={}, summary_path=None)


def test_dispatch_calls_the_handler_of_the_events_class():
    recorder = Recorder()
    assert recorder.dispatch(Log(message="hello"))
    assert recorder.dispatch(failure(error="disk full"))
    assert recorder.seen == ["Log", "failed: disk full"]


def test_a_subclass_event_goes_to_its_base_class_handler_unless_it_has_its_own():
    recorder, apart = Recorder(), InterruptedApart()
    recorder.dispatch(failure(RunInterrupted, "worker gone"))  # a RunInterrupted is a RunFailed
    apart.dispatch(failure(RunInterrupted, "worker gone"))
    apart.dispatch(failure(RunFailed, "disk full"))
    apart.dispatch(Log(message="hello"))
    assert recorder.seen == ["failed: worker gone"]
    assert apart.seen == ["interrupted: worker gone", "failed: disk full", "noted Log"]


def test_an_event_nobody_handles_is_ignored():
    recorder = Recorder()
    assert recorder.dispatch(Progress(done=1, total=2)) is False
    assert recorder.seen == []


# ---- run endings: the screen and the headless output word them alike ---------------------


def ending_event(outcome: str, summary_path: Path):
    if outcome == "completed":
        return RunFinished(summary={}, summary_path=summary_path)
    if outcome == "cancelled":
        return RunCancelled(summary={}, summary_path=summary_path)
    kind = RunInterrupted if outcome == "interrupted" else RunFailed
    return kind(error="The device vanished.", hint="Check the driver.", summary={}, summary_path=summary_path)


def headless_output(events) -> str:
    out, err = io.StringIO(), io.StringIO()
    renderer = HeadlessRenderer(Console(file=out, width=300), Console(file=err, width=300))
    with renderer:
        for event in events:
            renderer.handle(event)
    return out.getvalue() + err.getvalue()


@pytest.mark.parametrize("outcome, expected", [
    ("completed", f"Run {RUN_ID} completed."),
    ("cancelled", f"Run {RUN_ID} cancelled; what completed is kept in the summary."),
    ("failed", f"Run {RUN_ID} failed: The device vanished."),
    ("interrupted", f"Run {RUN_ID} interrupted: The device vanished."),
])
async def test_a_run_ending_reads_the_same_on_the_screen_and_headless(app, tmp_path, outcome, expected):
    summary_path = tmp_path / RUN_ID / "summary.md"
    events = [RunStarted(task="devices", run_id=RUN_ID, run_dir=summary_path.parent, config={}),
              ending_event(outcome, summary_path)]
    printed = headless_output(events)
    assert expected in printed and f"Summary: {summary_path}" in printed
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_screen(pilot, "2", DevicesScreen)
        for event in events:
            screen.show_event(event)
        await pilot.pause()
        status = Text.from_markup(str(screen.status.content)).plain
        # the path is shown relative to the working directory when it is below it
        assert status.startswith(expected) and "Summary: " in status and f"{RUN_ID}/summary.md" in status
        shown = toasts(app)
        if outcome in ("failed", "interrupted"):  # the notification carries what to do about it
            assert any("The device vanished." in toast and "Check the driver." in toast for toast in shown)
            assert "Check the driver." in printed
        else:
            assert any(expected in toast for toast in shown), shown
