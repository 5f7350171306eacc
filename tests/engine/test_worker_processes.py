"""Runs in worker processes of their own: signals, liveness, following, resuming.

Each test starts real worker processes (each imports TensorFlow: a few seconds) on small
data made here, and uses the same calls the app and the CLI use.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmnist_tui.engine.events import EpochEnded, ModelResumed, RunCancelled, RunFinished, RunInterrupted, RunStarted
from fmnist_tui.engine.follow import follow_run
from fmnist_tui.engine.journal import JournalReader, journal_path
from fmnist_tui.engine.launcher import launch, read_summary, request_cancel, wait_for_ending
from fmnist_tui.engine.liveness import live_status

TESTS_DIR = Path(__file__).resolve().parents[1]


def train_options(npz: str, **config) -> dict:
    return {"config": {"batch_size": 16, "seed": 7, **config}, "data_dir": npz, "logs_dir": str(Path("logs").resolve())}


def wait_for(condition, seconds: float = 90.0, poll: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"not within {seconds} s")


def epochs_done(run_dir: Path, model: str = "keras") -> int:
    summary = read_summary(run_dir) or {}
    record = (summary.get("models") or {}).get(model) or {}
    return len(record.get("epochs") or [])


def follow_all(run_dir: Path) -> list:
    async def collect():
        return [event async for event in follow_run(run_dir)]

    return asyncio.run(collect())


def test_sigterm_cancels_with_the_completed_epochs_kept_and_sighup_is_ignored(small_npz):
    run = launch("train", train_options(small_npz, epochs=500), Path("runs"))
    wait_for(lambda: epochs_done(run.run_dir) >= 1)
    os.kill(run.pid, signal.SIGHUP)  # what a closed terminal sends: the worker is not attached to one
    time.sleep(0.5)
    assert live_status(read_summary(run.run_dir)) == "running"
    sent = time.monotonic()
    os.kill(run.pid, signal.SIGTERM)
    summary = wait_for_ending(run.run_dir, timeout=30)
    assert time.monotonic() - sent < 10
    assert summary["status"] == "cancelled" and summary["finished_at"]
    assert len(summary["models"]["keras"]["epochs"]) >= 1
    assert run.process.wait(timeout=10) == 130
    events = JournalReader(journal_path(run.run_dir)).read_all()
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunCancelled)


def test_a_worker_stuck_in_an_op_still_ends_within_ten_seconds_of_sigterm(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(TESTS_DIR))
    run = launch("worker_tasks:StuckTask", {"seconds": 120}, Path("runs"))
    wait_for(lambda: (read_summary(run.run_dir) or {}).get("progress") == "stuck")
    sent = time.monotonic()
    os.kill(run.pid, signal.SIGTERM)
    assert run.process.wait(timeout=15) == 143
    assert time.monotonic() - sent < 10
    summary = read_summary(run.run_dir)
    assert summary["status"] == "cancelled" and "did not stop" in summary["error"]
    assert "did not stop" in (run.run_dir / "summary.md").read_text()
    assert isinstance(JournalReader(journal_path(run.run_dir)).read_all()[-1], RunCancelled)


def test_a_killed_worker_reads_interrupted_at_once_and_resume_learns_like_an_unbroken_run(small_npz):
    options = train_options(small_npz, epochs=4, models=["keras", "lowlevel"])
    unbroken = launch("train", options, Path("runs"))
    broken = launch("train", options, Path("runs"))
    # kill it in the middle of the low-level model's training (keras is done by then)
    wait_for(lambda: epochs_done(broken.run_dir, "lowlevel") >= 2, seconds=180)
    os.kill(broken.pid, signal.SIGKILL)
    broken.process.wait(timeout=10)
    assert live_status(read_summary(broken.run_dir)) == "interrupted"
    assert isinstance(follow_all(broken.run_dir)[-1], RunInterrupted)

    resumed = launch("train", options, Path("runs"), resume_dir=broken.run_dir)
    assert resumed.run_id == broken.run_id
    done = wait_for_ending(broken.run_dir, timeout=180)
    reference = wait_for_ending(unbroken.run_dir, timeout=180)
    assert done["status"] == reference["status"] == "completed" and done["resumed"] == 1
    for model in ("keras", "lowlevel"):
        rows, expected = done["models"][model]["epochs"], reference["models"][model]["epochs"]
        assert [r["epoch"] for r in rows] == [1, 2, 3, 4]  # every epoch once
        for row, want in zip(rows, expected):
            assert row["loss"] == pytest.approx(want["loss"], rel=1e-4, abs=1e-6)
            assert row["test_accuracy"] == pytest.approx(want["test_accuracy"], abs=1e-6)
        assert (broken.run_dir / done["models"][model]["model_file"]).exists()
    assert not (broken.run_dir / "checkpoints").exists()
    # the journal tells the same story to a late follower: two sessions, epochs restored, the end
    events = follow_all(broken.run_dir)
    assert sum(isinstance(e, RunStarted) for e in events) == 2
    assert any(isinstance(e, ModelResumed) and e.model == "lowlevel" for e in events)
    assert isinstance(events[-1], RunFinished)


def test_a_follower_replays_the_run_so_far_then_follows_it_live(small_npz):
    run = launch("train", train_options(small_npz, epochs=400, models=["lowlevel"]), Path("runs"))
    wait_for(lambda: epochs_done(run.run_dir, "lowlevel") >= 2)

    async def follow_until_cancelled():
        seen = []
        async for event in follow_run(run.run_dir):
            seen.append(event)
            if isinstance(event, EpochEnded) and not any(isinstance(e, RunCancelled) for e in seen):
                if sum(isinstance(e, EpochEnded) for e in seen) == 3:  # the replayed ones, then a live one
                    await asyncio.to_thread(request_cancel, run.run_dir)
        return seen

    events = asyncio.run(follow_until_cancelled())
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunCancelled)
    epochs = [e.epoch for e in events if isinstance(e, EpochEnded)]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) >= 3
    assert read_summary(run.run_dir)["status"] == "cancelled"


def test_run_ids_are_claimed_atomically_by_concurrent_launches(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from fmnist_tui.engine.runner import claim_run_dir

    with ThreadPoolExecutor(8) as pool:
        claimed = list(pool.map(lambda _: claim_run_dir("train", tmp_path), range(40)))
    assert len({run_id for run_id, _ in claimed}) == 40
    assert all(path.is_dir() for _, path in claimed)


def test_the_first_summary_names_the_worker_before_tensorflow_has_loaded(small_npz):
    run = launch("train", train_options(small_npz, epochs=1), Path("runs"))
    summary = json.loads((run.run_dir / "summary.json").read_text())
    assert summary["status"] == "running" and summary["worker"]["pid"] == run.pid
    assert live_status(summary) == "running"
    request_cancel(run.run_dir)
    assert wait_for_ending(run.run_dir, timeout=60)["status"] == "cancelled"


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="no scheduler autogroups here")
def test_a_worker_in_its_own_session_yields_to_the_app_across_scheduling_groups():
    # in a new session the process has a scheduling group of its own: its nice value alone
    # would not weigh against the app's group
    script = ("from fmnist_tui.engine.worker import yield_to_the_ui; yield_to_the_ui(); "
              "import os; print(os.nice(0)); print(open('/proc/self/autogroup').read())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          start_new_session=True)
    niceness, group = done.stdout.splitlines()[:2]
    assert int(niceness) >= 5
    assert group.rstrip().endswith("nice 5")


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="no scheduler autogroups here")
def test_a_warming_spare_gives_way_to_the_app_and_takes_a_workers_priority_once_taken():
    from fmnist_tui.engine.launcher import SPARE_NICENESS, WORKER_NICENESS, SparePool

    pool = SparePool()
    pool.start()
    pid = pool.pid
    assert pid is not None
    group = Path(f"/proc/{pid}/autogroup")
    process = None
    try:
        deadline = time.monotonic() + 20
        while not group.read_text().rstrip().endswith(f"nice {SPARE_NICENESS}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group.read_text().rstrip().endswith(f"nice {SPARE_NICENESS}")  # while it imports TensorFlow
        process = pool.take()  # a task for it: it must not finish warming up at the low priority
        assert process is not None and process.poll() is None
        assert group.read_text().rstrip().endswith(f"nice {WORKER_NICENESS}")
    finally:
        process = process or pool.take()
        if process is not None:
            process.terminate()  # a spare without a task just exits
            process.wait(timeout=30)


def test_a_runs_first_summary_writes_its_json_last_just_before_the_worker_gets_its_task(tmp_path, monkeypatch):
    # what an app killed at `s` leaves: once summary.json is there, only the spec is left to hand over
    import fmnist_tui.engine.summaries as summaries
    from fmnist_tui.engine.launcher import RunSpec, write_first_summary

    written: list[str] = []
    atomic_write = summaries.atomic_write_text
    monkeypatch.setattr(summaries, "atomic_write_text", lambda path, text: (written.append(Path(path).name),
                                                                             atomic_write(path, text)))
    write_first_summary(RunSpec("train", {}, tmp_path, "r1", tmp_path), pid=os.getpid())
    assert written == ["summary.md", "summary.json"]
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "running"
