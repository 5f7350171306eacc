"""The whole-exercise report: order, the original comparison layout, and valid GFM tables."""

from __future__ import annotations

import json
import re

import pytest

from fmnist_tui.engine.calculus.tasks import EigenTask, JacobianTask
from fmnist_tui.engine.devices import DevicesTask
from fmnist_tui.engine.history import list_runs
from fmnist_tui.engine.report import ReportError, build_report, demote_headings, save_report_run
from fmnist_tui.engine.runner import run_collecting
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.task import TrainTask

from small_data import make_small_dataset  # noqa: E402  (tests/ is on sys.path via rootdir conftest)
from markdown_check import expected_rows, rendered_rows  # noqa: E402


@pytest.fixture(scope="module")
def summaries(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    data = make_small_dataset()
    tasks = [
        EigenTask("[[3,2],[2,3]]"),  # out of order on purpose: the report sorts by the exercise
        TrainTask(TrainConfig.parse({"epochs": 1}), data_loader=lambda: data, logs_dir=None),
        JacobianTask("[x*y, sin(x) + y**2]", "1,2"),
        DevicesTask(sizes="64", rounds=2),
    ]
    return [run_collecting(task, runs)[-1].summary for task in tasks]


def test_sections_follow_the_exercise_and_tables_parse(summaries):
    report = build_report(summaries)
    order = [report.index(f"## {n}.") for n in (1, 2, 3, 4)]
    assert order == sorted(order)
    # every table-looking line is a real table row for a GFM parser
    assert rendered_rows(report) == expected_rows(report)
    assert "| metric | low-level | Keras |" in report
    assert "```math" in report or "$$" in report  # derivations kept
    assert "Not included" not in report


def test_user_text_with_a_pipe_does_not_break_tables(summaries):
    jacobian = run_collecting(JacobianTask("abs(x)", "2"), None)[-1].summary
    jacobian = {**jacobian, "expression": "abs(x) | x"}  # as if the user had typed a pipe
    report = build_report([jacobian])
    assert "abs(x) \\| x" in report
    assert rendered_rows(report) == expected_rows(report)


def test_subset_reports_say_what_is_missing(summaries):
    report = build_report([s for s in summaries if s["task"] == "eigen"])
    assert "## 4." in report and "## 1." not in report
    assert "## Not included" in report and "Classifier" in report


def test_demote_headings_leaves_code_alone():
    text = "# Title\n```\n# not a heading\n```\n## Sub"
    assert demote_headings(text, 2) == "### Title\n```\n# not a heading\n```\n#### Sub"


def test_saved_report_is_listed_as_a_run(tmp_path, summaries):
    path = save_report_run(tmp_path, summaries)
    assert path.name == "report.md" and path.read_text().startswith("# Fashion-MNIST workbench report")
    saved = json.loads((path.parent / "summary.json").read_text())
    assert saved["task"] == "report" and len(saved["runs"]) == 4
    [record] = list_runs(tmp_path)
    assert record.damaged is None and record.headline == "report of 4 runs"


def hand_made(task: str, run_id: str, **fields) -> dict:
    """A summary as the writers leave it (the common keys), plus `fields`."""
    return {"task": task, "run_id": run_id, "status": "completed", "started_at": "2026-11-01T10:00:00+00:00",
            "finished_at": "2026-11-01T10:01:00+00:00", "seconds_total": 60.0, "config": {}, "environment": {},
            **fields}


def training(run_id: str = "20261101-100000-train") -> dict:
    epochs = [{"epoch": 1, "loss": 0.5, "accuracy": 0.82, "test_loss": 0.45, "test_accuracy": 0.84, "seconds": 4.0}]
    keras = {"status": "completed", "epochs": epochs, "test_accuracy": 0.84}
    return hand_made("train", run_id, models={"keras": keras})


def test_a_damaged_summary_is_skipped_with_its_reason_and_the_rest_reported():
    damaged = training("20261102-100000-train")
    del damaged["models"]["keras"]["epochs"][0]["seconds"]
    report = build_report([hand_made("jacobian", "20261103-100000-jacobian", match=True), damaged])
    assert "## Skipped" in report
    assert "- 20261102-100000-train: models.keras.epochs[0] lacks seconds" in report
    assert "## 3. Jacobian" in report and "## 1. Classifier" not in report
    assert rendered_rows(report) == expected_rows(report)


@pytest.mark.parametrize("field, value, reason", [
    ("config", [1, 2], "config is a list, not an object"),
    ("models", "keras", "models is a string, not an object"),
    ("environment", ["CPU:0"], "environment is a list, not an object"),
])
def test_a_report_of_damaged_runs_only_is_refused_and_leaves_no_directory(tmp_path, field, value, reason):
    damaged = {**training(), field: value}
    assert reason in build_report([damaged])
    with pytest.raises(ReportError, match=re.escape(f"run 20261101-100000-train cannot go into a report ({reason})")):
        save_report_run(tmp_path, [damaged])
    assert list(tmp_path.iterdir()) == []


def test_a_saved_report_records_what_it_left_out(tmp_path):
    damaged = {**training("20261102-100000-train"), "models": "keras"}
    path = save_report_run(tmp_path, [training(), damaged])
    saved = json.loads((path.parent / "summary.json").read_text())
    assert [r["run_id"] for r in saved["runs"]] == ["20261101-100000-train"]
    assert saved["skipped"] == [{"run_id": "20261102-100000-train", "reason": "models is a string, not an object"}]
    [record] = list_runs(tmp_path)
    assert record.damaged is None and record.headline == "report of 1 run"
