"""`fmnist-tui run all`: every task in order, then one report whose tables parse."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fmnist_tui.tui.cli import main
from markdown_check import expected_rows, rendered_rows


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs:"),
        (["--sizes", "0"], "--sizes:"),
        (["--expr", "__import__('os').system('ls')"], "--expr: Function '__import__' is not allowed"),
        (["--matrix", "[[1,2],[3]]"], "--matrix:"),
    ],
)
def test_bad_input_anywhere_stops_before_anything_runs(args, message, tmp_path, capsys):
    assert main(["run", "all", "--out", str(tmp_path / "runs"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not any((tmp_path / "runs").glob("*"))


def test_help_lists_every_task_option(capsys):
    with pytest.raises(SystemExit):
        main(["run", "all", "--help"])
    out = capsys.readouterr().out
    for option in ("--epochs", "--sizes", "--expr", "--matrix", "--tolerance", "--data-dir", "examples:"):
        assert option in out


def test_run_all_writes_a_complete_report(tmp_path, small_npz):
    result = subprocess.run(
        [sys.executable, "-m", "fmnist_tui.tui.cli", "run", "all", "--epochs", "1", "--models", "lowlevel",
         "--data-dir", small_npz,
         "--sizes", "64,128", "--rounds", "2", "--out", str(tmp_path / "runs"), "--logs", str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    runs = sorted(p.name.rsplit("-", 1)[-1] for p in (tmp_path / "runs").iterdir())
    assert runs == ["devices", "eigen", "jacobian", "report", "train"]
    [report_dir] = (tmp_path / "runs").glob("*-report")
    report = (report_dir / "report.md").read_text()
    for n, title in enumerate(("Classifier", "Matrix products", "Jacobian", "Eigenpairs"), start=1):
        assert f"## {n}. {title}" in report
    assert "| metric | low-level |" in report and "no GPU" in report
    assert "`tape.gradient(y, x)` = (8, 20)" in report  # the original Jacobian check
    assert r"\lambda^{2} - 6 \lambda + 5 = \left(\lambda - 5\right) \left(\lambda - 1\right)" in report
    # every table-looking line outside code blocks is a real table row
    assert rendered_rows(report) == expected_rows(report) > 30
    summary = json.loads((report_dir / "summary.json").read_text())
    assert summary["task"] == "report" and summary["status"] == "completed" and len(summary["runs"]) == 4
