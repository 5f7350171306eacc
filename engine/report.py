"""One Markdown report of the whole exercise, assembled from run summaries.

Sections follow the original exercise: the classifier (with its comparison table in the
original's layout, metric | low-level | Keras), the CPU/GPU timings, then the Jacobian
and eigen checks with their derivations. Each section is the task's own summary with its
headings moved one level down, so the report and the summaries never disagree.

A summary that `summary_check` rejects (a damaged run) is never rendered: the report lists
it as skipped, with the reason, and a report with nothing usable is refused before its
directory is created.
"""

from __future__ import annotations

import datetime as _dt
import re
import shutil
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .errors import FmnistError
from .summaries import atomic_write_text, escape_cell, markdown_table
from .summary_check import summary_problem

REPORT_MD = "report.md"
TASK_ORDER = ("train", "devices", "jacobian", "eigen")
SECTION_TITLES = {
    "train": "1. Classifier: Keras fit against a low-level GradientTape loop",
    "devices": "2. Matrix products on CPU and GPU",
    "jacobian": "3. Jacobian: autodiff against the exact derivative",
    "eigen": "4. Eigenpairs: numeric against the exact solution",
}


class ReportError(FmnistError):
    """No report can be assembled from the given runs (none of them is usable)."""


def split_usable(summaries: Sequence[Any]) -> tuple[list[Mapping[str, Any]], list[tuple[str, str]]]:
    """The summaries a report can use, and (run id, why not) for each one it cannot."""
    usable, skipped = [], []
    for summary in summaries:
        problem = summary_problem(summary)
        if problem is None and summary.get("task") not in TASK_ORDER:
            problem = f"a {summary.get('task')} run has no section in the report"
        if problem is None:
            usable.append(summary)
        else:
            run_id = summary.get("run_id") if isinstance(summary, Mapping) else None
            skipped.append((run_id if isinstance(run_id, str) and run_id else "a run without an id", problem))
    return usable, skipped


def _skipped_text(skipped: Sequence[tuple[str, str]], limit: int = 3) -> str:
    text = "; ".join(f"run {run_id} cannot go into a report ({reason})" for run_id, reason in skipped[:limit])
    return text + (f"; and {len(skipped) - limit} more" if len(skipped) > limit else "")


def _renderer(task: str) -> Callable[[Mapping[str, Any]], str] | None:
    # imported lazily: the devices and calculus modules are large and the TUI lists runs cheaply
    if task == "train":
        from .training.summary import render_train_markdown

        return render_train_markdown
    if task == "devices":
        from .devices import render_markdown

        return render_markdown
    if task == "jacobian":
        from .calculus.tasks import render_jacobian_markdown

        return render_jacobian_markdown
    if task == "eigen":
        from .calculus.tasks import render_eigen_markdown

        return render_eigen_markdown
    return None


def demote_headings(markdown: str, levels: int = 1) -> str:
    """`# A` → `## A`, outside fenced code and math blocks."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,6} ", line):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


def original_comparison_table(summary: Mapping[str, Any]) -> str | None:
    """The original exercise's table: metric | low-level | Keras."""
    from .training.summary import COMPARISON_ROWS

    models = summary.get("models") or {}
    order = [m for m in ("lowlevel", "keras") if (models.get(m) or {}).get("epochs")]
    if not order:
        return None
    titles = {"lowlevel": "low-level", "keras": "Keras"}
    rows = [[label] + [render(models[m].get(key)) for m in order] for label, key, render in COMPARISON_ROWS]
    return markdown_table(["metric"] + [titles[m] for m in order], rows, ["l"] + ["r"] * len(order))


def build_report(summaries: Sequence[Mapping[str, Any]], title: str = "Fashion-MNIST workbench report",
                 now: _dt.datetime | None = None) -> str:
    """The report of the given runs (any subset of the four tasks), in the exercise's order.

    Damaged summaries are listed under "Skipped" with the reason, never rendered.
    """
    usable, skipped = split_usable(summaries)
    by_task: dict[str, list[Mapping[str, Any]]] = {}
    for summary in usable:
        by_task.setdefault(summary["task"], []).append(summary)
    stamp = (now or _dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    lines = [f"# {title}", "", f"Assembled {stamp} from {len(usable)} run(s).", ""]
    overview = [
        [SECTION_TITLES[task], s["run_id"], s["status"]] for task in TASK_ORDER for s in by_task.get(task, [])
    ]
    lines += [markdown_table(["task", "run", "status"], overview), ""]
    if skipped:
        lines += ["## Skipped", "", "These runs were left out, for the reason given:", ""]
        lines += [f"- {escape_cell(run_id)}: {escape_cell(reason)}" for run_id, reason in skipped] + [""]
    for task in TASK_ORDER:
        for summary in by_task.get(task, []):
            lines += [f"## {SECTION_TITLES[task]}", ""]
            if task == "train":
                table = original_comparison_table(summary)
                if table:
                    lines += ["Comparison in the original exercise's layout:", "", table, ""]
            render = _renderer(task)
            body = render(summary) if render else ""
            lines += [demote_headings(body, 2).rstrip(), ""]
    missing = [SECTION_TITLES[t] for t in TASK_ORDER if t not in by_task]
    if missing:
        lines += ["## Not included", "", *[f"- {escape_cell(m)}" for m in missing], ""]
    return "\n".join(lines).rstrip() + "\n"


def write_report(summaries: Sequence[Mapping[str, Any]], path: Path, **kwargs: Any) -> Path:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(path), build_report(summaries, **kwargs))
    return Path(path)


def save_report_run(runs_dir: Path, summaries: Sequence[Mapping[str, Any]],
                    title: str = "Fashion-MNIST workbench report", status: str = "completed", note: str = "") -> Path:
    """Keep a report as a run of its own (`runs/<id>-report/`), listed with the others.

    Writes `report.md` (the report), `summary.md` (the same text) and `summary.json` (task
    "report", the runs it was assembled from, those it skipped). Returns the path of
    `report.md`. Raises `ReportError`, before creating anything, when runs were given and
    none of them is usable; a failed write removes the directory it created.
    """
    from .runner import claim_run_dir
    from .summaries import write_summary

    usable, skipped = split_usable(summaries)
    if summaries and not usable:
        raise ReportError(f"No report written: {_skipped_text(skipped)}.", "Choose runs that are not damaged.")
    text = build_report(summaries, title=title)
    if note:
        text = text.replace("\n\n", f"\n\n{note}\n\n", 1)
    run_id, run_dir = claim_run_dir("report", Path(runs_dir))
    now = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    summary = {
        "task": "report", "run_id": run_id, "status": status, "started_at": now, "finished_at": now,
        "seconds_total": None, "config": {"title": title}, "environment": {},
        "runs": [{"run_id": s["run_id"], "task": s["task"], "status": s["status"]} for s in usable],
        "skipped": [{"run_id": run, "reason": reason} for run, reason in skipped],
    }
    try:
        atomic_write_text(run_dir / REPORT_MD, text)
        write_summary(run_dir, summary, text)
    except BaseException:  # a half-written report would be listed as a damaged run
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_dir / REPORT_MD
