"""Reading the runs directory: listing, headlines, damaged runs, sorting, deleting, comparing."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from fmnist_tui.engine.history import (
    HistoryError, RunRecord, compare_training_runs, delete_run, filter_runs, format_duration, list_runs, read_run,
    run_headline, sort_runs,
)


def epoch(n: int, acc: float) -> dict:
    return {"epoch": n, "loss": 1.0 / n, "accuracy": acc - 0.02, "test_loss": 1.1 / n, "test_accuracy": acc,
            "seconds": 2.0}


def train_models(**best: float) -> dict:
    return {
        name: {
            "status": "completed", "epochs": [epoch(1, acc - 0.01), epoch(2, acc)], "test_accuracy": acc,
            "test_loss": 0.4, "train_accuracy": acc - 0.02, "train_loss": 0.5, "best_test_accuracy": acc,
            "best_epoch": 2, "seconds_total": 4.0, "seconds_per_epoch": 2.0, "seconds_per_sample": 3.3e-5,
        }
        for name, acc in best.items()
    }


def write_run(runs_dir: Path, run_id: str, markdown: bool = True, **fields) -> Path:
    """A run directory with a summary.json built from `fields` (and a summary.md)."""
    task = run_id.split("-")[2]
    summary = {
        "task": task, "run_id": run_id, "status": "completed",
        "started_at": f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T{run_id[9:11]}:{run_id[11:13]}:{run_id[13:15]}+00:00",
        "finished_at": "2026-01-01T00:00:00+00:00", "seconds_total": 12.5, "config": {}, "environment": {},
    }
    summary.update(fields)
    path = runs_dir / run_id
    path.mkdir(parents=True)
    (path / "summary.json").write_text(json.dumps(summary))
    if markdown:
        (path / "summary.md").write_text(f"# Run {run_id}\n\nHand-made summary.\n")
    return path


@pytest.fixture
def runs(tmp_path) -> Path:
    runs_dir = tmp_path / "runs"
    write_run(runs_dir, "20261101-100000-train", models=train_models(keras=0.8664, lowlevel=0.8696),
              config={"epochs": 2, "batch_size": 64, "learning_rate": 0.001, "models": ["keras", "lowlevel"]})
    write_run(runs_dir, "20261102-100000-devices", rows=[
        {"size": 500, "device": "CPU:0", "gflops": 50.0, "rejected": False},
        {"size": 1000, "device": "CPU:0", "gflops": 80.25, "rejected": False},
        {"size": 1000, "device": "GPU:0", "gflops": 9000.0, "rejected": False},
        {"size": 2000, "device": "GPU:0", "gflops": None, "rejected": True, "reason": "not synchronized"},
        {"size": 4000, "device": "GPU:0", "gflops": 99999.0, "rejected": True},
    ], gpu_present=True)
    write_run(runs_dir, "20261103-100000-jacobian", match=True)
    write_run(runs_dir, "20261104-100000-eigen", match=False, status="failed", error="boom")
    write_run(runs_dir, "20261105-100000-train", models=train_models(keras=0.85),
              config={"epochs": 3, "batch_size": 64, "learning_rate": 0.002, "models": ["keras"]})
    # damaged: half-written JSON, a JSON list, missing summary.json, missing summary.md, empty file
    half = runs_dir / "20261106-100000-train"
    half.mkdir()
    (half / "summary.json").write_text('{"task": "train", "run_id": "20261106-10')
    (half / "summary.md").write_text("# half\n")
    listed = runs_dir / "20261107-100000-devices"
    listed.mkdir()
    (listed / "summary.json").write_text("[1, 2, 3]")
    (runs_dir / "20261108-100000-eigen").mkdir()
    write_run(runs_dir, "20261109-100000-jacobian", markdown=False, match=True)
    empty = runs_dir / "odd-name"
    empty.mkdir()
    (empty / "summary.json").write_text("")
    os.utime(empty / "summary.json", (0, 0))
    os.utime(empty, (0, 0))
    (runs_dir / "notes.txt").write_text("not a run")  # plain files are skipped
    (runs_dir / ".tmp").mkdir()  # hidden entries are skipped
    return runs_dir


def by_id(records: list[RunRecord]) -> dict[str, RunRecord]:
    return {r.run_id: r for r in records}


def test_lists_every_run_newest_first_including_damaged(runs):
    records = list_runs(runs)
    assert [r.run_id for r in records] == [
        "20261109-100000-jacobian", "20261108-100000-eigen", "20261107-100000-devices", "20261106-100000-train",
        "20261105-100000-train", "20261104-100000-eigen", "20261103-100000-jacobian", "20261102-100000-devices",
        "20261101-100000-train", "odd-name",
    ]
    r = by_id(records)
    assert r["20261101-100000-train"].damaged is None
    assert r["20261101-100000-train"].status == "completed" and r["20261101-100000-train"].seconds_total == 12.5
    assert "half-written or corrupt summary.json (invalid JSON at line 1" in r["20261106-100000-train"].damaged
    assert r["20261106-100000-train"].task == "train"  # from the directory name
    assert r["20261106-100000-train"].summary is None
    assert r["20261107-100000-devices"].damaged == "summary.json holds a list, not an object"
    assert r["20261108-100000-eigen"].damaged == "missing summary.json"
    assert r["20261108-100000-eigen"].started_at is not None  # from the directory name
    assert r["20261109-100000-jacobian"].damaged == "missing summary.md"
    assert r["20261109-100000-jacobian"].summary["match"] is True  # still read
    assert r["odd-name"].damaged == "empty summary.json" and r["odd-name"].task == "?"


def test_missing_runs_dir_gives_no_runs(tmp_path):
    assert list_runs(tmp_path / "nowhere") == []


def test_headlines_per_task(runs):
    r = by_id(list_runs(runs))
    assert r["20261101-100000-train"].headline == "keras 0.8664 · lowlevel 0.8696"
    assert r["20261102-100000-devices"].headline == "CPU:0 80.2 · GPU:0 9000 GFLOP/s"  # rejected rows ignored
    assert r["20261103-100000-jacobian"].headline == "✓ match"
    assert r["20261104-100000-eigen"].headline == "✗ mismatch"


def test_headline_tolerates_odd_shapes():
    assert run_headline("train", {"models": {"keras": {"epochs": [epoch(1, 0.5), epoch(2, 0.7)]}}}) == "keras 0.7000"
    assert run_headline("train", {"models": {"keras": {"epochs": []}}}) == "keras —"
    assert run_headline("train", {"models": [1, 2]}) == ""
    assert run_headline("devices", {"rows": "nope"}) == ""
    assert run_headline("eigen", {}) == ""


def test_a_stale_running_summary_reads_interrupted(tmp_path):
    path = write_run(tmp_path, "20261101-100000-train", status="running", finished_at=None)
    fresh = read_run(path)
    assert fresh.status == "running"
    later = time.time() + 3600
    assert read_run(path, now=later).status == "interrupted"
    assert list_runs(tmp_path, now=later)[0].status == "interrupted"


def test_filter_by_task(runs):
    records = list_runs(runs)
    assert {r.run_id for r in filter_runs(records, "train")} == {
        "20261101-100000-train", "20261105-100000-train", "20261106-100000-train"}
    assert len(filter_runs(records, "all")) == len(records) == len(filter_runs(records, None))
    assert filter_runs(records, "nothing") == []


def test_sort_by_columns_with_missing_values_last(runs):
    records = list_runs(runs)
    oldest = sort_runs(records, "started_at")
    assert [r.run_id for r in oldest[:2]] == ["odd-name", "20261101-100000-train"]  # odd-name: by mtime, 1970
    by_duration = sort_runs(records, "seconds_total", reverse=True)
    assert all(r.seconds_total is None for r in by_duration[-4:])  # the damaged ones without JSON
    assert [r.task for r in sort_runs(records, "task")][:2] == ["?", "devices"]
    statuses = [r.status for r in sort_runs(records, "status")]
    assert statuses.index("completed") < statuses.index("failed")
    with pytest.raises(ValueError):
        sort_runs(records, "colour")


def test_delete_removes_a_run(runs):
    record = by_id(list_runs(runs))["20261101-100000-train"]
    assert delete_run(record, runs) == record.path
    assert not record.path.exists()
    assert "20261101-100000-train" not in by_id(list_runs(runs))
    with pytest.raises(HistoryError, match="already gone"):
        delete_run(record, runs)


def test_delete_refuses_paths_outside_the_runs_dir(runs, tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    template = by_id(list_runs(runs))["20261101-100000-train"]
    for path in (outside, runs / ".." / "precious", runs, runs / "20261101-100000-train" / "sub", tmp_path):
        with pytest.raises(HistoryError, match="Refusing"):
            delete_run(RunRecord(**{**template.__dict__, "path": path}), runs)
    assert (outside / "keep.txt").exists() and template.path.exists()


def test_delete_a_symlinked_run_leaves_its_target(runs, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "summary.json").write_text("{}")
    (runs / "20261110-100000-train").symlink_to(target)
    record = by_id(list_runs(runs))["20261110-100000-train"]
    delete_run(record, runs)
    assert not (runs / "20261110-100000-train").exists() and (target / "summary.json").exists()


def test_compare_two_training_runs(runs):
    r = by_id(list_runs(runs))
    result = compare_training_runs(r["20261101-100000-train"], r["20261105-100000-train"])
    assert result["runs"] == ("20261101-100000-train", "20261105-100000-train")
    assert result["config"] == [
        ("epochs", 2, 3, True),
        ("batch_size", 64, 64, False),
        ("learning_rate", 0.001, 0.002, True),
        ("models", ["keras", "lowlevel"], ["keras"], True),
    ]
    assert result["models"] == {"20261101-100000-train": ["keras", "lowlevel"], "20261105-100000-train": ["keras"]}
    rows_a = result["comparison"]["20261101-100000-train"]
    assert rows_a[0] == ["Test accuracy", "0.8664", "0.8696"]
    assert result["table"]["headers"] == ["metric", "A keras", "A lowlevel", "B keras"]
    assert result["table"]["rows"][0] == ["Test accuracy", "0.8664", "0.8696", "0.8500"]
    assert list(result["curves"]) == ["A keras", "A lowlevel", "B keras"]
    assert [e["epoch"] for e in result["curves"]["B keras"]] == [1, 2]


def test_compare_refuses_other_and_damaged_runs(runs):
    r = by_id(list_runs(runs))
    with pytest.raises(HistoryError, match="jacobian run"):
        compare_training_runs(r["20261101-100000-train"], r["20261103-100000-jacobian"])
    with pytest.raises(HistoryError, match="damaged"):
        compare_training_runs(r["20261106-100000-train"], r["20261101-100000-train"])


def test_format_duration():
    assert format_duration(None) == "—"
    assert format_duration(8.04) == "8.0 s"
    assert format_duration(125) == "2m 05s"
    assert format_duration(3725) == "1h 02m"


def test_a_summary_of_the_wrong_shape_is_listed_as_damaged_saying_where(tmp_path):
    empty = tmp_path / "20261101-100000-train"
    empty.mkdir()
    (empty / "summary.json").write_text("{}")
    (empty / "summary.md").write_text("# ?\n")
    models = train_models(keras=0.86)
    del models["keras"]["epochs"][1]["seconds"]
    write_run(tmp_path, "20261102-100000-train", models=models)
    write_run(tmp_path, "20261103-100000-devices", config=[500, 1000])

    r = by_id(list_runs(tmp_path))
    assert r["20261101-100000-train"].damaged == (
        "the summary lacks task, run_id, status, started_at, config, environment")
    assert r["20261102-100000-train"].damaged == "models.keras.epochs[1] lacks seconds"
    assert r["20261103-100000-devices"].damaged == "config is a list, not an object"
    for record in r.values():
        assert not record.usable and not record.is_training
    # still listed with what could be read
    assert r["20261102-100000-train"].status == "completed" and r["20261102-100000-train"].seconds_total == 12.5


def test_compare_refuses_a_run_whose_summary_has_the_wrong_shape(runs):
    models = train_models(keras=0.86)
    models["keras"]["seconds_per_sample"] = "fast"
    write_run(runs, "20261110-100000-train", models=models)
    r = by_id(list_runs(runs))
    with pytest.raises(HistoryError, match=r"Run B \(20261110-100000-train\) cannot be compared: it is damaged "
                                           r"\(models\.keras\.seconds_per_sample is a string, not a number\)"):
        compare_training_runs(r["20261101-100000-train"], r["20261110-100000-train"])
