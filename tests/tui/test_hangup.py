"""A dropped connection: the terminal under the app goes away, the run it started does not."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmnist_tui.engine.launcher import read_summary

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_closing_the_terminal_leaves_the_run_to_complete_and_the_next_app_lists_it(tmp_path, small_npz):
    session = f"fmnist-hangup-{time.monotonic_ns()}"
    app = Path(sys.executable).parent / "fmnist-tui"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "35", "-c", str(tmp_path),
                    "-e", "FMNIST_TRAIN_EPOCHS=2", "-e", "FMNIST_TRAIN_MODELS=lowlevel",
                    "-e", f"XDG_CACHE_HOME={tmp_path / 'cache'}", f"{app} --data-dir {small_npz}"], check=True)
    runs = tmp_path / "runs"
    try:
        deadline = time.monotonic() + 60
        while "deep-learning workbench" not in _screen(session) and time.monotonic() < deadline:
            time.sleep(0.1)
        _keys(session, "1")
        while "Batch size" not in _screen(session) and time.monotonic() < deadline:
            time.sleep(0.1)
        _keys(session, "s")
        while not list(runs.glob("*-train/summary.json")) and time.monotonic() < deadline:
            time.sleep(0.1)  # the app has handed the run to its worker
        run_dir = next(runs.glob("*-train/summary.json")).parent
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)  # the terminal goes: SIGHUP
    deadline = time.monotonic() + 120
    while (read_summary(run_dir) or {}).get("status") == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert [e["epoch"] for e in summary["models"]["lowlevel"]["epochs"]] == [1, 2]

    from fmnist_tui.engine.history import list_runs

    assert [(r.run_id, r.status) for r in list_runs(runs)] == [(run_dir.name, "completed")]


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def _keys(session: str, key: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)
