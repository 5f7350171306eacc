"""JacobianTask and EigenTask through the runner: events, summary.json and summary.md."""

import json

import pytest

from fmnist_tui.engine.calculus.tasks import (
    EigenComputed,
    EigenTask,
    JacobianComputed,
    JacobianTask,
    render_eigen_markdown,
    render_jacobian_markdown,
)
from fmnist_tui.engine.errors import ConfigError, ExpressionError
from fmnist_tui.engine.events import Log, Progress, RunCancelled, RunFinished
from fmnist_tui.engine.runner import CancelToken, run_collecting


def _finished(events):
    assert isinstance(events[-1], RunFinished), events[-1]
    path = events[-1].summary_path
    return json.loads((path.parent / "summary.json").read_text()), path.read_text()


def test_jacobian_task(tmp_path):
    task = JacobianTask("3*x**2 + 2*x + 3", "1,3")
    assert task.name == "jacobian"
    assert task.config_dict() == {"expression": "3*x**2 + 2*x + 3", "point": "1,3", "variables": None, "tolerance": 1e-9}
    events = run_collecting(task, tmp_path)
    assert any(isinstance(e, Progress) for e in events) and any(isinstance(e, Log) for e in events)
    (computed,) = [e for e in events if isinstance(e, JacobianComputed)]
    assert computed.result.autodiff.jacobian == ((8.0, 0.0), (0.0, 20.0))
    summary, markdown = _finished(events)
    for key in ("expression", "variables", "point", "symbolic", "autodiff", "max_abs_error", "max_rel_error", "tolerance", "match"):
        assert key in summary
    assert summary["symbolic"]["exact"] == [["8", "0"], ["0", "20"]]
    assert summary["symbolic"]["values"] == [[8.0, 0.0], [0.0, 20.0]]
    assert summary["autodiff"]["gradient"] == [8.0, 20.0]
    assert "diagonal" in summary["autodiff"]["explanation"]
    assert summary["match"] is True and summary["status"] == "completed"
    assert "```math" in markdown and "| Entry |" in markdown and "**✓ match**" in markdown


def test_eigen_task(tmp_path):
    task = EigenTask("[[3, 2], [2, 3]]")
    assert task.name == "eigen" and task.config_dict()["matrix"] == "[[3, 2], [2, 3]]"
    events = run_collecting(task, tmp_path)
    assert [e for e in events if isinstance(e, EigenComputed)]
    summary, markdown = _finished(events)
    for key in ("matrix", "characteristic_polynomial", "eigenvalues", "residuals", "match", "notes"):
        assert key in summary
    assert summary["characteristic_polynomial"]["factored"] == "(lambda - 5)*(lambda - 1)"
    exact = summary["eigenvalues"]["exact"]
    assert [(e["value"], e["algebraic_multiplicity"], e["geometric_multiplicity"]) for e in exact] == [("1", 1, 1), ("5", 1, 1)]
    assert exact[0]["eigenvectors"] == [["-1", "1"]] and exact[1]["eigenvectors"] == [["1", "1"]]
    assert len(summary["eigenvalues"]["numeric"]) == 2
    assert summary["match"] is True
    assert "```math" in markdown and "\\det(A - \\lambda I)" in markdown and "| # |" in markdown


def test_eigen_task_complex_values_serialise(tmp_path):
    summary, markdown = _finished(run_collecting(EigenTask("0 -1; 1 0"), tmp_path))
    values = [n["value"] for n in summary["eigenvalues"]["numeric"]]
    assert sorted(v["im"] for v in values) == pytest.approx([-1, 1])
    assert summary["match"] is True and "complex eigenvalues" in " ".join(summary["notes"])


def _table_column_counts(markdown):
    """Unescaped cell separators per row, grouped by table."""
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line.replace("\\|", "").count("|"))
        elif current:
            tables.append(current)
            current = []
    return tables


def test_pipe_in_table_cells_is_escaped(tmp_path):
    # abs() is |x| in LaTeX; the inputs table carries the user's text.
    summary, markdown = _finished(run_collecting(JacobianTask("abs(x) + x", "2, -3"), tmp_path))
    partial = {"status": "failed", "config": {"expression": "x | y", "point": "1"}, "error": "bad", "hint": "fix"}
    for md in (markdown, render_jacobian_markdown(partial)):
        tables = _table_column_counts(md)
        assert tables and all(len(set(counts)) == 1 for counts in tables), tables
    assert "x \\| y" in render_jacobian_markdown(partial)


@pytest.mark.parametrize(
    "summary",
    [
        {},
        {"status": "running", "config": {"expression": "x", "point": "1"}},
        {"status": "failed", "error": "boom", "hint": "retry", "config": {}},
        {"status": "cancelled", "config": {"matrix": "[[1]]"}, "symbolic": {"latex": "x"}},
        {"status": "completed", "symbolic": "garbage", "autodiff": None, "match": True, "eigenvalues": {"exact": [{}], "numeric": [{}]}},
    ],
)
def test_render_partial_summaries(summary):
    assert "#" in render_jacobian_markdown(summary)
    assert "#" in render_eigen_markdown(summary)


def test_cancelled_run(tmp_path):
    token = CancelToken()
    token.cancel()
    events = run_collecting(EigenTask("[[1, 2], [2, 1]]"), tmp_path, token)
    assert isinstance(events[-1], RunCancelled)
    assert (events[-1].summary_path.parent / "summary.md").exists()


@pytest.mark.parametrize(
    "factory, field",
    [
        (lambda: JacobianTask("log(x)", "0"), "at"),
        (lambda: JacobianTask("x*y", "1"), "at"),
        (lambda: JacobianTask("x*y", "1, 2", "x"), "vars"),
        (lambda: JacobianTask("x +", "1"), "expr"),
        (lambda: JacobianTask("x", "1", tolerance="abc"), "tolerance"),
        (lambda: JacobianTask("x", "1", tolerance=0), "tolerance"),
        (lambda: EigenTask("[[1, 2], [3]]"), "matrix"),
        (lambda: EigenTask("[[1, 2, 3]]"), "matrix"),
    ],
)
def test_bad_config_raises_before_run(factory, field):
    with pytest.raises(ConfigError) as info:
        factory()
    assert info.value.field == field


@pytest.mark.parametrize("text", ["__import__('os').system('ls')", "x.__class__", "lambda: 1", "[x for x in y]"])
def test_malicious_input_rejected_by_task(text):
    with pytest.raises(ExpressionError) as info:
        JacobianTask(text, "1")
    assert info.value.field == "expr"
    with pytest.raises(ExpressionError):
        EigenTask(text)
