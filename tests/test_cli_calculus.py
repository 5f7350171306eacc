"""`fmnist-tui run jacobian` and `run eigen`: help, bad input (exit 2, one line), the
original examples (exit 0, ✓), and exit 1 on a mismatch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fmnist_tui.engine.events import RunCancelled, RunFinished
from fmnist_tui.tui.cli import main
from fmnist_tui.tui.commands import eigen, jacobian


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fmnist_tui.tui.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def run_main(tmp_path, *args: str) -> int:
    """In-process run (TensorFlow is imported once per test session); SystemExit is a result too."""
    try:
        return main(["run", *args, "--out", str(tmp_path / "runs"), "--logs", str(tmp_path / "logs")])
    except SystemExit as exc:
        return int(exc.code)


def only_run(tmp_path):
    (run_dir,) = list((tmp_path / "runs").iterdir())
    return run_dir, json.loads((run_dir / "summary.json").read_text())


@pytest.mark.parametrize(
    "task, options, example",
    [
        ("jacobian", ("--expr", "--at", "--vars", "--tolerance", "--out"), 'fmnist-tui run jacobian --expr "3*x**2'),
        ("eigen", ("--matrix", "--tolerance", "--out"), 'fmnist-tui run eigen --matrix "[[3,2],[2,3]]"'),
    ],
)
def test_help_has_options_examples_and_exit_codes(task, options, example, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", task, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in options:
        assert option in out
    assert "examples:" in out and example in out
    assert "exit status: 0 completed and matched" in out and "1 completed with a mismatch" in out


def test_both_are_listed_in_run_help(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "jacobian" in out and "eigen" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["jacobian", "--expr", "__import__('os').system('ls')"], "--expr: Function '__import__' is not allowed"),
        (["jacobian", "--expr", "x.__class__"], "--expr: "),
        (["jacobian", "--at", "1,a"], "--at: The point must contain numbers only"),
        (["jacobian", "--expr", "x*y", "--at", "1"], "--at: The point has 1 value but there are 2 variables"),
        (["jacobian", "--expr", "x*y", "--at", "1,2", "--vars", "x"], "--vars: The expression uses y"),
        (["jacobian", "--tolerance", "abc"], "--tolerance: The tolerance 'abc' is not a number"),
        (["eigen", "--matrix", "[[1,2],[3]]"], "--matrix: The matrix is ragged"),
        (["eigen", "--matrix", "__import__('os').system('ls')"], "--matrix: "),
        (["eigen", "--matrix", "[[1,2],[3,4]"], "--matrix: The matrix is not valid math"),
        (["eigen", "--tolerance", "2"], "--tolerance: The tolerance must be between 0 and 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, message, capsys, tmp_path):
    assert main(["run", *args, "--out", str(tmp_path / "runs")]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.strip().count("\n") == 0 and "Traceback" not in captured.err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


SQRT_4X4 = "[[sqrt(2),sqrt(3),sqrt(5),sqrt(7)],[sqrt(11),sqrt(13),sqrt(17),sqrt(19)],[sqrt(23),sqrt(29),sqrt(31),sqrt(37)],[1,2,3,4]]"


@pytest.mark.parametrize(
    "args, message",
    [
        (["jacobian", "--expr", "x**x**x**x", "--at", "1,3"], "--at: f at x = 3 is too large to evaluate"),
        (["jacobian", "--expr", "x**1000", "--at", "0.1234567"], "--at: f at x = 1234567/10000000 cannot be computed exactly"),
        (["eigen", "--matrix", SQRT_4X4], "--matrix: Exact eigenvalues of a matrix with irrational entries"),
    ],
)
def test_input_sympy_could_not_finish_is_refused_at_once(args, message, tmp_path):
    """These used to run for ever (Ctrl-C ignored) or crash; a subprocess so that a hang fails the test."""
    result = run_cli("run", *args, "--out", str(tmp_path / "runs"), "--logs", str(tmp_path / "logs"), timeout=60)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_jacobian_original_example(tmp_path, capsys):
    assert run_main(tmp_path, "jacobian", "--expr", "3*x**2 + 2*x + 3", "--at", "1,3") == 0
    out = capsys.readouterr().out
    for expected in ("f′(x) = 6⋅x + 2", "⎡6⋅x₁ + 2", "tape.gradient(y, x) = (8, 20)", "∂f₁/∂x₁", "✓ match",
                     "Summary:"):
        assert expected in out, expected
    run_dir, summary = only_run(tmp_path)
    assert summary["task"] == "jacobian" and summary["status"] == "completed" and summary["match"] is True
    assert summary["autodiff"]["gradient"] == [8.0, 20.0]
    assert (run_dir / "summary.md").read_text().startswith("# Jacobian check")


def test_eigen_original_example(tmp_path, capsys):
    assert run_main(tmp_path, "eigen", "--matrix", "[[3,2],[2,3]]") == 0
    out = capsys.readouterr().out
    for expected in ("det(A − λI) = λ  - 6⋅λ + 5", "= (λ - 5)⋅(λ - 1)", "λ = 1: v₁ = −v₂", "λ = 5: v₁ = v₂",
                     "tf.linalg.eigh", "‖Av − λv‖", "✓ match"):
        assert expected in out, expected
    run_dir, summary = only_run(tmp_path)
    assert summary["task"] == "eigen" and summary["status"] == "completed" and summary["match"] is True
    assert [p["value"] for p in summary["eigenvalues"]["exact"]] == ["1", "5"]
    assert (run_dir / "summary.md").read_text().startswith("# Eigenpairs")


def test_a_mismatch_exits_1(tmp_path, capsys):
    # cos(float(π/3)) is 1/2 only to within one rounding: a tolerance of 1e-18 cannot be met
    assert run_main(tmp_path, "jacobian", "--expr", "sin(x)", "--at", "pi/3", "--tolerance", "1e-18") == 1
    assert "✗ mismatch" in capsys.readouterr().out
    _, summary = only_run(tmp_path)
    assert summary["status"] == "completed" and summary["match"] is False


def test_exit_code_hook():
    for module in (jacobian, eigen):
        assert module.exit_code(RunFinished(summary={"match": False}, summary_path=None)) == 1
        assert module.exit_code(RunFinished(summary={"match": True}, summary_path=None)) is None
        assert module.exit_code(RunCancelled(summary={}, summary_path=None)) is None


def test_a_real_subprocess_run(tmp_path):
    """The installed entry point, end to end: a rotation has complex eigenvalues ±i."""
    result = run_cli("run", "eigen", "--matrix", "[[0,-1],[1,0]]", "--out", str(tmp_path / "runs"),
                     "--logs", str(tmp_path / "logs"))
    assert result.returncode == 0, result.stderr
    assert "tf.linalg.eig " in result.stdout and "complex eigenvalues" in result.stdout
    assert "✓ match" in result.stdout and "Traceback" not in result.stdout + result.stderr
