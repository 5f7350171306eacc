"""Layered settings: flags > environment > config file > defaults, with clear file errors."""

from __future__ import annotations

import pytest

from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.settings import find_config_file, load_config_file, resolve, values_of


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FMNIST_CONFIG", raising=False)
    for name in ("FMNIST_TRAIN_EPOCHS", "FMNIST_TRAIN_SEED", "FMNIST_OUT"):
        monkeypatch.delenv(name, raising=False)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_precedence_flag_env_file_default(tmp_path, monkeypatch):
    config = load_config_file(write(tmp_path / "fmnist-tui.toml", "[train]\nepochs = 5\nseed = 9\ndropout = 0.3\n"))
    environ = {"FMNIST_TRAIN_EPOCHS": "7", "FMNIST_TRAIN_SEED": "11"}
    resolved = resolve(["train"], flags={"train.epochs": "9"}, environ=environ, config=config,
                       flag_names={"train.epochs": "--epochs"})
    assert resolved["train.epochs"].value == "9" and resolved["train.epochs"].source == "flag --epochs"
    assert resolved["train.seed"].value == "11" and resolved["train.seed"].source == "env FMNIST_TRAIN_SEED"
    assert resolved["train.dropout"].value == 0.3
    assert resolved["train.dropout"].source == f"file {tmp_path / 'fmnist-tui.toml'}:4"
    assert resolved["train.batch_size"].value == 64 and resolved["train.batch_size"].source == "default"
    assert values_of(resolved, "train")["epochs"] == "9"


def test_config_file_in_working_directory_wins_over_user_config(tmp_path):
    user = write(tmp_path / "xdg" / "fmnist-tui" / "config.toml", "[train]\nepochs = 2\n")
    assert find_config_file(tmp_path) == user
    local = write(tmp_path / "fmnist-tui.toml", "[train]\nepochs = 3\n")
    assert find_config_file(tmp_path) == local


def test_fmnist_config_names_the_file(tmp_path, monkeypatch):
    chosen = write(tmp_path / "elsewhere.toml", "[devices]\nrounds = 4\n")
    monkeypatch.setenv("FMNIST_CONFIG", str(chosen))
    assert find_config_file(tmp_path) == chosen
    monkeypatch.setenv("FMNIST_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml, which does not exist"):
        find_config_file(tmp_path)


def test_lists_in_the_file_become_comma_separated(tmp_path):
    config = load_config_file(write(tmp_path / "c.toml", '[train]\nmodels = ["lowlevel"]\n[devices]\nsizes = [500, 1000]\n'))
    assert config.values == {"train.models": "lowlevel", "devices.sizes": "500,1000"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("[train]\nepochs = = 3\n", "at line 2"),
        ("[train]\nepochs = 3\nbogus = 1\n", ":3: unknown setting 'bogus' in [train]"),
        ("[trian]\nepochs = 3\n", ":1: unknown section [trian]"),
        ("epochs = 3\n", ":1: unknown section [epochs]"),
    ],
)
def test_malformed_file_names_file_and_line(tmp_path, text, message):
    path = write(tmp_path / "fmnist-tui.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert str(path) in info.value.message and message in info.value.message


@pytest.mark.parametrize(
    "line, message",
    [
        ("out = 5", ":2: out must be a path in quotes, not an integer"),
        ("out = true", ":2: out must be a path in quotes, not a boolean"),
        ("logs = 7", ":2: logs must be a path in quotes, not an integer"),
        ("data_dir = 5", ":2: data_dir must be a path in quotes, not an integer"),
        ('out = ["a", "b"]', ":2: out must be a path in quotes, not a list"),
        ("logs = 1.5", ":2: logs must be a path in quotes, not a number"),
    ],
)
def test_general_values_of_the_wrong_type_name_file_and_line(tmp_path, line, message):
    path = write(tmp_path / "fmnist-tui.toml", f"[general]\n{line}\n")
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert f"{path}{message}" in info.value.message


@pytest.mark.parametrize("line", ['out = ""', 'logs = "  "', 'data_dir = ""'])
def test_empty_general_paths_are_rejected(tmp_path, line):
    # out = "" used to write run directories straight into the working directory
    path = write(tmp_path / "fmnist-tui.toml", f"# settings\n[general]\n{line}\n")
    key = line.split(" ")[0]
    with pytest.raises(ConfigError, match=rf"fmnist-tui.toml:3: {key} must not be empty"):
        load_config_file(path)


def test_a_section_that_is_not_a_table_is_called_so(tmp_path):
    path = write(tmp_path / "fmnist-tui.toml", "train = 5\n")
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert f"{path}:1: [train] must be a table of settings, not an integer" in info.value.message
    assert "unknown section" not in info.value.message


@pytest.mark.parametrize("flag, value", [("--out", ""), ("--logs", " "), ("--data-dir", "")])
def test_empty_general_flags_are_rejected(flag, value):
    key = flag.lstrip("-").replace("-", "_")
    with pytest.raises(ConfigError, match=rf"^{flag} must not be empty"):
        resolve(["general"], flags={f"general.{key}": value}, environ={}, flag_names={f"general.{key}": flag})


def test_blank_environment_path_is_rejected():
    with pytest.raises(ConfigError, match="^FMNIST_LOGS must not be empty"):
        resolve(["general"], environ={"FMNIST_LOGS": "   "})


def test_fmnist_config_naming_a_directory_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("FMNIST_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError) as info:
        find_config_file(tmp_path)
    assert info.value.message == f"FMNIST_CONFIG names {tmp_path}, which is a directory, not a TOML file."


def test_empty_models_in_the_file_are_rejected_not_replaced_by_both(tmp_path):
    # models = [] used to fall back to the default and train both models for 70 epochs
    from fmnist_tui.engine.training.config import TrainConfig

    config = load_config_file(write(tmp_path / "fmnist-tui.toml", "[train]\nmodels = []\n"))
    values = values_of(resolve(["train"], environ={}, config=config), "train")
    with pytest.raises(ConfigError, match="Choose at least one model") as info:
        TrainConfig.parse(values)
    assert info.value.field == "models"


@pytest.mark.parametrize("raw", ["", " ", ",", [], ()])
def test_train_config_rejects_empty_models(raw):
    from fmnist_tui.engine.training.config import TrainConfig

    with pytest.raises(ConfigError, match="Choose at least one model"):
        TrainConfig.parse({"models": raw})


def test_train_config_still_defaults_missing_models():
    from fmnist_tui.engine.training.config import MODEL_NAMES, TrainConfig

    assert TrainConfig.parse({}).models == MODEL_NAMES
    assert TrainConfig.parse({"models": None}).models == MODEL_NAMES


# ---- unknown FMNIST_* environment variables -------------------------------------------

FLAGS = {"train.learning_rate": "--lr", "train.epochs": "--epochs", "general.out": "--out"}


def test_misspelt_variable_gets_the_closest_setting_and_its_flag():
    from fmnist_tui.engine.settings import unknown_environment_variables

    assert unknown_environment_variables({"FMNIST_TRAIN_LR": "-1"}, FLAGS) == [
        "FMNIST_TRAIN_LR is not a setting; did you mean FMNIST_TRAIN_LEARNING_RATE (flag --lr)?"
    ]


@pytest.mark.parametrize(
    "name, suggestion",
    [
        ("FMNIST_TRAIN_EPOCH", "FMNIST_TRAIN_EPOCHS (flag --epochs)"),
        ("FMNIST_EPOCHS", "FMNIST_TRAIN_EPOCHS (flag --epochs)"),
        ("FMNIST_TRIAN_EPOCHS", "FMNIST_TRAIN_EPOCHS (flag --epochs)"),
        ("FMNIST_DATA_DIR", "FMNIST_DATA"),
        ("FMNIST_OUTPUT", "FMNIST_OUT (flag --out)"),
        ("FMNIST_CONFIG_FILE", "FMNIST_CONFIG"),
        ("FMNIST_DEVICES_SIZE", "FMNIST_DEVICES_SIZES"),
        ("FMNIST_TRAIN_BATCHSIZE", "FMNIST_TRAIN_BATCH_SIZE"),
        ("fmnist_train_epochs", "FMNIST_TRAIN_EPOCHS (flag --epochs)"),
        ("FMNIST_TOLERANCE", "FMNIST_JACOBIAN_TOLERANCE or FMNIST_EIGEN_TOLERANCE"),
    ],
)
def test_suggestions_for_common_mistakes(name, suggestion):
    from fmnist_tui.engine.settings import unknown_environment_variables

    assert unknown_environment_variables({name: "1"}, FLAGS) == [
        f"{name} is not a setting; did you mean {suggestion}?"
    ]


def test_known_and_foreign_variables_are_not_warned_about():
    from fmnist_tui.engine.settings import SETTINGS, unknown_environment_variables

    environ = {s.env: "1" for s in SETTINGS}
    environ.update({"FMNIST_CONFIG": "/x.toml", "PATH": "/bin", "MY_FMNIST_TRAIN_LR": "1"})
    environ.update({"FMNIST_DATA": "/data", "FMNIST_OUT": "runs", "FMNIST_LOGS": "logs"})
    assert unknown_environment_variables(environ) == []


def test_a_variable_like_no_setting_still_gets_a_warning_and_a_pointer():
    from fmnist_tui.engine.settings import unknown_environment_variables

    (warning,) = unknown_environment_variables({"FMNIST_ZZZZZZZZ": "1", "HOME": "/root"})
    assert warning.startswith("FMNIST_ZZZZZZZZ is not a setting") and "fmnist-tui config" in warning
    assert "\n" not in warning


def test_warnings_come_in_a_stable_order():
    from fmnist_tui.engine.settings import unknown_environment_variables

    warnings = unknown_environment_variables({"FMNIST_TRAIN_LR": "1", "FMNIST_EPOCH": "2"})
    assert [w.split(" ")[0] for w in warnings] == ["FMNIST_EPOCH", "FMNIST_TRAIN_LR"]


def test_a_general_setting_that_is_not_a_path_is_read_as_its_own_type(tmp_path):
    # notify is a yes/no under [general]: not checked as a path, and a bad value is its own error
    config = load_config_file(write(tmp_path / "fmnist-tui.toml", "[general]\nnotify = false\n"))
    resolved = resolve(["general"], config=config, environ={})
    assert values_of(resolved, "general")["notify"] is False
    blank = resolve(["general"], flags={"general.notify": ""}, environ={}, flag_names={"general.notify": "--notify"})
    assert values_of(blank, "general")["notify"] == ""  # refused where it is parsed, with the flag's message
