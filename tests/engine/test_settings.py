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
