"""`fmnist-tui run devices`: help, bad input, and a real tiny timing run headless."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fmnist_tui.tui.cli import main


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fmnist_tui.tui.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def test_devices_help_has_options_defaults_and_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "devices", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--sizes", "--rounds", "--dtype", "--devices", "--tf32", "--warmup", "--out"):
        assert option in out
    assert "500,1000,5000,10000" in out and "default 10)" in out
    assert "examples:" in out and "fmnist-tui run devices --sizes" in out


def test_devices_is_listed_in_run_help(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "devices" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sizes", "0"], "--sizes: Matrix size 0 is not positive"),
        (["--sizes", "500,abc"], "--sizes: Matrix size 'abc' must be a whole number"),
        (["--sizes", ""], "--sizes: Give at least one matrix size"),
        (["--sizes", "100000"], "--sizes: Matrix size 100000 is absurdly large"),
        (["--rounds", "0"], "--rounds: Rounds must be at least 1 and at most 1,000, got 0."),
        (["--rounds", "ten"], "--rounds: Rounds must be a whole number"),
        (["--dtype", "int7"], "--dtype: Unknown dtype 'int7'"),
        (["--devices", "cpu,tpu"], "--devices: Unknown device 'tpu'"),
        (["--tf32", "maybe"], "--tf32: TF32 must be on, off or default"),
        (["--warmup", "-1"], "--warmup: Warm-up must be at least 0 and at most 100, got -1."),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, message, capsys):
    assert main(["run", "devices", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_a_real_tiny_run(tmp_path):
    runs = tmp_path / "runs"
    result = run_cli("--logs", str(tmp_path / "logs"), "run", "devices", "--sizes", "64,128", "--rounds", "2",
                     "--out", str(runs))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Matrix multiplication (float32)" in out and "median" in out and "processor" in out
    assert "Summary:" in out and "Traceback" not in out + result.stderr
    run_dir = next(runs.iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (run_dir / "summary.md").read_text().startswith("# Matrix multiplication")
    assert summary["task"] == "devices" and summary["status"] == "completed"
    assert summary["config"]["sizes"] == [64, 128] and summary["config"]["rounds"] == 2
    cpu = [r for r in summary["rows"] if r["device"] == "CPU:0"]
    assert [r["size"] for r in cpu] == [64, 128]
    for row in summary["rows"]:
        assert not row["rejected"] and row["gflops"] > 0 and row["median_ms"] > 0, row
    if not summary["gpu_present"]:
        assert "no GPU" in out
