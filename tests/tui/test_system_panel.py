"""The system panel: machine CPU, the run's worker (CPU, memory; or where it is when it cannot be
sampled here) and the GPUs, once a second on the Devices screen while a run goes on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fmnist_tui.engine import system_monitor
from fmnist_tui.engine.events import RunStarted
from fmnist_tui.engine.journal import JournalWriter, journal_path
from fmnist_tui.engine.liveness import worker_record
from fmnist_tui.engine.system_monitor import MIB, NO_GPUS, GpuReading, ProcessReading, SystemReading
from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.screens.devices import DevicesScreen
from fmnist_tui.tui.widgets.system_panel import (
    NO_RUN, RunWorker, SystemPanel, format_bytes, locate_worker, system_line,
)
from pilot_helpers import open_screen, wait_until

GPUS = (GpuReading(0, "NVIDIA A100", 87.0, 10 * 1024 * MIB, 40 * 1024 * MIB),
        GpuReading(1, "NVIDIA A100", None, 512 * MIB, 40 * 1024 * MIB))


def reading(process: ProcessReading | None = None, gpus=(), error: str = "") -> SystemReading:
    return SystemReading(43.4, process, gpus, "nvml" if gpus else "", error)


def test_the_line_shows_machine_cpu_the_worker_and_each_gpu():
    live = RunWorker("live", 4242)
    line = system_line(reading(ProcessReading(4242, 187.2, 1300 * MIB), GPUS), live).plain
    assert line == ("CPU 43%  │  worker 4242: CPU 187% · RSS 1.27 GiB  │  "
                    "GPU0 87% · 10.00 GiB/40.00 GiB  GPU1 — · 512 MiB/40.00 GiB")
    assert system_line(reading(), NO_RUN).plain == "CPU 43%  │  no run  │  no GPU"


@pytest.mark.parametrize("worker, text", [
    (RunWorker("starting"), "worker starting…"),
    (RunWorker("remote", 77, "gpu-box-2"), "worker 77 runs on gpu-box-2: not sampled here"),
    (RunWorker("gone", 77), "worker 77 has gone"),
])
def test_a_worker_that_cannot_be_sampled_here_is_said_to_be_so(worker, text):
    assert system_line(reading(), worker).plain == f"CPU 43%  │  {text}  │  no GPU"


def test_a_gpu_that_cannot_be_read_says_why():
    line = system_line(reading(error="nvidia-smi did not answer within 2 s"), NO_RUN).plain
    assert line.endswith("GPU: nvidia-smi did not answer within 2 s")
    assert (format_bytes(None), format_bytes(850 * MIB), format_bytes(3 << 30)) == ("—", "850 MiB", "3.00 GiB")


def write_summary(run_dir: Path, worker: dict | None) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    summary = {"task": "devices", "run_id": run_dir.name, "status": "running", **({"worker": worker} if worker else {})}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return run_dir


def test_the_worker_is_found_from_the_run_s_summary(tmp_path):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    assert locate_worker(None) == NO_RUN
    assert locate_worker(write_summary(tmp_path / "a", None)).state == "starting"
    mine = locate_worker(write_summary(tmp_path / "b", worker_record()))
    assert (mine.state, mine.pid) == ("live", os.getpid())
    assert locate_worker(write_summary(tmp_path / "c", worker_record(ended.pid))).state == "gone"
    remote = locate_worker(write_summary(tmp_path / "d", {**worker_record(), "host": "gpu-box-2"}))
    assert (remote.state, remote.host) == ("remote", "gpu-box-2")


# ---- on the Devices screen ---------------------------------------------------------------------


def live_run(runs_dir: Path, worker: dict) -> Path:
    """A devices run started and going on, its worker as given (this test's process: alive)."""
    run_dir = write_summary(runs_dir / "20261130-101500-devices", worker)
    journal = JournalWriter(journal_path(run_dir))
    journal.write(RunStarted(task="devices", run_id=run_dir.name, run_dir=run_dir, config={}))
    journal.close()
    return run_dir


def panel_text(screen) -> str:
    return str(screen.query_one(SystemPanel).render())


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setattr(system_monitor, "gpu_reader", lambda: NO_GPUS)  # whatever this machine has
    return make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", describe_environment=False)


async def test_the_devices_screen_shows_the_run_s_worker_and_fits_a_120_by_35_terminal(app, tmp_path):
    run_dir = live_run(tmp_path / "runs", worker_record())
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_screen(pilot, "2", DevicesScreen)
        assert await wait_until(pilot, lambda: "no run" in panel_text(screen), 10)
        screen.attach(run_dir)
        # the worker's CPU % is over the second between two samples: "—" until the second one
        # (the "worker" is this test process: MiB, or GiB once other tests have loaded TensorFlow into it)
        rss = r"(\d+ MiB|\d+\.\d\d GiB)"
        shown = re.compile(rf"^CPU \d+%  │  worker {os.getpid()}: CPU \d+% · RSS {rss}  │  no GPU$")
        assert await wait_until(pilot, lambda: shown.match(panel_text(screen)), 10), panel_text(screen)
        panel = screen.query_one(SystemPanel)
        assert panel.region.height == 1 and screen.region.contains_region(panel.region)
        table = screen.query_one("#results-table")
        assert table.region.height >= 5  # the results still have room below it


async def test_a_worker_on_another_host_is_not_sampled_and_gpus_show_when_there_are_some(app, tmp_path, monkeypatch):
    monkeypatch.setattr(system_monitor, "gpu_reader", lambda: lambda: GPUS)
    run_dir = live_run(tmp_path / "runs", {**worker_record(), "host": "gpu-box-2"})
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_screen(pilot, "2", DevicesScreen)
        screen.attach(run_dir)
        assert await wait_until(pilot, lambda: "runs on gpu-box-2: not sampled here" in panel_text(screen), 10)
        assert "GPU0 87% · 10.00 GiB/40.00 GiB" in panel_text(screen)
