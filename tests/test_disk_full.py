"""A full disk: one line saying so, what is on disk still valid, no traceback, no litter."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fmnist_tui.engine import summaries
from fmnist_tui.engine.runner import check_output_dir
from fmnist_tui.engine.summaries import ResultsWriteError, write_summary

CLI = [sys.executable, "-m", "fmnist_tui.tui.cli"]


def test_a_failed_summary_write_says_no_space_and_keeps_the_previous_files(tmp_path, monkeypatch):
    write_summary(tmp_path, {"status": "running", "epochs": [1]}, "# before\n")
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(summaries.os, "fsync", full)
    with pytest.raises(ResultsWriteError) as caught:
        write_summary(tmp_path, {"status": "completed", "epochs": [1, 2]}, "# after\n")
    monkeypatch.setattr(summaries.os, "fsync", real_fsync)
    assert str(caught.value).startswith(f"No space left on device while writing {tmp_path / 'summary.json'}.")
    assert json.loads((tmp_path / "summary.json").read_text())["epochs"] == [1]
    assert (tmp_path / "summary.md").read_text() == "# before\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json", "summary.md"]  # no temporary files


def test_an_output_directory_that_cannot_be_written_is_refused_and_leaves_no_probe(tmp_path, monkeypatch):
    real_write_text = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.startswith(".write-test-"):
            real_write_text(self, "")  # the file is created, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(Exception) as caught:
        check_output_dir(tmp_path / "runs")
    assert "no space left on device" in str(caught.value)
    assert list((tmp_path / "runs").iterdir()) == []


@pytest.fixture
def tiny_disk():
    """A 3 MiB tmpfs (needs root, as on CI); skipped where it cannot be mounted."""
    mount = Path("/mnt") / f"fmnist-test-{uuid.uuid4().hex[:8]}"
    try:
        mount.mkdir(parents=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(mount, ignore_errors=True)
        pytest.skip("cannot mount a small tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)
    shutil.rmtree(mount, ignore_errors=True)


def fill(disk: Path, leave: int) -> None:
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


def test_a_full_disk_refuses_a_run_in_one_line_and_leaves_nothing_behind(tiny_disk):
    fill(tiny_disk, 4096)
    result = subprocess.run([*CLI, "run", "jacobian", "--out", str(tiny_disk / "runs")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr + result.stdout
    runs = tiny_disk / "runs"
    assert not runs.exists() or not [p for p in runs.rglob("*")]


def test_a_disk_that_fills_during_training_fails_the_run_with_its_epochs_recorded(tiny_disk, small_npz):
    # 3 MiB: the summaries fit, the first checkpoint (weights and Adam's moments, ~5 MB) does not
    result = subprocess.run([*CLI, "run", "train", "--epochs", "3", "--models", "lowlevel", "--data-dir", small_npz,
                             "--out", str(tiny_disk / "runs"), "--logs", str(tiny_disk / "logs")],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 1
    assert "No space left on device while writing" in result.stderr and "Traceback" not in result.stderr
    summary = json.loads(next((tiny_disk / "runs").glob("*/summary.json")).read_text())
    assert summary["status"] == "failed" and "No space left" in summary["error"]
    assert len(summary["models"]["lowlevel"]["epochs"]) == 1
