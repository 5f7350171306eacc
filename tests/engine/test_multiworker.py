"""Training on several workers (`--strategy multiworker`): TF_CONFIG, who writes, the local
launcher, and what happens when a worker is lost or a run is stopped mid-collective.

The cluster tests start real worker processes on free local ports (each imports
TensorFlow: a few seconds) and train on small data made here.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.launcher import launch, read_summary, wait_for_ending
from fmnist_tui.engine.runner import run_collecting
from fmnist_tui.engine.training.cluster import (
    TIMEOUT_VARIABLE,
    ClusterError,
    Cluster,
    collective_timeout,
    free_ports,
    joining_message,
    launch_local_workers,
    local_tf_config,
    lost_worker_index,
    outputs_of_this_worker,
    parse_tf_config,
    wait_for_workers,
    worker_argv,
)
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.task import TrainTask
from small_data import make_small_dataset, save_npz


def test_tf_config_names_the_workers_and_this_one():
    cluster = parse_tf_config(local_tf_config(["a:1", "b:2", "c:3"], 2))
    assert cluster == Cluster(("a:1", "b:2", "c:3"), 2) and not cluster.is_chief
    assert cluster.describe(replicas=3) == {"workers": 3, "replicas": 3, "hosts": ["a:1", "b:2", "c:3"], "worker": 2}
    # a "chief" task comes first: the workers after it
    chief = json.dumps({"cluster": {"chief": ["c:0"], "worker": ["w:1"]}, "task": {"type": "worker", "index": 0}})
    assert parse_tf_config(chief) == Cluster(("c:0", "w:1"), 1)
    assert parse_tf_config("  ") is None


@pytest.mark.parametrize("text, says", [
    ("{not json", "not valid JSON"),
    ('{"cluster": {"worker": ["a:1"]}}', 'must have a "cluster" and a "task"'),
    ('{"cluster": {"worker": ["a:1"], "ps": ["p:2"]}, "task": {"type": "worker", "index": 0}}', "has ps tasks"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', "is not in its cluster"),
    ('{"cluster": {"worker": ["nohost"]}, "task": {"type": "worker", "index": 0}}', "host:port"),
])
def test_a_malformed_tf_config_is_refused_with_what_is_wrong(text, says):
    with pytest.raises(ClusterError) as info:
        parse_tf_config(text)
    assert says in info.value.message and "TF_CONFIG" in info.value.hint


def test_the_collective_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(TIMEOUT_VARIABLE, raising=False)
    assert collective_timeout() == 60.0
    monkeypatch.setenv(TIMEOUT_VARIABLE, "7.5")
    assert collective_timeout() == 7.5
    monkeypatch.setenv(TIMEOUT_VARIABLE, "soon")
    with pytest.raises(ConfigError, match="FMNIST_COLLECTIVE_TIMEOUT must be a number of seconds"):
        collective_timeout()


THREE = ("localhost:23456", "localhost:23457", "localhost:23458")


@pytest.mark.parametrize("message, workers, this, lost", [
    # what TensorFlow 2.21 said in each case, seen from a worker that is left
    ("Collective ops is aborted by: Error reported from /job:worker/task:1: The following tasks are unhealthy "
     "(stopped sending heartbeats):\n/job:worker/replica:0/task:1", THREE, 0, 1),
    ("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:23456: Failed to connect", THREE, 2, 0),
    ("Failed to send RPC to coordination service. Either the leader task was preempted/died", THREE, 1, 0),
    ("Collective has timed out during execution.", THREE[:2], 0, 1),  # names no one: the other of two
    ("Collective has timed out during execution.", THREE, 0, None),  # … or one of several
])
def test_a_lost_worker_is_named_from_tensorflows_error(message, workers, this, lost):
    assert lost_worker_index(message, Cluster(workers, this)) == lost


def test_only_the_chief_writes_into_the_shared_directories(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    chief = outputs_of_this_worker("runs", "logs", environ={"TF_CONFIG": local_tf_config(["a:1", "b:2"], 0)})
    assert (chief.out, chief.logs, chief.scratch) == (Path("runs"), Path("logs"), None)
    other = outputs_of_this_worker("runs", "logs", environ={"TF_CONFIG": local_tf_config(["a:1", "b:2"], 1)})
    assert other.out.parent == other.logs.parent == other.scratch and other.scratch.parent == tmp_path / "tmp"
    other.remove_scratch()
    assert list((tmp_path / "tmp").iterdir()) == []
    # without a cluster, or with another strategy, every run writes where it was told
    alone = outputs_of_this_worker("runs", None, "default", {"TF_CONFIG": local_tf_config(["a:1", "b:2"], 1)})
    assert (alone.out, alone.scratch) == (Path("runs"), None)


def test_a_worker_waits_for_the_others_but_not_forever():
    own, missing = free_ports(2)
    cluster = Cluster((f"localhost:{own}", f"localhost:{missing}"), 0)
    started = time.monotonic()
    with pytest.raises(ClusterError) as info:
        wait_for_workers(cluster, timeout=0.5, poll=0.05)
    assert time.monotonic() - started < 5
    assert info.value.message == f"The cluster did not come together within 0.5 s: worker 1 (localhost:{missing}) " \
        "is not listening."
    assert "FMNIST_CLUSTER_JOIN_TIMEOUT" in info.value.hint
    # while it waits, it listens itself: a worker started later finds it and goes on
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("", missing))
        other.listen(1)
        wait_for_workers(cluster, timeout=5, poll=0.05)
        with pytest.raises(ClusterError, match=f"cannot listen on port {missing}"):  # its port is taken
            wait_for_workers(Cluster(cluster.workers, 1), timeout=1)


def test_a_worker_says_who_it_is_and_whom_it_waits_for():
    two = ["localhost:23456", "localhost:23457"]
    assert joining_message("multiworker", {"TF_CONFIG": local_tf_config(two, 0)}) == \
        "Worker 0 of 2 (the chief); waiting for worker 1 (localhost:23457)…"
    assert joining_message("multiworker", {"TF_CONFIG": local_tf_config(two, 1)}).startswith(
        "Worker 1 of 2 (its own files go to a scratch directory, the chief writes the run's); waiting for worker 0")
    assert joining_message("default", {"TF_CONFIG": local_tf_config(two, 1)}) is None
    assert joining_message("multiworker", {}) is None


def test_workers_run_the_command_line_without_its_workers_option():
    assert worker_argv(["run", "train", "--workers", "2", "--epochs", "1", "--workers=3"]) == \
        ["run", "train", "--epochs", "1"]


@pytest.mark.parametrize("argv, env, says", [
    (["run", "train", "--detach"], {}, "--detach does not work with --workers"),
    (["run", "train", "--resume", "x"], {}, "--resume does not work with --workers"),
    (["run", "train"], {"TF_CONFIG": '{"cluster": {}}'}, "TF_CONFIG already describes one"),
])
def test_the_launcher_refuses_what_it_cannot_follow(monkeypatch, argv, env, says):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=says):
        launch_local_workers(argv, 2)


FAKE_WORKER = textwrap.dedent("""
    import json, os, signal, sys, time
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    print("worker", index, "args", " ".join(sys.argv[1:]), "threads", os.environ["TF_NUM_INTRAOP_THREADS"], flush=True)
    if index == 1 and os.environ.get("FAKE_WORKER_FAILS"):
        time.sleep(0.5)
        print("out of memory in worker 1", file=sys.stderr)
        sys.exit(3)
    signal.signal(signal.SIGINT, lambda *a: (print(f"worker {index} stopped", flush=True), sys.exit(130)))
    time.sleep(60)
""")


def test_the_launcher_stops_every_worker_when_one_fails_and_says_which(monkeypatch, tmp_path):
    monkeypatch.setenv("FAKE_WORKER_FAILS", "1")
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    out, report = tmp_path / "chief.out", io.StringIO()
    started = time.monotonic()
    with open(out, "w") as chief_output:
        code = launch_local_workers(["run", "train", "--workers", "2"], 2, command=[sys.executable, str(script)],
                                    threads=1, stdout=chief_output, stderr=chief_output, report=report)
    assert code == 3 and time.monotonic() - started < 20
    chief_said = out.read_text()
    assert "worker 0 args run train --strategy multiworker threads 1" in chief_said  # its output is the launcher's
    assert "worker 0 stopped" in chief_said
    lines = report.getvalue().splitlines()
    assert lines[0].startswith("fmnist-tui: worker 1 (localhost:") and \
        lines[0].endswith("failed (exit status 3); the other workers were stopped.")
    assert "  out of memory in worker 1" in lines  # its last lines


def test_each_worker_makes_only_its_replicas_shares_of_every_batch():
    import tensorflow as tf

    from fmnist_tui.engine.training.keras_trainer import replica_shares

    batches = tf.data.Dataset.range(14).batch(6)  # the last batch is short, as an epoch's may be
    shares = {worker: [list(share.numpy()) for share in replica_shares(batches, range(2 * worker, 2 * worker + 2), 4)]
              for worker in (0, 1)}  # two workers of two replicas each
    assert shares[0] == [[0, 4], [1, 5], [6, 10], [7, 11], [12], [13]]
    assert shares[1] == [[2], [3], [8], [9], [], []]


def test_ctrl_c_stops_every_local_worker_and_gives_the_chiefs_status(tmp_path):
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    out = tmp_path / "chief.out"
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))  # Ctrl-C in the launcher's terminal
    timer.start()
    with open(out, "w") as chief_output:
        code = launch_local_workers(["run", "train"], 2, command=[sys.executable, str(script)], threads=1,
                                    stdout=chief_output, stderr=chief_output, report=io.StringIO())
    timer.join()
    assert code == 130 and "worker 0 stopped" in out.read_text()


# ---- real clusters -----------------------------------------------------------------------


@pytest.fixture
def cluster_npz(tmp_path) -> str:
    return save_npz(make_small_dataset(train=1024, test=256), tmp_path / "cluster.npz")


def summary_of(run_dir: Path) -> dict:
    summary = read_summary(run_dir)
    assert summary is not None, f"no summary in {run_dir}"
    return summary


def test_two_local_workers_train_both_models_as_one_worker_would(monkeypatch, tmp_path, cluster_npz):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    settings = ["--epochs", "2", "--batch-size", "32", "--seed", "5", "--models", "lowlevel,keras"]
    chief_output = tmp_path / "chief.out"
    with open(chief_output, "w") as output:
        code = launch_local_workers(["run", "train", *settings, "--data-dir", cluster_npz, "--notify", "off"], 2,
                                    stdout=output, stderr=output)
    assert code == 0, chief_output.read_text()[-3000:]
    runs = list(Path("runs").iterdir())
    assert len(runs) == 1  # the chief's run, nothing from the other worker
    assert [p.name for p in (Path("logs") / "fit").iterdir()] == [runs[0].name]
    # the other worker's scratch (and the launcher's) are gone
    assert [p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith("fmnist-tui")] == []
    summary = summary_of(runs[0])
    assert summary["status"] == "completed"
    assert summary["strategy"]["replicas"] == 2 and summary["strategy"]["cluster"]["workers"] == 2
    assert summary["strategy"]["cluster"]["worker"] == 0
    assert f"Run {runs[0].name} completed." in chief_output.read_text()
    config = TrainConfig.parse({"epochs": 2, "batch_size": 32, "seed": 5, "models": "lowlevel,keras"})
    data = make_small_dataset(train=1024, test=256)
    alone = run_collecting(TrainTask(config, data_loader=lambda: data, logs_dir=None), None)[-1].summary
    for model in ("lowlevel", "keras"):
        together, single = summary["models"][model], alone["models"][model]
        assert len(together["epochs"]) == 2
        assert abs(together["test_accuracy"] - single["test_accuracy"]) < 0.05, (model, together, single)
        # each replica trained on half of every batch, and the two halves made one global batch
        assert together["epochs"][0]["loss"] == pytest.approx(single["epochs"][0]["loss"], rel=0.25)


def start_two_workers(monkeypatch, tmp_path, npz: str, timeout: float):
    """Two worker processes of one cluster (the app's own `launch`), each with its TF_CONFIG."""
    addresses = [f"localhost:{port}" for port in free_ports(2)]
    monkeypatch.setenv(TIMEOUT_VARIABLE, str(timeout))
    runs = []
    for index in range(2):
        monkeypatch.setenv("TF_CONFIG", local_tf_config(addresses, index))
        where = Path(".") if index == 0 else tmp_path / "worker-1"
        options = {"config": {"batch_size": 16, "seed": 7, "epochs": 500, "models": "lowlevel",
                              "strategy": "multiworker"},
                   "data_dir": npz, "logs_dir": str((where / "logs").resolve())}
        runs.append(launch("train", options, where / "runs"))
    monkeypatch.delenv("TF_CONFIG")
    return runs, addresses


def wait_for_epochs(run_dir: Path, count: int = 1, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = ((read_summary(run_dir) or {}).get("models") or {}).get("lowlevel") or {}
        if len(record.get("epochs") or []) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"no epoch within {seconds} s: {read_summary(run_dir)}")


def test_a_lost_worker_fails_the_others_run_within_the_collective_timeout(monkeypatch, tmp_path, cluster_npz):
    timeout = 8.0
    (chief, other), addresses = start_two_workers(monkeypatch, tmp_path, cluster_npz, timeout)
    wait_for_epochs(chief.run_dir)
    os.kill(other.pid, signal.SIGKILL)
    killed = time.monotonic()
    summary = wait_for_ending(chief.run_dir, timeout=timeout + 30)
    assert time.monotonic() - killed < timeout + 10
    assert summary["status"] == "failed", summary.get("error")
    assert summary["error"].startswith(f"Worker 1 ({addresses[1]}) was lost or stopped responding")
    assert "Start every worker again" in summary["hint"]
    assert len(summary["models"]["lowlevel"]["epochs"]) >= 1  # what completed is kept
    assert chief.process.wait(timeout=15) == 1


def test_sigterm_ends_a_worker_waiting_on_a_stopped_peer_within_ten_seconds(monkeypatch, tmp_path, cluster_npz):
    (chief, other), _ = start_two_workers(monkeypatch, tmp_path, cluster_npz, timeout=300)
    try:
        wait_for_epochs(chief.run_dir)
        os.kill(other.pid, signal.SIGSTOP)  # the chief now waits in a collective operation
        time.sleep(1.0)
        sent = time.monotonic()
        os.kill(chief.pid, signal.SIGTERM)
        code = chief.process.wait(timeout=20)
        assert time.monotonic() - sent < 10
        assert code in (130, 143)
        summary = summary_of(chief.run_dir)
        assert summary["status"] == "cancelled" and summary["finished_at"]
        assert len(summary["models"]["lowlevel"]["epochs"]) >= 1
    finally:
        os.kill(other.pid, signal.SIGKILL)


def test_the_command_line_refuses_a_bad_worker_count_and_a_detached_non_chief(monkeypatch, tmp_path, capsys):
    from fmnist_tui.tui.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["run", "train", "--workers", "0"]) == 2
    assert "--workers: The number of local workers must be from 1 to 64, got 0." in capsys.readouterr().err
    # worker 1 of a cluster has nothing to keep: it cannot run in the background
    monkeypatch.setenv("TF_CONFIG", local_tf_config(["localhost:1", "localhost:2"], 1))
    data = save_npz(make_small_dataset(train=64, test=16), tmp_path / "d.npz")
    assert main(["run", "train", "--strategy", "multiworker", "--detach", "--data-dir", data]) == 2
    assert "Only the chief of a cluster (worker 0) can run in the background" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
