"""The whole-exercise report: order, the original comparison layout, and valid GFM tables."""

from __future__ import annotations

import json

import pytest

from fmnist_tui.engine.calculus.tasks import EigenTask, JacobianTask
from fmnist_tui.engine.devices import DevicesTask
from fmnist_tui.engine.history import list_runs
from fmnist_tui.engine.report import build_report, demote_headings, save_report_run
from fmnist_tui.engine.runner import run_collecting
from fmnist_tui.engine.training.config import TrainConfig
from fmnist_tui.engine.training.task import TrainTask

from conftest import make_small_dataset  # noqa: E402  (tests/ is on sys.path via rootdir conftest)
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
