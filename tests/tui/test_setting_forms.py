"""The task screens' forms are made from the settings' declarations (engine/setting_specs.py):
each field's label, starting value, placeholder and tooltip, and its errors, which read as
the command line's do."""

from __future__ import annotations

import pytest
from pilot_helpers import SIZE, open_screen, set_field
from textual.widgets import Checkbox, Input, Label, Static

from fmnist_tui.engine import setting_specs
from fmnist_tui.engine.setting_specs import SETTINGS, Setting, setting_named
from fmnist_tui.engine.validators import Bounded
from fmnist_tui.tui.cli import main
from fmnist_tui.tui.screens.classifier import ClassifierScreen
from fmnist_tui.tui.screens.devices import DevicesScreen
from fmnist_tui.tui.screens.eigen import EigenScreen
from fmnist_tui.tui.screens.jacobian import JacobianScreen

SCREENS = [("1", ClassifierScreen), ("2", DevicesScreen), ("3", JacobianScreen), ("4", EigenScreen)]


def shown_field(screen, setting: Setting) -> dict:
    """A field as the user sees it: its label, value, placeholder and tooltip (or its checkboxes)."""
    field = screen.query_one(f"#field-{setting.key}")
    if setting.choices:
        label = str(field.query_one(Static).content)
        return {"label": label, "boxes": [(str(box.label), box.value) for box in field.query(Checkbox)]}
    field_input = field.query_one(Input)
    return {"label": str(field.query_one(Label).content), "value": field_input.value,
            "placeholder": field_input.placeholder, "tooltip": field_input.tooltip}


def declared_field(setting: Setting) -> dict:
    if setting.choices:
        chosen = str(setting.form_value).split(",")
        return {"label": setting.label, "boxes": [(title, name in chosen) for name, title in setting.choices]}
    value = "" if setting.form_value is None else str(setting.form_value)
    return {"label": setting.label, "value": value, "placeholder": setting.placeholder,
            "tooltip": setting.tooltip or None}


@pytest.mark.parametrize("key, kind", SCREENS, ids=lambda v: getattr(v, "__name__", v))
async def test_each_field_shows_its_setting_as_declared(app, key, kind):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, key, kind)
        assert kind.SETTINGS and all(name.startswith(f"{kind.TASK}.") for name in kind.SETTINGS)
        for name in kind.SETTINGS:
            setting = setting_named(name)
            assert shown_field(screen, setting) == declared_field(setting), name


def cli_error(capsys, tmp_path, setting: Setting, bad: str) -> str:
    """The message `fmnist-tui run` gives for `bad` in the setting's flag."""
    assert main(["run", setting.section, setting.flag, bad, "--out", str(tmp_path / "cli-runs")]) == 2
    return capsys.readouterr().err.strip().split(f"{setting.flag}: ", 1)[1]


@pytest.mark.parametrize(
    "key, kind, name, bad",
    [
        ("1", ClassifierScreen, "train.epochs", "0"),
        ("2", DevicesScreen, "devices.rounds", "ten"),
        ("3", JacobianScreen, "jacobian.tolerance", "2"),
        ("4", EigenScreen, "eigen.matrix", "[[1,2],[3]]"),
    ],
)
async def test_a_bad_value_reads_the_same_in_the_form_as_on_the_command_line(app, capsys, tmp_path, key, kind, name,
                                                                             bad):
    setting = setting_named(name)
    expected = cli_error(capsys, tmp_path, setting, bad)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, key, kind)
        set_field(screen, setting.key, bad)
        await pilot.press("s")
        await pilot.pause()
        for worker in [w for w in app.workers if w.group == kind.TASK]:
            await worker.wait()
        await pilot.pause()
        assert screen.query_one(f"#field-{setting.key}").error == expected
        assert not screen.running and screen.run_dir is None


async def test_a_setting_declared_once_gets_a_field_on_the_screen_that_shows_it(app, monkeypatch):
    smoothing = Setting("train", "label_smoothing", 0.0, "label smoothing (default {default})",
                        parse=Bounded(0, 1, high_open=True, whole=False), tooltip="Share of the target spread out.")
    monkeypatch.setattr(setting_specs, "SETTINGS", (*SETTINGS, smoothing))
    monkeypatch.setattr(ClassifierScreen, "SETTINGS", (*ClassifierScreen.SETTINGS, smoothing.name))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "1", ClassifierScreen)
        assert shown_field(screen, smoothing) == {"label": "Label smoothing", "value": "0.0", "placeholder": "",
                                                  "tooltip": "Share of the target spread out."}
