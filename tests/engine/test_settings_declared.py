"""Each setting is declared once (engine/setting_specs.py): its environment variable,
config-file key and task validation all come from that one entry."""

from __future__ import annotations

import pytest

from fmnist_tui.engine import setting_specs
from fmnist_tui.engine.calculus.tasks import EigenConfig, JacobianConfig
from fmnist_tui.engine.devices import DevicesConfig
from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.setting_specs import SETTINGS, Setting, SettingsConfig, settings_config
from fmnist_tui.engine.settings import load_config_file, resolve
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.validators import Bounded

CONFIGS = {"train": TrainConfig, "devices": DevicesConfig, "jacobian": JacobianConfig, "eigen": EigenConfig}
TASK_SETTINGS = [s for s in SETTINGS if s.section != "general"]


def test_flags_and_environment_variables_are_unique_per_setting():
    variables = [s.env for s in SETTINGS]
    assert len(set(variables)) == len(variables)
    for section in CONFIGS:  # a flag may be shared across sections (`run all --tolerance`), not within one
        flags = [s.flag for s in setting_specs.section_settings(section)]
        assert len(set(flags)) == len(flags), section


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_read_from_its_variable_and_its_config_key(setting, tmp_path):
    from_env = resolve([setting.section], environ={setting.env: "7"})[setting.name]
    assert (from_env.value, from_env.source) == ("7", f"env {setting.env}")
    path = tmp_path / "fmnist-tui.toml"
    path.write_text(f'[{setting.section}]\n{setting.key} = "7"\n')
    from_file = resolve([setting.section], environ={}, config=load_config_file(path))[setting.name]
    assert (from_file.value, from_file.source) == ("7", f"file {path}:2")


@pytest.mark.parametrize("setting", TASK_SETTINGS, ids=lambda s: s.name)
def test_every_task_setting_is_a_config_field_whose_default_is_the_declared_one(setting):
    config = CONFIGS[setting.section]
    assert getattr(config(), setting.key) == setting.value(None)
    assert getattr(config.parse({}), setting.key) == setting.value(None)


@pytest.mark.parametrize(
    "config, values, field, message",
    [
        (TrainConfig, {"epochs": "0"}, "epochs", "Epochs must be at least 1 and at most 10,000, got 0."),
        (TrainConfig, {"epochs": ""}, "epochs", "Epochs must be a whole number, got ''."),
        (TrainConfig, {"learning_rate": "0"}, "learning_rate", "Learning rate must be greater than 0 and at most 10"),
        (TrainConfig, {"seed": "-1"}, "seed", "Seed must be at least 0 and at most 2,147,483,647, got -1."),
        (DevicesConfig, {"rounds": "ten"}, "rounds", "Rounds must be a whole number, got 'ten'."),
        (DevicesConfig, {"warmup": "101"}, "warmup", "Warm-up must be at least 0 and at most 100, got 101."),
        (JacobianConfig, {"tolerance": "2"}, "tolerance", "The tolerance must be between 0 and 1"),
        (JacobianConfig, {"expr": "x*y", "at": "1"}, "at", "The point has 1 value but there are 2 variables"),
        (EigenConfig, {"matrix": "[[1,2],[3]]"}, "matrix", "The matrix is ragged"),
    ],
)
def test_parse_raises_and_errors_lists_the_same_message(config, values, field, message):
    with pytest.raises(ConfigError) as info:
        config.parse(values)
    assert info.value.field == field and str(info.value).startswith(message)
    assert config.errors(values) == {field: str(info.value)}


def test_errors_reports_every_bad_field_and_a_bad_field_does_not_hide_a_cross_field_check():
    assert set(TrainConfig.errors({"epochs": "0", "dropout": "1", "models": ""})) == {"epochs", "dropout", "models"}
    errors = JacobianConfig.errors({"expr": "__import__('os')", "tolerance": "2"})
    assert set(errors) == {"expr", "tolerance"} and "'__import__' is not allowed" in errors["expr"]
    assert TrainConfig.errors({"epochs": "3", "seed": ""}) == {} and TrainConfig.parse({"seed": ""}).seed is None


def test_a_config_without_a_field_for_a_declared_setting_is_refused_when_made(monkeypatch):
    extra = Setting("train", "label_smoothing", 0.0, "label smoothing (default {default})",
                    parse=Bounded(0, 1, high_open=True, whole=False))
    monkeypatch.setattr(setting_specs, "SETTINGS", (*SETTINGS, extra))

    with pytest.raises(TypeError, match=r"Incomplete has no field for the setting\(s\) batch_size, .*, label_smoothing"):
        @settings_config("train")
        class Incomplete(SettingsConfig):
            epochs: int

    @settings_config("train")
    class Complete(SettingsConfig):
        epochs: int
        batch_size: int
        learning_rate: float
        dropout: float
        hidden_units: int
        seed: int | None
        models: tuple[str, ...]
        strategy: str
        steps_per_execution: int | str
        label_smoothing: float

    assert Complete().label_smoothing == 0.0 and Complete.parse({"label_smoothing": "0.1"}).label_smoothing == 0.1
    assert Complete.errors({"label_smoothing": "1"}) == {
        "label_smoothing": "Label smoothing must be at least 0 and less than 1, got 1."}
