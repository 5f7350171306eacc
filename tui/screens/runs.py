"""The Runs screen: every past run, filtered and sorted; open, compare and delete them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from .base import WorkbenchScreen
from textual.widgets import DataTable, Header, MarkdownViewer, Static

from fmnist_tui.engine.history import (
    TASKS, HistoryError, RunRecord, delete_run, filter_runs, format_duration, format_started, list_runs,
    read_run, sort_runs,
)

from ..widgets.footer import StableFooter

FILTERS = ("all", *TASKS)
TASK_LABELS = {"train": "train", "devices": "devices", "jacobian": "jacobian", "eigen": "eigen"}
# (column key = sort key, label, justify); the first column holds the comparison marks.
COLUMNS = (
    ("mark", "", "left"),
    ("task", "task", "left"),
    ("started_at", "date", "left"),
    ("status", "status", "left"),
    ("seconds_total", "duration", "right"),
    ("headline", "headline", "left"),
)
SORT_CYCLE = ("started_at", "task", "status", "seconds_total", "headline")
SORT_LABELS = {"started_at": "date", "task": "task", "status": "status", "seconds_total": "duration",
               "headline": "headline"}
# Newest and longest first; names alphabetically.
DEFAULT_REVERSE = {"started_at": True, "seconds_total": True}
STATUS_STYLES = {
    "completed": "green", "cancelled": "yellow", "failed": "red", "running": "cyan",
    "interrupted": "dark_orange",
}
MARKS = ("A", "B")
REPORTABLE = ("train", "devices", "jacobian", "eigen")
MAX_HEADLINE = 44  # keeps the table inside 100 columns; the line below it shows it all


# The screen that follows each task's runs live.
TASK_MODES = {"train": "classifier", "devices": "devices", "jacobian": "jacobian", "eigen": "eigen"}
LIVE_REFRESH_SECONDS = 1.0


def status_text(record: RunRecord, progress: dict | None = None) -> Text:
    text = record.status
    if progress is not None and record.status == "running":
        text += f" {progress['fraction']:.0%}"
    return Text(text, style=STATUS_STYLES.get(record.status, "dim"))


def headline_text(record: RunRecord) -> Text:
    text = f"damaged: {record.damaged}" if record.damaged else (record.headline or "—")
    if len(text) > MAX_HEADLINE:
        text = text[: MAX_HEADLINE - 1] + "…"
    return Text(text, style="red" if record.damaged else "")


def row_cells(record: RunRecord, mark: str = "", progress: dict | None = None) -> list[Text]:
    return [
        Text(mark, style="bold magenta"),
        Text(record.task),
        Text(format_started(record.started_at)),
        status_text(record, progress),
        Text(format_duration(record.seconds_total), justify="right"),
        headline_text(record),
    ]


class RunsScreen(WorkbenchScreen[None]):

    HELP = """\
## Runs

Every run under the runs directory (`runs/` by default), newest first: its task, start
time, status, wall time and headline figure — best test accuracy per model for training,
peak GFLOP/s per device for timings, ✓/✗ for the Jacobian and eigen checks. Every run has
a worker process of its own, which goes on when the app is closed: a *running* run shows
its progress, live; one whose worker has gone without finishing reads *interrupted*, and a
training can be resumed from its last completed epoch. A directory with a missing, unreadable or half-written summary, or one
with a field missing or of the wrong type, is listed as *damaged* with the reason (it cannot
be compared or reported on); open it to see what is there, or delete it.

| key | does |
| --- | --- |
| `↑` `↓` | select a run |
| `Enter` | a running run: follow it on its task's screen; else open its `summary.md` (`Esc` closes it) |
| `u` | resume a cancelled or interrupted training from its last completed epoch |
| `c` | cancel a running run (what completed is kept) |
| `f` | filter by task: all → train → devices → jacobian → eigen → report |
| `o` | sort by the next column (or click a column header; click again to reverse) |
| `O` | reverse the sort order |
| `m` | mark / unmark a training run for comparison (A, then B) |
| `x` | compare the two marked training runs: config differences, results, curves |
| `space` | select / unselect a run for a report (•) |
| `R` | assemble one Markdown report from the selected runs (none selected: the latest completed run of each task), kept as a run of its own |
| `d` | delete the selected run's directory (asks first) |
| `r` | re-read the runs directory |
"""

    BINDINGS = [
        Binding("enter", "open", "Open", id="open", tooltip="Follow a running run, or open a summary"),
        Binding("u", "resume", "Resume", id="resume", tooltip="Resume a training from its last epoch"),
        Binding("c", "cancel_run", "Cancel run", id="cancel-run", tooltip="Cancel the selected running run"),
        Binding("f", "cycle_filter", "Filter", id="filter", tooltip="Show one task's runs"),
        Binding("o", "cycle_sort", "Sort", id="sort", tooltip="Sort by the next column"),
        Binding("O", "reverse_sort", "Reverse", id="reverse-sort", show=False),
        Binding("m", "mark", "Mark", id="mark", tooltip="Mark a training run for comparison"),
        Binding("x", "compare", "Compare", id="compare", tooltip="Compare the two marked runs"),
        Binding("space", "toggle_report", "Select", id="select", tooltip="Select the run for a report"),
        Binding("R", "report", "Report", id="report", tooltip="One report.md from the selected runs"),
        Binding("d", "delete", "Delete", id="delete", tooltip="Delete the selected run"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Re-read the runs directory"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RunRecord] = []  # every run, as read
        self.shown: list[RunRecord] = []  # filtered and sorted, as in the table
        self.filter = "all"
        self.sort_key = "started_at"
        self.sort_reverse = True
        self.marked: list[str] = []  # run ids, A then B
        self.for_report: list[str] = []  # run ids selected for a report, in selection order
        self.progress: dict[str, dict] = {}  # run id -> progress of the running runs

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="runs"):
            yield Static("", id="runs-bar")
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="runs-detail")
        yield StableFooter()

    @property
    def runs_dir(self) -> Path:
        return Path(self.app.settings.runs_dir)

    @property
    def table(self) -> DataTable:
        return self.query_one("#runs-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.set_interval(LIVE_REFRESH_SECONDS, self._refresh_live)

    def _refresh_live(self) -> None:
        """Re-read the running runs (only those: there may be hundreds of finished ones)."""
        if not self.is_current:  # (also False while the app shuts down: no screen then)
            return
        live = [r for r in self.records if r.status == "running"]
        if not live:
            return
        fresh = {r.run_id: read_run(r.path) for r in live}
        self.records = [fresh.get(r.run_id, r) for r in self.records]
        self.rebuild()

    def on_screen_resume(self) -> None:
        # Other screens may have written runs since this one was last shown; rebuilding an
        # unchanged table would only cost the key that showed it.
        records = list_runs(self.runs_dir)
        if records != self.records or not self.table.columns:  # (no columns: never built)
            self.refresh_runs(records)

    # ---- the table ---------------------------------------------------------------------

    def refresh_runs(self, records: list[RunRecord] | None = None) -> None:
        self.records = list_runs(self.runs_dir) if records is None else records
        self.progress = {}
        ids = {r.run_id for r in self.records}
        self.marked = [m for m in self.marked if m in ids]
        self.for_report = [m for m in self.for_report if m in ids]
        self.rebuild()

    def rebuild(self) -> None:
        """Fill the table from `records` with the current filter and sort, keeping the selection."""
        table = self.table
        selected = self.selected
        self.shown = sort_runs(filter_runs(self.records, self.filter), self.sort_key, self.sort_reverse)
        table.clear(columns=True)
        for key, label, justify in COLUMNS:
            if key == self.sort_key:
                label = f"{label} {'▼' if self.sort_reverse else '▲'}"
            table.add_column(Text(label, justify=justify), key=key)
        for record in self.shown:
            table.add_row(*row_cells(record, self.mark_of(record.run_id), self.progress_of(record)), key=record.run_id)
        if selected is not None and any(r.run_id == selected.run_id for r in self.shown):
            table.move_cursor(row=table.get_row_index(selected.run_id), animate=False)
        self.update_bar()
        self.update_detail()
        self.refresh_bindings()

    def progress_of(self, record: RunRecord) -> dict | None:
        """A running run's progress, from the newest progress event of its journal."""
        if record.status != "running":
            return None
        from fmnist_tui.engine.run_status import last_progress_event, progress_of

        self.progress[record.run_id] = progress_of(last_progress_event(record.path), record.summary or {})
        return self.progress[record.run_id]

    def mark_of(self, run_id: str) -> str:
        letter = MARKS[self.marked.index(run_id)] if run_id in self.marked else ""
        return letter + ("•" if run_id in self.for_report else "")

    @property
    def selected(self) -> RunRecord | None:
        if not self.shown:
            return None
        try:
            table = self.query_one("#runs-table", DataTable)
        except Exception:
            return None
        row = table.cursor_row
        if row is None or not 0 <= row < len(self.shown) or table.row_count != len(self.shown):
            return None
        key = table.coordinate_to_cell_key((row, 0)).row_key.value
        return next((r for r in self.shown if r.run_id == key), None)

    def update_bar(self) -> None:
        direction = "↓" if self.sort_reverse else "↑"
        count = len(self.shown) if self.filter == "all" else f"{len(self.shown)} of {len(self.records)}"
        if len(self.marked) == 2:
            marks = "[b magenta]A B[/] ([b]x[/] compares)"
        elif self.marked:
            marks = "[b magenta]A[/] (mark one more)"
        else:
            marks = "none (m)"
        self.query_one("#runs-bar", Static).update(
            f"[b]{count}[/] runs · filter [b]{self.filter}[/] (f) · sort [b]{SORT_LABELS[self.sort_key]}[/] "
            f"{direction} (o) · [b]Enter[/] opens · marked: {marks}"
        )

    def update_detail(self) -> None:
        detail = self.query_one("#runs-detail", Static)
        record = self.selected
        if not self.records:
            detail.update(
                f"No runs in [b]{escape(str(self.runs_dir))}[/] yet. Start one from the Classifier, Devices, "
                "Jacobian or Eigen screen, then press [b]r[/]."
            )
            return
        if record is None:
            detail.update(f"No {self.filter} runs. Press [b]f[/] for another filter.")
            return
        lines = [f"[b]{escape(record.run_id)}[/]  [dim]{escape(str(record.path))}[/]"]
        progress = self.progress.get(record.run_id)
        if record.status == "running":
            what = escape(progress["text"]) if progress else "starting"
            lines.append(f"[cyan]running: {what}[/] — [b]Enter[/] follows it, [b]c[/] cancels it")
        elif record.status == "interrupted" and record.task == "train":
            lines.append("[dark_orange]interrupted: its worker ended without finishing[/] — [b]u[/] resumes it")
        if record.damaged:
            lines.append(f"[red]damaged: {escape(record.damaged)}[/]")
        elif record.summary and record.summary.get("error"):
            lines.append(f"[red]{escape(str(record.summary['error']))}[/]")
        elif record.headline:
            lines.append(escape(record.headline))
        detail.update("\n".join(lines))

    @on(DataTable.RowHighlighted, "#runs-table")
    def _highlighted(self) -> None:
        self.update_detail()
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#runs-table")
    def _row_selected(self) -> None:
        self.action_open()

    @on(DataTable.HeaderSelected, "#runs-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key not in SORT_CYCLE:
            return
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key, self.sort_reverse = key, DEFAULT_REVERSE.get(key, False)
        self.rebuild()

    # ---- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "delete", "mark"):
            return True if self.selected is not None else None
        if action == "compare":
            return True if len(self.marked) == 2 else None
        return True

    def action_refresh(self) -> None:
        self.refresh_runs()
        self.notify(f"{len(self.records)} runs in {self.runs_dir}.", title="Runs", timeout=2)

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self.rebuild()

    def action_cycle_sort(self) -> None:
        key = SORT_CYCLE[(SORT_CYCLE.index(self.sort_key) + 1) % len(SORT_CYCLE)]
        self.sort_key, self.sort_reverse = key, DEFAULT_REVERSE.get(key, False)
        self.rebuild()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.rebuild()

    def action_open(self) -> None:
        record = self.selected
        if record is None:
            return
        if record.status == "running" and TASK_MODES.get(record.task) in self.app.MODES:
            self.app.open_run(TASK_MODES[record.task], record.path)
        else:
            self.app.push_screen(RunSummaryScreen(record))

    def action_resume(self) -> None:
        record = self.selected
        if record is not None:
            self.run_worker(self._resume(record), group="resume", exit_on_error=False)

    async def _resume(self, record: RunRecord) -> None:
        import asyncio

        from fmnist_tui.engine.errors import FmnistError
        from fmnist_tui.engine.launcher import launch, resume_options

        try:
            options = resume_options(record.path)
            await asyncio.to_thread(launch, "train", options, self.runs_dir, None, record.path)
        except FmnistError as exc:
            self.notify(str(exc), title="Resume", severity="warning", markup=False)
            return
        self.refresh_runs()
        self.app.open_run("classifier", record.path)

    def action_cancel_run(self) -> None:
        record = self.selected
        if record is None or record.status != "running":
            self.notify("Select a running run to cancel it.", title="Cancel", severity="warning")
            return
        from fmnist_tui.engine.errors import FmnistError
        from fmnist_tui.engine.launcher import request_cancel

        try:
            request_cancel(record.path)
        except FmnistError as exc:
            self.notify(str(exc), title="Cancel", severity="error", markup=False)
            return
        self.notify(f"Cancelling run {record.run_id}…", title="Runs", timeout=3)

    def action_mark(self) -> None:
        def refusal(record: RunRecord) -> str | None:
            if record.is_training:
                return None
            why = f"it is damaged ({record.damaged})" if not record.usable else f"it is a {record.task} run"
            return f"Only training runs can be compared; {why}."

        self._toggle_selected(self.marked, refusal, "Mark", keep=2)

    def _toggle_selected(self, chosen: list[str], refusal: Callable[[RunRecord], str | None], title: str,
                         keep: int | None = None) -> None:
        """Add the selected run to `chosen` (the oldest leaves beyond `keep`), or take it out;
        a run `refusal` gives a reason for is not added, and the user is told why."""
        record = self.selected
        if record is None:
            return
        if record.run_id in chosen:
            chosen.remove(record.run_id)
        elif (reason := refusal(record)) is not None:
            # markup off: the reason quotes the file, which may hold "[/…]"
            self.notify(reason, severity="warning", title=title, markup=False)
            return
        else:
            if keep is not None and len(chosen) == keep:
                chosen.pop(0)
            chosen.append(record.run_id)
        self.rebuild()

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self.notify("Mark two training runs with m first.", severity="warning", title="Compare")
            return
        from fmnist_tui.engine.history import compare_training_runs

        from .run_compare import RunCompareScreen

        by_id = {r.run_id: r for r in self.records}
        a, b = (by_id[m] for m in self.marked)
        try:
            comparison = compare_training_runs(a, b)
        except HistoryError as exc:
            self.notify(str(exc), severity="error", title="Compare", markup=False)
            return
        self.app.push_screen(RunCompareScreen(a, b, comparison))

    def action_toggle_report(self) -> None:
        def refusal(record: RunRecord) -> str | None:
            if record.usable and record.task in REPORTABLE:
                return None
            why = f"it is damaged ({record.damaged})" if not record.usable else f"it is a {record.task}"
            return f"This run cannot go into a report: {why}."

        self._toggle_selected(self.for_report, refusal, "Report")

    def report_records(self) -> list[RunRecord]:
        """The selected runs, or else the newest completed (and not damaged) run of each task."""
        if self.for_report:
            by_id = {r.run_id: r for r in self.records}
            return [by_id[i] for i in self.for_report if i in by_id]
        newest: dict[str, RunRecord] = {}
        for record in sort_runs(self.records, "started_at", True):
            if record.usable and record.status == "completed" and record.task in REPORTABLE:
                newest.setdefault(record.task, record)
        return list(newest.values())

    def action_report(self) -> None:
        from fmnist_tui.engine.report import save_report_run

        chosen = self.report_records()
        if not chosen:
            self.notify("No completed runs to report on yet.", severity="warning", title="Report")
            return
        # a selected run may have been damaged on disk since it was selected (then re-read with r)
        usable = [r for r in chosen if r.usable]
        left_out = "; ".join(f"{r.run_id} is damaged ({r.damaged})" for r in chosen if not r.usable)
        if not usable:
            self.notify(f"No report written: {left_out}.", severity="error", title="Report", markup=False)
            return
        try:
            path = save_report_run(self.runs_dir, [r.summary for r in usable])
        except OSError as exc:
            self.notify(f"Could not write the report: {exc.strerror or exc}", severity="error", title="Report",
                        markup=False)
            return
        self.for_report = []
        self.refresh_runs()
        self.notify(f"Report of {len(usable)} run(s): {path}" + (f"\nLeft out: {left_out}." if left_out else ""),
                    title="Report", timeout=6, severity="warning" if left_out else "information", markup=False)
        record = next((r for r in self.records if r.path == path.parent), None)
        if record is not None:
            self.app.push_screen(RunSummaryScreen(record))

    def action_delete(self) -> None:
        record = self.selected
        if record is None:
            return
        from .confirm import ConfirmModal

        question = f"Delete run [b]{escape(record.run_id)}[/] and everything in {escape(str(record.path))}?"
        if record.status == "running":
            question += "\n\n[yellow]It still looks like it is running.[/]"

        def decided(yes: bool | None) -> None:
            if yes:
                self.delete(record)

        self.app.push_screen(ConfirmModal(question, "Delete", "Keep"), decided)

    def delete(self, record: RunRecord) -> None:
        try:
            delete_run(record, self.runs_dir)
        except HistoryError as exc:
            self.notify(str(exc), severity="error", title="Delete")
        else:
            self.notify(f"Deleted run {record.run_id}.", title="Runs", timeout=3)
        self.refresh_runs()


def summary_markdown(record: RunRecord) -> str:
    """The run's `summary.md`, or, for a damaged run, the reason and what can be recovered."""
    text: str | None = None
    problem = record.damaged
    try:
        text = record.markdown_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        problem = problem or f"cannot read summary.md: {getattr(exc, 'strerror', None) or exc}"
    if text is not None and problem is None:
        return text
    lines = [f"# Run {record.run_id}", "", f"> **Damaged:** {problem or 'no summary.md'}", ""]
    if text is not None:
        lines += ["The Markdown summary follows; `summary.json` could not be used.", "", "---", "", text]
        return "\n".join(lines)
    lines += [f"Directory: `{record.path}`", ""]
    try:
        files = sorted(p for p in record.path.iterdir())
        listing = [f"- `{p.name}` ({p.stat().st_size} bytes)" if p.is_file() else f"- `{p.name}/`" for p in files]
    except OSError as exc:
        listing = [f"Cannot list the directory: {exc.strerror or exc}"]
    lines += ["## Files", "", *(listing or ["The directory is empty."]), ""]
    if record.summary is not None:
        try:
            raw = json.dumps(record.summary, indent=2, default=str)
        except (ValueError, RecursionError):  # nested deeper than the encoder goes
            raw = "(too deeply nested to show)"
        if len(raw) > 20_000:
            raw = raw[:20_000] + "\n…"
        lines += ["## summary.json", "", "```json", raw, "```", ""]
    lines += ["Press `d` on the Runs screen to delete this run."]
    return "\n".join(lines)


class RunSummaryScreen(WorkbenchScreen[None]):
    """A run's `summary.md` in a Markdown viewer; Esc goes back to the list."""


    HELP = """\
## Run summary

The run's `summary.md`, rendered. `t` shows or hides the table of contents; `Esc` goes
back to the list of runs.
"""

    BINDINGS = [
        Binding("escape", "close", "Back", id="close"),
        Binding("t", "toggle_contents", "Contents", id="contents"),
    ]

    def __init__(self, record: RunRecord) -> None:
        super().__init__()
        self.record = record
        self.markdown = summary_markdown(record)

    def compose(self) -> ComposeResult:
        yield Header()
        title = f"[b]{escape(self.record.run_id)}[/] · {escape(self.record.task)}"
        if self.record.summary is not None:
            title += f" · {escape(self.record.status)}"
        if self.record.damaged:
            title += " · [red]damaged[/]"
        yield Static(title, id="summary-title")
        yield MarkdownViewer(self.markdown, id="summary-viewer", show_table_of_contents=False)
        yield StableFooter()

    def on_mount(self) -> None:
        self.sub_title = self.record.run_id
        self.query_one("#summary-viewer", MarkdownViewer).focus()

    def action_close(self) -> None:
        self.dismiss()

    def action_toggle_contents(self) -> None:
        viewer = self.query_one("#summary-viewer", MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents
