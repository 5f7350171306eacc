"""The command line's options, `fmnist-tui config` and the errors come from the settings'
declarations (engine/setting_specs.py): one entry makes a flag, a variable and a row."""

from __future__ import annotations

import pytest

from fmnist_tui.engine import setting_specs
from fmnist_tui.engine.calculus.tasks import EigenConfig, JacobianConfig
from fmnist_tui.engine.devices import DevicesConfig
from fmnist_tui.engine.setting_specs import SETTINGS, Setting
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.validators import Bounded
from fmnist_tui.tui.cli import build_parser, main

COMMAND_OF_SECTION = {"general": "train", "train": "train", "devices": "devices", "jacobian": "jacobian",
                      "eigen": "eigen"}


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FMNIST_CONFIG", raising=False)
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)


def help_of(capsys, *command: str) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse folds long help over lines


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_has_its_flag_with_its_help(setting, capsys):
    command = COMMAND_OF_SECTION[setting.section]
    assert f"{setting.flag} {setting.metavar} {' '.join(setting.cli_help.split())}" in help_of(capsys, "run", command)
    if setting.section != "general":
        assert setting.flag in help_of(capsys, "run", "all")
    args = build_parser().parse_args(["run", command, setting.flag, "7"])
    assert args.command_module.NAME == command


@pytest.mark.parametrize(
    "section, key, bad, config",
    [
        ("train", "epochs", "0", TrainConfig),
        ("train", "steps_per_execution", "fast", TrainConfig),
        ("devices", "sizes", "500,abc", DevicesConfig),
        ("devices", "tf32", "maybe", DevicesConfig),
        ("jacobian", "tolerance", "2", JacobianConfig),
        ("eigen", "matrix", "[[1,2],[3]]", EigenConfig),
    ],
)
def test_a_bad_value_reads_the_same_from_a_flag_and_from_its_variable(section, key, bad, config, capsys, monkeypatch,
                                                                       tmp_path):
    setting = setting_specs.setting_named(f"{section}.{key}")
    message = config.errors({key: bad})[key]
    out = ["--out", str(tmp_path / "runs")]
    assert main(["run", section, setting.flag, bad, *out]) == 2
    assert capsys.readouterr().err == f"fmnist-tui run {section}: error: {setting.flag}: {message}\n"
    monkeypatch.setenv(setting.env, bad)
    assert main(["run", section, *out]) == 2
    assert capsys.readouterr().err == f"fmnist-tui run {section}: error: {setting.env} ({setting.flag}): {message}\n"
    assert not (tmp_path / "runs").exists()


def test_a_setting_declared_once_has_a_flag_a_variable_and_a_row_in_config(monkeypatch, capsys):
    smoothing = Setting("train", "label_smoothing", 0.0, "label smoothing of the targets (default {default})",
                        parse=Bounded(0, 1, high_open=True, whole=False), metavar="S")
    monkeypatch.setattr(setting_specs, "SETTINGS", (*SETTINGS, smoothing))
    assert "--label-smoothing S label smoothing of the targets (default 0.0)" in help_of(capsys, "run", "train")
    assert main(["config"]) == 0
    rows = {line.split("│")[1].strip(): line for line in capsys.readouterr().out.splitlines() if line.count("│") >= 3}
    assert "0.0" in rows["train.label_smoothing"] and "default" in rows["train.label_smoothing"]
    monkeypatch.setenv("FMNIST_TRAIN_LABEL_SMOOTHING", "0.1")
    assert main(["config"]) == 0
    out = capsys.readouterr()
    assert "env FMNIST_TRAIN_LABEL_SMOOTHING" in out.out and "not a setting" not in out.err
    args = build_parser().parse_args(["run", "train", "--label-smoothing", "0.2"])
    assert args.label_smoothing == "0.2"


def test_config_lists_every_declared_setting_in_order(capsys):
    assert main(["config"]) == 0
    names = [line.split("│")[1].strip() for line in capsys.readouterr().out.splitlines() if line.count("│") >= 3]
    assert names == [s.name for s in SETTINGS]
