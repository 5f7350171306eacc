"""The TUI driven as a user would, with Textual's pilot and small injected data."""

from __future__ import annotations

import gc
import json

import pytest
from textual.widgets import Checkbox, DataTable, Input

from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.screens.classifier import ClassifierScreen
from fmnist_tui.tui.screens.confirm import QuitModal
from fmnist_tui.tui.screens.help import HelpModal
from fmnist_tui.tui.screens.home import HomeScreen
from fmnist_tui.tui.start_up_collector import end_start_up_collector_pause, pause_collector_for_start_up
from fmnist_tui.tui.widgets.form import FormField

from pilot_helpers import SIZE, open_screen, set_field, toasts, wait_until



async def open_classifier(pilot) -> ClassifierScreen:
    return await open_screen(pilot, "1", ClassifierScreen)


async def wait_for_run(pilot, screen) -> None:
    for worker in [w for w in pilot.app.workers if w.group == "train"]:
        await worker.wait()
    await pilot.pause()


async def test_home_lists_every_task(app):
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, HomeScreen)
        options = app.screen.query_one("#task-list")
        for mode in ("classifier", "devices", "jacobian", "eigen", "runs"):
            assert options.get_option(mode).disabled is False


async def test_a_task_without_its_screen_is_shown_as_not_available(app, monkeypatch):
    from fmnist_tui.tui.app import FmnistApp

    monkeypatch.setattr(FmnistApp, "MODES", {k: v for k, v in FmnistApp.MODES.items() if k != "runs"})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        option = app.screen.query_one("#task-list").get_option("runs")
        assert option.disabled is True and "not available yet" in str(option.prompt)
        await pilot.press("5")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert await wait_until(pilot, lambda: any("not available yet" in toast for toast in toasts(app)), 5)


async def test_number_key_and_arrows_open_the_classifier_and_escape_returns(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_classifier(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        # arrows + Enter: the first option is the Classifier
        await pilot.press("home", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ClassifierScreen)


async def test_help_opens_and_closes(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_invalid_form_values_are_shown_next_to_their_fields(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_classifier(pilot)
        set_field(screen, "epochs", "0")
        set_field(screen, "learning_rate", "fast")
        set_field(screen, "dropout", "1.5")
        screen.query_one("#models-keras", Checkbox).value = False
        screen.query_one("#models-lowlevel", Checkbox).value = False
        await pilot.press("s")
        await pilot.pause()
        assert not screen.running
        assert "at least 1" in screen.query_one("#field-epochs", FormField).error
        assert "must be a number" in screen.query_one("#field-learning_rate", FormField).error
        assert "less than 1" in screen.query_one("#field-dropout", FormField).error
        assert screen.query_one("#field-batch_size", FormField).error == ""
        assert "at least one model" in str(screen.query_one("#error-models").content)
        assert not (app.settings.runs_dir).exists() or not any(app.settings.runs_dir.iterdir())


async def test_cancel_stops_the_run_and_keeps_a_cancelled_summary(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_classifier(pilot)
        set_field(screen, "epochs", "1000")
        set_field(screen, "batch_size", "8")
        await pilot.press("s")
        # wait for the first epoch to complete, then cancel with the key
        for _ in range(400):
            await pilot.pause(0.05)
            if screen.query_one("#epoch-table", DataTable).row_count >= 1:
                break
        await pilot.press("c")
        await wait_for_run(pilot, screen)
        assert not screen.running
        summary = json.loads((screen.last_summary_path.parent / "summary.json").read_text())
        assert summary["status"] == "cancelled"
        assert len(summary["models"]["keras"]["epochs"]) >= 1


async def start_long_run(pilot) -> ClassifierScreen:
    screen = await open_classifier(pilot)
    set_field(screen, "epochs", "1000")
    await pilot.press("s")
    assert await wait_until(pilot, lambda: screen.run_dir is not None)
    return screen


async def test_quit_during_a_run_asks_and_can_cancel_it(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_long_run(pilot)
        await pilot.press("q")
        assert await wait_until(pilot, lambda: isinstance(app.screen, QuitModal), 10)
        await pilot.press("s")  # stay
        assert await wait_until(pilot, lambda: not isinstance(app.screen, QuitModal), 10)
        assert app.is_running and screen.running
        await pilot.press("q")
        assert await wait_until(pilot, lambda: isinstance(app.screen, QuitModal), 10)
        await pilot.press("c")  # cancel the runs and quit
        assert await wait_until(pilot, lambda: not app.is_running)
        assert not screen.running
        assert json.loads((screen.run_dir / "summary.json").read_text())["status"] == "cancelled"


async def test_quitting_can_leave_a_run_going_on_without_the_app(app, tmp_path):
    from fmnist_tui.engine.launcher import request_cancel, wait_for_ending
    from fmnist_tui.engine.liveness import live_status

    async with app.run_test(size=SIZE) as pilot:
        screen = await start_long_run(pilot)
        run_dir = screen.run_dir
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("enter")  # the default: keep running
        assert await wait_until(pilot, lambda: not app.is_running, seconds=10)
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
        assert live_status(summary) == "running"
    finally:
        request_cancel(run_dir)
        assert wait_for_ending(run_dir)["status"] == "cancelled"


async def test_screens_stay_switchable_while_training(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_classifier(pilot)
        set_field(screen, "epochs", "3")
        await pilot.press("s")
        await pilot.pause(0.05)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("1")
        await pilot.pause()
        assert app.screen is screen
        await wait_for_run(pilot, screen)
        assert screen.query_one("#epoch-table", DataTable).row_count == 6


async def test_forms_start_from_the_users_settings(tmp_path, small_npz):
    app = make_app(runs_dir=tmp_path / "runs", data_dir=small_npz, describe_environment=False,
                   defaults={"train.epochs": 5, "train.models": "lowlevel", "devices.rounds": 3})
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_classifier(pilot)
        assert screen.query_one("#input-epochs", Input).value == "5"
        assert screen.query_one("#input-batch_size", Input).value == "64"  # not set: the default
        assert screen.query_one("#models-keras", Checkbox).value is False
        assert screen.query_one("#models-lowlevel", Checkbox).value is True
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert app.screen.query_one("#input-rounds", Input).value == "3"


async def test_a_tensorflow_that_does_not_load_is_reported(tmp_path, monkeypatch):
    # The spare worker imports TensorFlow in its own process: give it one that fails to load.
    fake = tmp_path / "fake-site" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('libcudart.so.12: cannot open shared object file')\n")
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))
    app = make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.sub_title == "TensorFlow did not load":
                break
        assert app.sub_title == "TensorFlow did not load"
        assert await wait_until(pilot, lambda: any("libcudart" in toast for toast in toasts(app)), 5)


async def test_task_screens_are_mounted_unseen_after_start_and_keys_still_work(tmp_path):
    # as `fmnist-tui` does before importing Textual: full collections walking start-up's
    # million objects held keys for 100–260 ms each
    pause_collector_for_start_up()
    app = make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", describe_environment=False,
                   premount_screens=True)
    switched_to: list[str] = []
    switch_mode = app.switch_mode

    def recorded_switch(mode: str):
        switched_to.append(mode)
        return switch_mode(mode)

    app.switch_mode = recorded_switch
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert not gc.isenabled()  # still building screens unseen
            assert await wait_until(pilot, gc.isenabled, 60)
            assert not app.unopened_modes()  # every screen was built before the collector came back
            assert gc.get_freeze_count() > 10_000  # and set aside with the rest of start-up
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)  # the user never saw them go by
            assert app.focused is not None and app.focused.id == "task-list"
            await pilot.press("1")
            await pilot.pause()
            assert isinstance(app.screen, ClassifierScreen)
            assert len(app.screen.query_one("#epoch-table").columns) == 7  # mounted once, not twice
            # built beside the screen shown, never by showing them: a key pressed meanwhile
            # would have gone to a screen the user did not choose
            assert switched_to == ["classifier"]
    finally:
        gc.unfreeze()
        gc.enable()


def test_an_app_whose_start_up_did_not_pause_the_collector_freezes_nothing():
    frozen = gc.get_freeze_count()
    end_start_up_collector_pause()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
