"""The app follows runs that started without it (headless --detach, or an earlier session)."""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import DataTable

from fmnist_tui.engine.launcher import launch, read_summary, request_cancel, wait_for_ending
from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.screens.classifier import ClassifierScreen
from fmnist_tui.tui.screens.runs import RunsScreen
from pilot_helpers import wait_until

SIZE = (110, 32)


WAIT = 90.0  # seconds: a worker process starts, loads TensorFlow and trains a few epochs


def epochs_done(run_dir: Path) -> int:
    return len((((read_summary(run_dir) or {}).get("models") or {}).get("lowlevel") or {}).get("epochs") or [])


async def test_enter_on_a_running_run_opens_the_classifier_attached_with_its_history_then_live(tmp_path, small_npz):
    options = {"config": {"epochs": 400, "batch_size": 16, "models": ["lowlevel"]}, "data_dir": small_npz,
               "logs_dir": str(tmp_path / "logs")}
    run = launch("train", options, tmp_path / "runs")
    deadline = time.monotonic() + 90
    while epochs_done(run.run_dir) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    app = make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", describe_environment=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")
            await pilot.pause()
            assert isinstance(app.screen, RunsScreen)
            status = str(app.screen.table.get_row_at(0)[3])
            assert status.startswith("running")
            await pilot.press("enter")
            assert await wait_until(pilot, lambda: isinstance(app.screen, ClassifierScreen), WAIT)
            screen = app.screen
            assert screen.running and screen.run_dir == run.run_dir
            epochs = screen.query_one("#epoch-table", DataTable)
            assert await wait_until(pilot, lambda: epochs.row_count >= 2, WAIT)  # replayed from the journal
            replayed = epochs.row_count
            assert await wait_until(pilot, lambda: epochs.row_count > replayed, WAIT)  # then live
            comparison = screen.query_one("#comparison-table", DataTable)
            assert str(comparison.get_row("test_accuracy")[1]) != "—"
            await pilot.press("c")  # cancel from the attached screen
            assert await wait_until(pilot, lambda: not screen.running, WAIT)
            assert read_summary(run.run_dir)["status"] == "cancelled"
    finally:
        request_cancel(run.run_dir)
        wait_for_ending(run.run_dir)
