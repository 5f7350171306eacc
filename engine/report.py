"""One Markdown report of the whole exercise, assembled from run summaries.

Sections follow the original exercise: the classifier (with its comparison table in the
original's layout, metric | low-level | Keras), the CPU/GPU timings, then the Jacobian
and eigen checks with their derivations. Each section is the task's own summary with its
headings moved one level down, so the report and the summaries never disagree.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .summaries import atomic_write_text, escape_cell, markdown_table

REPORT_MD = "report.md"
TASK_ORDER = ("train", "devices", "jacobian", "eigen")
SECTION_TITLES = {
    "train": "1. Classifier: Keras fit against a low-level GradientTape loop",
    "devices": "2. Matrix products on CPU and GPU",
    "jacobian": "3. Jacobian: autodiff against the exact derivative",
    "eigen": "4. Eigenpairs: numeric against the exact solution",
}


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
    """The report of the given runs (any subset of the four tasks), in the exercise's order."""
    by_task: dict[str, list[Mapping[str, Any]]] = {}
    for summary in summaries:
        by_task.setdefault(str(summary.get("task")), []).append(summary)
    stamp = (now or _dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    lines = [f"# {title}", "", f"Assembled {stamp} from {len(summaries)} run(s).", ""]
    overview = [
        [SECTION_TITLES.get(s.get("task"), s.get("task")), s.get("run_id", "—"), s.get("status", "—")]
        for task in TASK_ORDER for s in by_task.get(task, [])
    ]
    lines += [markdown_table(["task", "run", "status"], overview), ""]
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
    atomic_write_text(Path(path), build_report(summaries, **kwargs))
    return Path(path)


def save_report_run(runs_dir: Path, summaries: Sequence[Mapping[str, Any]], title: str = "Fashion-MNIST workbench report",
                    status: str = "completed", note: str = "") -> Path:
    """Keep a report as a run of its own (`runs/<id>-report/`), listed with the others.

    Writes `report.md` (the report), `summary.md` (the same text) and `summary.json` (task
    "report", the runs it was assembled from). Returns the path of `report.md`.
    """
    from .runner import new_run_id
    from .summaries import write_summary

    runs_dir = Path(runs_dir)
    run_id = new_run_id("report", runs_dir)
    run_dir = runs_dir / run_id
    run_dir.mkdir(parents=True)
    now = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    text = build_report(summaries, title=title)
    if note:
        text = text.replace("\n\n", f"\n\n{note}\n\n", 1)
    atomic_write_text(run_dir / REPORT_MD, text)
    summary = {
        "task": "report", "run_id": run_id, "status": status, "started_at": now, "finished_at": now,
        "seconds_total": None, "config": {"title": title}, "environment": {},
        "runs": [{"run_id": s.get("run_id"), "task": s.get("task"), "status": s.get("status")} for s in summaries],
    }
    write_summary(run_dir, summary, text)
    return run_dir / REPORT_MD
