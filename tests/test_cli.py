"""The `fmnist-tui` command line: help, bad input, and a real training run headless."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fmnist_tui.tui.cli import main


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fmnist_tui.tui.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def test_help_explains_tasks_and_data(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "run train" in out and "dataset-fashion-mnist" in out


def test_train_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["run", "train", "--help"])
    out = capsys.readouterr().out
    for option in ("--epochs", "--batch-size", "--lr", "--dropout", "--hidden", "--seed", "--models", "--data-dir", "--out",
                   "--steps-per-execution"):
        assert option in out
    assert "examples:" in out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("fmnist-tui ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs: Epochs must be at least 1"),
        (["--epochs", "ten"], "--epochs: Epochs must be a whole number"),
        (["--batch-size", "0"], "--batch-size: Batch size must be at least 1"),
        (["--lr", "0"], "--lr: Learning rate must be greater than 0"),
        (["--lr", "-1"], "--lr: Learning rate must be greater than 0"),
        (["--dropout", "1"], "--dropout: Dropout must be at least 0 and less than 1"),
        (["--dropout", "-0.1"], "--dropout: Dropout must be at least 0"),
        (["--models", "keras,torch"], "--models: Unknown model 'torch'"),
        (["--hidden", "abc"], "--hidden: Hidden units must be a whole number"),
        (["--steps-per-execution", "0"],
         "--steps-per-execution: Steps per execution must be auto or a whole number from 1 to 100,000, got '0'"),
        (["--steps-per-execution", "fast"], "--steps-per-execution: Steps per execution must be auto or a whole number"),
        (["--steps-per-execution", "2.5"], "--steps-per-execution: Steps per execution must be auto or a whole number"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, message, capsys):
    assert main(["run", "train", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_unwritable_output_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["run", "train", "--out", str(blocker / "runs")]) == 2
    err = capsys.readouterr().err
    assert "--out: Cannot write to the output directory" in err


@pytest.mark.realdata
def test_real_training_one_epoch_each_model(tmp_path):
    """One epoch of each model on the real Fashion-MNIST, headless, end to end."""
    result = run_cli("run", "train", "--epochs", "1", "--out", str(tmp_path / "runs"), "--logs", str(tmp_path / "logs"))
    assert result.returncode == 0, result.stderr
    assert "Comparison" in result.stdout and "Test accuracy" in result.stdout
    run_dir = next((tmp_path / "runs").iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert summary["data"]["train_samples"] == 60000 and summary["data"]["test_samples"] == 10000
    for model in ("keras", "lowlevel"):
        assert summary["models"][model]["test_accuracy"] > 0.80, model
    assert (run_dir / "summary.md").read_text().count("| Test accuracy |") == 1
    assert list((tmp_path / "logs" / "fit" / run_dir.name / "keras" / "test").iterdir())
    # TensorFlow's native log lines went to the log file, not into the output
    assert "oneDNN" not in result.stdout + result.stderr


def test_ctrl_c_cancels_and_keeps_a_cancelled_summary(tmp_path, small_npz):
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "fmnist_tui.tui.cli", "run", "train", "--epochs", "2000", "--models", "lowlevel",
         "--data-dir", small_npz, "--out", str(tmp_path / "runs"), "--logs", str(tmp_path / "logs")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 300
    for line in process.stdout:
        if "epoch 1/2000:" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "cancelled; what completed is kept in the summary." in err and "Traceback" not in err
    summary = json.loads(next((tmp_path / "runs").glob("*/summary.json")).read_text())
    assert summary["status"] == "cancelled"
    assert len(summary["models"]["lowlevel"]["epochs"]) >= 1


def test_config_command_shows_values_and_sources(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "fmnist-tui.toml").write_text("[train]\nepochs = 3\n")
    monkeypatch.setenv("FMNIST_DEVICES_ROUNDS", "4")
    assert main(["--out", "elsewhere", "config"]) == 0
    out = capsys.readouterr().out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 3}
    assert "3" in lines["train.epochs"] and "fmnist-tui.toml" in lines["train.epochs"]
    assert "4" in lines["devices.rounds"] and "env FMNIST_DEVICES_ROUNDS" in lines["devices.rounds"]
    assert "elsewhere" in lines["general.out"] and "flag --out" in lines["general.out"]
    assert "default" in lines["train.batch_size"]


def test_config_file_values_are_used_and_bad_ones_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "fmnist-tui.toml").write_text("[train]\nepochs = 0\n")
    assert main(["run", "train"]) == 2
    err = capsys.readouterr().err
    assert "fmnist-tui.toml:2 (--epochs): Epochs must be at least 1" in err
    monkeypatch.setenv("FMNIST_TRAIN_EPOCHS", "-1")
    assert main(["run", "train"]) == 2
    assert "FMNIST_TRAIN_EPOCHS (--epochs)" in capsys.readouterr().err
    monkeypatch.delenv("FMNIST_TRAIN_EPOCHS")
    (tmp_path / "fmnist-tui.toml").write_text('[train]\nsteps_per_execution = "many"\n')
    assert main(["run", "train"]) == 2
    assert ("fmnist-tui.toml:2 (--steps-per-execution): Steps per execution must be auto or a whole number"
            in capsys.readouterr().err)


def test_malformed_config_file_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "fmnist-tui.toml").write_text("[train]\nepochs = = 3\n")
    assert main(["run", "train"]) == 2
    err = capsys.readouterr().err
    assert "fmnist-tui.toml" in err and "line 2" in err and "Traceback" not in err


# ---- settings the user got wrong: one line on stderr, exit 2, nothing run --------------


def assert_one_line_usage_error(code, capsys, *fragments):
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in out + err and err.strip().count("\n") == 0, err
    for fragment in fragments:
        assert fragment in err
    return err


@pytest.mark.parametrize(
    "line, message",
    [
        ("out = 5", "fmnist-tui.toml:2: out must be a path in quotes, not an integer"),
        ("out = true", "fmnist-tui.toml:2: out must be a path in quotes, not a boolean"),
        ("logs = 7", "fmnist-tui.toml:2: logs must be a path in quotes, not an integer"),
        ("data_dir = 5", "fmnist-tui.toml:2: data_dir must be a path in quotes, not an integer"),
        ('out = ""', "fmnist-tui.toml:2: out must not be empty"),
    ],
)
def test_bad_general_values_in_the_config_file(tmp_path, monkeypatch, capsys, line, message):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "fmnist-tui.toml").write_text(f"[general]\n{line}\n")
    assert_one_line_usage_error(main(["run", "eigen"]), capsys, message)
    assert not (tmp_path / "runs").exists() and not list(tmp_path.glob("2*-eigen"))


def test_bad_general_value_in_the_config_file_stops_the_config_command_too(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "fmnist-tui.toml").write_text("[general]\nlogs = 7\n")
    assert_one_line_usage_error(main(["config"]), capsys, "logs must be a path in quotes, not an integer")


def test_empty_out_flag_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert_one_line_usage_error(main(["run", "eigen", "--out", ""]), capsys, "--out must not be empty")
    assert not list(tmp_path.glob("2*-eigen"))  # not written into the working directory


def test_empty_out_flag_is_refused_by_the_config_command_too(tmp_path, monkeypatch, capsys):
    """Needs tui/cli.py show_config to catch the ConfigError from resolve (see the h3 report)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert_one_line_usage_error(main(["--out", "", "config"]), capsys, "--out must not be empty")


def test_empty_models_list_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "fmnist-tui.toml").write_text("[train]\nmodels = []\n")
    # an empty data directory: were the empty list taken as "both", the run would stop on the data
    (tmp_path / "empty").mkdir()
    code = main(["run", "train", "--epochs", "1", "--data-dir", str(tmp_path / "empty")])
    assert_one_line_usage_error(code, capsys, "fmnist-tui.toml:2 (--models): Choose at least one model.")


def test_fmnist_config_naming_a_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FMNIST_CONFIG", str(tmp_path))
    assert_one_line_usage_error(
        main(["run", "eigen"]), capsys, f"FMNIST_CONFIG names {tmp_path}, which is a directory, not a TOML file."
    )


@pytest.mark.parametrize("kind, words", [("file", "is a file, not a directory"), ("missing", "does not exist")])
def test_data_dir_that_is_not_a_directory_is_refused_before_the_run(tmp_path, monkeypatch, capsys, kind, words):
    """Needs tui/commands/train.py build_task to call engine.data.check_data_dir (see the h3 report)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    data_dir = tmp_path / "fmnist.tar"
    if kind == "file":
        data_dir.write_text("not a directory")
    code = main(["run", "train", "--epochs", "1", "--data-dir", str(data_dir), "--out", str(tmp_path / "runs")])
    assert_one_line_usage_error(code, capsys, f"--data-dir: The data directory {data_dir} {words}.")
    assert not list((tmp_path / "runs").glob("*/summary.json"))  # refused, not a failed run


def test_out_naming_a_file(tmp_path, monkeypatch, capsys):
    """Needs engine/runner.py check_output_dir to say what the path is (see the h3 report)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    blocker = tmp_path / "runs"
    blocker.write_text("not a directory")
    code = main(["run", "eigen", "--out", str(blocker)])
    err = assert_one_line_usage_error(code, capsys, f"{blocker}", "is a file, not a directory")
    assert "File exists" not in err
