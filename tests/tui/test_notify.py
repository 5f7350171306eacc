"""End-of-run notifications: the bell plus OSC 9 and OSC 777, clean of control characters, written
through Textual's driver in the app and to a terminal headless, and off when the setting says so."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from fmnist_tui.engine.events import RunCancelled, RunFailed, RunFinished, RunStarted
from fmnist_tui.engine.journal import JournalWriter, journal_path
from fmnist_tui.engine.liveness import worker_record
from fmnist_tui.tui import notify
from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.screens.devices import DevicesScreen
from pilot_helpers import SIZE, open_screen, wait_until

TRAIN_SUMMARY = {"task": "train", "models": {"keras": {"best_test_accuracy": 0.8843},
                                             "lowlevel": {"best_test_accuracy": 0.8851}}}
TRAIN_TEXT = "train completed — keras 0.8843 · lowlevel 0.8851"


def test_the_bell_then_osc_9_then_osc_777_with_the_run_s_figures():
    sequences = notify.notification(notify.ending_body(RunFinished(summary=TRAIN_SUMMARY, summary_path=None)))
    assert sequences == (f"\a\x1b]9;fmnist-tui: {TRAIN_TEXT}\a"
                         f"\x1b]777;notify;fmnist-tui;{TRAIN_TEXT}\a")


def test_a_failure_carries_its_error_and_a_cancelled_run_what_it_completed():
    failed = RunFailed(error="No space left on device while writing runs/x/summary.json.", hint="Free some space.",
                       summary={"task": "devices"}, summary_path=None)
    assert notify.ending_body(failed) == "devices failed — No space left on device while writing runs/x/summary.json."
    cancelled = RunCancelled(summary={"task": "train", "models": {"keras": {"best_test_accuracy": 0.81}}},
                             summary_path=None)
    assert notify.ending_body(cancelled) == "train cancelled — keras 0.8100"
    assert notify.ending_body(RunFinished(summary={}, summary_path=None)) == "run completed"


def test_control_characters_from_user_text_cannot_end_or_start_a_sequence():
    error = "bad expression 'x\x1b]9;pwned\x07'\nsecond line\x9c\x7f end"
    body = notify.ending_body(RunFailed(error=error, hint="", summary={"task": "jacobian"}, summary_path=None))
    sequences = notify.notification(body)
    assert f"\x1b]9;fmnist-tui: jacobian failed — bad expression 'x ]9;pwned ' second line end\a" in sequences
    # exactly the three sequences' own ESC and BEL, nothing from the error
    assert sequences.count("\x1b") == 2 and sequences.count("\a") == 3 and "\n" not in sequences
    assert len(notify.sanitize("word " * 100)) == notify.MAX_TEXT and notify.sanitize("word " * 100).endswith("…")
    assert notify.notification("done", title="a;b").endswith("\x1b]777;notify;a,b;done\a")  # ; splits OSC 777


def test_in_the_app_the_bytes_go_through_the_driver_and_a_headless_app_has_none():
    written: list[str] = []
    app = SimpleNamespace(is_headless=False, _driver=SimpleNamespace(write=written.append))
    assert notify.notify_ending(notify.app_writer(app), RunFinished(summary=TRAIN_SUMMARY, summary_path=None))
    assert written == [notify.notification(TRAIN_TEXT)]
    assert notify.app_writer(SimpleNamespace(is_headless=True, _driver=object())) is None
    assert notify.notify_ending(None, RunFinished(summary={}, summary_path=None)) is False


def test_headless_writes_only_to_a_terminal():
    assert notify.terminal_writer([io.StringIO(), None]) is None  # piped output: no escape codes in it
    leader, follower = os.openpty()
    with open(follower, "w", encoding="utf-8", closefd=True) as terminal:
        write = notify.terminal_writer([io.StringIO(), terminal])
        assert write is not None
        notify.notify_ending(write, RunFinished(summary=TRAIN_SUMMARY, summary_path=None))
    received = os.read(leader, 4096).decode()
    os.close(leader)
    assert received == notify.notification(TRAIN_TEXT)


# ---- headless: a run followed to its end -------------------------------------------------------


def ended_run(tmp_path: Path, task: str = "devices") -> Path:
    run_dir = tmp_path / "runs" / f"20261130-101500-{task}"
    run_dir.mkdir(parents=True)
    summary = {"task": task, "run_id": run_dir.name, "status": "completed", "rows": []}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    journal = JournalWriter(journal_path(run_dir))
    journal.write(RunStarted(task=task, run_id=run_dir.name, run_dir=run_dir, config={}))
    journal.write(RunFinished(summary=summary, summary_path=None))
    journal.close()
    return run_dir


@pytest.mark.parametrize("enabled", [True, False])
def test_a_headless_run_followed_to_its_end_rings_unless_turned_off(tmp_path, monkeypatch, enabled):
    from rich.console import Console

    from fmnist_tui.tui.headless import NOTIFY_ENDINGS, HeadlessRenderer, follow_headless

    written: list[str] = []
    monkeypatch.setattr(notify, "terminal_writer", lambda: written.append)
    token = NOTIFY_ENDINGS.set(enabled)
    try:
        console = Console(file=io.StringIO())
        assert follow_headless(ended_run(tmp_path), HeadlessRenderer(console, console), foreground=False) == 0
    finally:
        NOTIFY_ENDINGS.reset(token)
    assert written == ([notify.notification("devices completed")] if enabled else [])


def test_the_setting_is_declared_once_with_its_flag_and_variable(capsys, monkeypatch, tmp_path):
    from fmnist_tui.tui.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("FMNIST_NOTIFY", "off")
    assert main(["config"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "general.notify" in line)
    assert "off" in row and "env FMNIST_NOTIFY" in row
    monkeypatch.setenv("FMNIST_NOTIFY", "maybe")
    assert main(["attach", "20261130-101500-train", "--out", str(tmp_path / "runs")]) == 2
    assert capsys.readouterr().err == ("fmnist-tui attach: error: There is no run 20261130-101500-train in "
                                       f"{tmp_path / 'runs'}. See `fmnist-tui runs` (and --out DIR).\n")
    ended_run(tmp_path, "train")
    assert main(["attach", "20261130-101500-train", "--out", str(tmp_path / "runs")]) == 2
    assert capsys.readouterr().err == ("fmnist-tui attach: error: FMNIST_NOTIFY (--notify): Notifications must "
                                       "be yes or no, got 'maybe'.\n")


# ---- the app: a run the screen sees ending --------------------------------------------------------


def live_run(runs_dir: Path) -> tuple[Path, JournalWriter]:
    """A devices run whose worker is this test's process (alive), started and not ended."""
    run_dir = runs_dir / "20261130-101500-devices"
    run_dir.mkdir(parents=True)
    summary = {"task": "devices", "run_id": run_dir.name, "status": "running", "worker": worker_record()}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    journal = JournalWriter(journal_path(run_dir))
    journal.write(RunStarted(task="devices", run_id=run_dir.name, run_dir=run_dir, config={}))
    return run_dir, journal


def end_run(run_dir: Path, journal: JournalWriter) -> None:
    summary = {"task": "devices", "run_id": run_dir.name, "status": "completed",
               "rows": [{"device": "CPU:0", "gflops": 41.5}]}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    journal.write(RunFinished(summary=summary, summary_path=None))
    journal.close()


@pytest.mark.parametrize("setting, rung", [(True, ["devices completed — CPU:0 41.5 GFLOP/s"]), ("off", [])])
async def test_a_screen_rings_a_run_it_sees_ending_unless_the_setting_is_off(tmp_path, monkeypatch, setting, rung):
    written: list[str] = []
    monkeypatch.setattr(notify, "app_writer", lambda app: written.append)
    app = make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", describe_environment=False,
                   defaults={"general.notify": setting})
    run_dir, journal = live_run(tmp_path / "runs")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "2", DevicesScreen)
        screen.attach(run_dir)
        assert await wait_until(pilot, lambda: "started" in str(screen.status.render()), 20)
        end_run(run_dir, journal)
        assert await wait_until(pilot, lambda: not screen.running, 20)
        assert "completed" in str(screen.status.render())
    assert written == [notify.notification(text) for text in rung]


async def test_an_ending_already_in_the_journal_is_not_rung(tmp_path, monkeypatch):
    written: list[str] = []
    monkeypatch.setattr(notify, "app_writer", lambda app: written.append)
    app = make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", describe_environment=False)
    run_dir = ended_run(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "2", DevicesScreen)
        screen.attach(run_dir)
        assert await wait_until(pilot, lambda: "completed" in str(screen.status.render()), 20)
    assert written == []
