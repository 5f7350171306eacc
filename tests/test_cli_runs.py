"""Background runs from the command line: --detach, runs, attach, cancel, --resume, and what
signals do to a foreground run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "fmnist_tui.tui.cli"]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def runs_json(out: Path) -> list[dict]:
    result = cli("runs", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for(condition, seconds: float = 120.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def train_args(npz: str, out: Path, *extra: str) -> list[str]:
    return ["run", "train", "--data-dir", npz, "--batch-size", "16", "--models", "lowlevel", "--out", str(out),
            "--logs", str(out.parent / "logs"), *extra]


def epochs_of(out: Path, run_id: str) -> int:
    summary = json.loads((out / run_id / "summary.json").read_text())
    return len(((summary.get("models") or {}).get("lowlevel") or {}).get("epochs") or [])


def test_detach_runs_lists_attach_and_cancel(tmp_path, small_npz):
    out = tmp_path / "runs"
    started = cli(*train_args(small_npz, out, "--epochs", "400", "--detach"))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.split("Started run ", 1)[1].split()[0]
    assert (out / run_id / "summary.json").is_file()
    wait_for(lambda: epochs_of(out, run_id) >= 1)
    listing = runs_json(out)
    run = next(r for r in listing if r["run_id"] == run_id)
    assert run["status"] == "running" and run["task"] == "train" and isinstance(run["pid"], int)
    assert run["started_at"] and 0.0 < run["progress"]["fraction"] < 1.0

    # attach follows it; Ctrl-C only detaches
    attach = subprocess.Popen([*CLI, "attach", run_id, "--out", str(out)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    for line in attach.stdout:
        if "epoch" in line and "lowlevel" in line:
            break
    attach.send_signal(signal.SIGINT)
    _, err = attach.communicate(timeout=30)
    assert attach.returncode == 0 and "Detached" in err and "Traceback" not in err
    assert next(r for r in runs_json(out) if r["run_id"] == run_id)["status"] == "running"

    cancelled = cli("cancel", run_id, "--out", str(out))
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    assert json.loads((out / run_id / "summary.json").read_text())["status"] == "cancelled"
    # attach on a finished run prints its summary
    shown = cli("attach", run_id, "--out", str(out))
    assert shown.returncode == 0 and "cancelled" in shown.stdout


def test_kill_9_reads_interrupted_and_resume_completes_every_epoch_once(tmp_path, small_npz):
    out = tmp_path / "runs"
    started = cli(*train_args(small_npz, out, "--epochs", "6", "--detach"))
    run_id = started.stdout.split("Started run ", 1)[1].split()[0]
    wait_for(lambda: epochs_of(out, run_id) >= 2)
    pid = next(r for r in runs_json(out) if r["run_id"] == run_id)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: next(r for r in runs_json(out) if r["run_id"] == run_id)["status"] == "interrupted", 5)
    resumed = cli(*train_args(small_npz, out, "--resume", run_id), timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed after epoch" in resumed.stdout
    summary = json.loads((out / run_id / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert [e["epoch"] for e in summary["models"]["lowlevel"]["epochs"]] == [1, 2, 3, 4, 5, 6]
    again = cli(*train_args(small_npz, out, "--resume", run_id))
    assert again.returncode == 2 and "completed" in again.stderr


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_cancel_a_foreground_run_like_ctrl_c(tmp_path, small_npz, signum, code):
    out = tmp_path / "runs"
    process = subprocess.Popen([*CLI, *train_args(small_npz, out, "--epochs", "400")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if "epoch 1/400:" in line:
            break
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code
    assert "Traceback" not in err
    summary = json.loads(next(out.glob("*/summary.json")).read_text())
    assert summary["status"] == "cancelled" and summary["finished_at"]
    assert len(summary["models"]["lowlevel"]["epochs"]) >= 1


def test_attach_and_cancel_name_an_unknown_run_clearly(tmp_path):
    for command in ("attach", "cancel"):
        result = cli(command, "20991231-000000-train", "--out", str(tmp_path / "runs"))
        assert result.returncode == 2 and "There is no run" in result.stderr and "Traceback" not in result.stderr
    result = cli("attach", "../etc", "--out", str(tmp_path / "runs"))
    assert result.returncode == 2 and "not a run id" in result.stderr
