"""The commands for runs that live in the background: `runs`, `attach`, `cancel`, and the
`--detach` and `--resume` ways of starting one. Nothing here imports TensorFlow."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from rich.console import Console

from fmnist_tui.engine.errors import ConfigError, FmnistError

from .headless import EXIT_FAILED, EXIT_OK, EXIT_USAGE

EXPORT_FORMATS = ("csv", "json")  # engine/export.py's FORMATS (not imported for --help)

RUNS_EPILOG = """\
examples:
  fmnist-tui runs                     every run, newest first, with live status and progress
  fmnist-tui runs --json | jq '.[] | select(.status == "running")'
  fmnist-tui attach 20261129-101500-train     follow a run (Ctrl-C leaves it running)
  fmnist-tui cancel 20261129-101500-train     stop it; returns when its summary is written
  fmnist-tui run train --epochs 70 --detach   start in the background
  fmnist-tui run train --resume 20261129-101500-train   continue an interrupted training
  fmnist-tui runs export 20261129-101500-train --format csv --output epochs.csv
"""

EXPORT_DESCRIPTION = """\
Write the per-epoch table of a training run: one row per epoch of every model, with the
columns model, epoch, loss, accuracy, test_loss, test_accuracy, seconds (the epoch's wall
time, training and test evaluation) and seconds_per_sample, plus steps_per_execution when
the run recorded it. CSV has a header line; JSON is an array of one object per row. A
missing figure is an empty cell (CSV) or null (JSON). A run still going exports the epochs
it has completed so far.
"""

EXPORT_EPILOG = """\
examples:
  fmnist-tui runs export 20261129-101500-train                       CSV on stdout
  fmnist-tui runs export 20261129-101500-train --format json | jq '.[-1]'
  fmnist-tui runs export 20261129-101500-train --output epochs.csv   written atomically

  import pandas as pd; pd.read_csv("epochs.csv").pivot(index="epoch", columns="model", values="test_accuracy")

exit status: 0 written; 1 the file could not be written; 2 no such run, not a training, no
completed epoch yet, or an --output in a directory that does not exist.
"""


def add_run_commands(commands: Any, add_general_options: Callable[..., None]) -> None:
    runs = commands.add_parser(
        "runs", help="list runs with their live status and progress",
        description="List every run under the runs directory, newest first. A run whose worker "
        "process has gone without finishing reads 'interrupted'. `fmnist-tui runs export RUN_ID` writes "
        "a training's per-epoch table as CSV or JSON (see `fmnist-tui runs export --help`).",
        epilog=RUNS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    runs.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    export = runs.add_subparsers(dest="runs_action", metavar="ACTION").add_parser(
        "export", help="write a training run's per-epoch table as CSV or JSON",
        description=EXPORT_DESCRIPTION, epilog=EXPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("run_id", metavar="RUN_ID")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="csv", help="csv or json (default csv)")
    export.add_argument("--output", "-o", metavar="FILE", default=None,
                        help="write to FILE (atomically) instead of stdout")
    attach = commands.add_parser(
        "attach", help="follow a run with the same display as a foreground run (Ctrl-C detaches)",
        description="Follow a run: its progress so far, then live. Ctrl-C stops following; the run "
        "goes on. On a finished run, print its summary.",
        epilog=RUNS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    attach.add_argument("run_id", metavar="RUN_ID")
    cancel = commands.add_parser(
        "cancel", help="cancel a running run and wait for its cancelled summary",
        description="Stop a run started in the background (or by the app). What completed is kept.",
        epilog=RUNS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cancel.add_argument("run_id", metavar="RUN_ID")
    for parser in (runs, export, attach, cancel):
        add_general_options(parser, argparse.SUPPRESS, data_dir=False, notify=parser is attach)


def _consoles() -> tuple[Console, Console]:
    return Console(highlight=False, soft_wrap=True), Console(stderr=True, highlight=False, soft_wrap=True)


def _runs_dir(args: argparse.Namespace) -> Path:
    from .cli import resolve_settings

    resolve_settings(args)
    return Path(args.out)


def run_command(args: argparse.Namespace) -> int:
    console, errors = _consoles()
    export = getattr(args, "runs_action", None) == "export"
    name = "runs export" if export else args.command
    try:
        runs_dir = _runs_dir(args)
        if args.command == "runs" and not export:
            return list_command(runs_dir, args.json, console)
        run_dir = find_run(runs_dir, args.run_id)
        if export:
            return export_command(run_dir, args.format, args.output, console)
        if args.command == "attach":
            _follow_notify_setting(args)
            return attach_command(run_dir, console, errors)
        return cancel_command(run_dir, console)
    except FmnistError as exc:
        errors.print(f"fmnist-tui {name}: error: {exc}", markup=False)
        return EXIT_USAGE if isinstance(exc, (RunNotFound, ConfigError)) else EXIT_FAILED


def _follow_notify_setting(args: argparse.Namespace) -> None:
    """Ring the ending of the run this command follows only if general.notify says so."""
    from .cli import notify_setting, where_set
    from .headless import NOTIFY_ENDINGS

    try:
        NOTIFY_ENDINGS.set(notify_setting(args))
    except ConfigError as exc:
        raise ConfigError("notify", f"{where_set('notify', ['general'], args.settings)}: {exc.message}",
                          exc.hint) from None


class RunNotFound(FmnistError):
    """No run of that id in the runs directory."""


def find_run(runs_dir: Path, run_id: str) -> Path:
    if not run_id or Path(run_id).name != run_id or run_id.startswith("."):
        raise RunNotFound(f"{run_id!r} is not a run id.", "Run ids look like 20261129-101500-train (see `fmnist-tui runs`).")
    run_dir = runs_dir / run_id
    if not (run_dir / "summary.json").is_file() and not (run_dir / "events.jsonl").is_file():
        raise RunNotFound(f"There is no run {run_id} in {runs_dir}.", "See `fmnist-tui runs` (and --out DIR).")
    return run_dir


# ---- runs -------------------------------------------------------------------------------


def list_command(runs_dir: Path, as_json: bool, console: Console) -> int:
    from fmnist_tui.engine.run_status import run_listing

    listing = run_listing(runs_dir)
    if as_json:
        sys.stdout.write(json.dumps(listing, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    from rich.table import Table

    if not listing:
        console.print(f"No runs in {runs_dir}.")
        return EXIT_OK
    table = Table("task", "status", "progress", "started", "result")
    table.add_column("run", no_wrap=True)
    for run in listing:
        style = {"running": "cyan", "interrupted": "yellow", "failed": "red", "cancelled": "yellow"}.get(run["status"], "")
        progress = (run.get("progress") or {}).get("text", "")
        started = (run.get("started_at") or "—").replace("T", " ")[:16]
        table.add_row(run["task"], f"[{style}]{run['status']}[/]" if style else run["status"],
                      progress, started, run.get("headline") or "", run["run_id"])
    console.print(table)
    return EXIT_OK


# ---- export ------------------------------------------------------------------------------


def export_command(run_dir: Path, fmt: str, output: str | None, console: Console) -> int:
    """The run's per-epoch table (engine/export.py) to stdout, or atomically to `output`."""
    from fmnist_tui.engine.export import epoch_table, format_table
    from fmnist_tui.engine.launcher import read_summary

    summary = read_summary(run_dir)
    if summary is None:
        raise ConfigError("run_id", f"Run {run_dir.name} has no readable summary.json.",
                          "It may still be starting; see `fmnist-tui runs`.")
    columns, rows = epoch_table(summary, run_dir.name)
    text = format_table(columns, rows, fmt)
    if output is None or output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    path = _write_export(Path(output).expanduser(), text)
    console.print(f"Wrote {len(rows)} epoch row(s) of run {run_dir.name} to {path} ({fmt}).")
    return EXIT_OK


def _write_export(path: Path, text: str) -> Path:
    from fmnist_tui.engine.summaries import ResultsWriteError, atomic_write_text

    if path.is_dir():
        raise ConfigError("output", f"--output {path} is a directory.", "Name a file, e.g. --output epochs.csv.")
    if not path.parent.is_dir():
        raise ConfigError("output", f"--output {path}: the directory {path.parent} does not exist.",
                          "Create it first, or choose another file.")
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise ResultsWriteError(path, exc) from None
    return path


# ---- attach and cancel ------------------------------------------------------------------


def attach_command(run_dir: Path, console: Console, error_console: Console) -> int:
    from fmnist_tui.engine.journal import first_event
    from fmnist_tui.engine.launcher import read_summary
    from fmnist_tui.engine.liveness import live_status

    from .headless import follow_headless

    summary = read_summary(run_dir) or {}
    if summary.get("status") != "running" or live_status(summary) != "running":
        return print_summary(run_dir, summary, console)
    started = first_event(run_dir)
    task = getattr(started, "task", None) or summary.get("task")
    renderer = renderer_for(str(task))(console, error_console)
    error_console.print(f"Attached to run {run_dir.name}; Ctrl-C detaches (the run goes on).", style="dim")
    return follow_headless(run_dir, renderer, foreground=False)


def renderer_for(task: str):
    from .commands import load_commands
    from .headless import HeadlessRenderer

    for module in load_commands():
        if module.NAME == task and hasattr(module, "Renderer"):
            return module.Renderer
    return HeadlessRenderer


def print_summary(run_dir: Path, summary: dict[str, Any], console: Console) -> int:
    from rich.markdown import Markdown

    from fmnist_tui.engine.liveness import live_status

    status = live_status(summary) or summary.get("status", "unknown")
    try:
        text = (run_dir / "summary.md").read_text(encoding="utf-8")
    except OSError:
        text = ""
    if text:
        console.print(Markdown(text))
    console.print(f"Run {run_dir.name}: {status}.")
    if status == "interrupted" and summary.get("task") == "train":
        console.print(f"Resume it with: fmnist-tui run train --resume {run_dir.name}")
    return EXIT_OK


def cancel_command(run_dir: Path, console: Console) -> int:
    from fmnist_tui.engine.launcher import request_cancel, wait_for_ending
    from fmnist_tui.engine.liveness import live_status

    if not request_cancel(run_dir):
        summary = wait_for_ending(run_dir, timeout=0) or {}
        status = live_status(summary) or summary.get("status", "unknown")
        console.print(f"Run {run_dir.name} is not running ({status}); nothing to cancel.")
        return EXIT_OK
    console.print(f"Cancelling run {run_dir.name}…")
    summary = wait_for_ending(run_dir) or {}
    status = live_status(summary) or summary.get("status", "unknown")
    if status == "running":
        console.print(f"Run {run_dir.name} has not stopped yet; its worker was asked to.")
        return EXIT_FAILED
    console.print(f"Run {run_dir.name}: {status}. Summary: {run_dir / 'summary.md'}")
    return EXIT_OK


# ---- starting in the background ---------------------------------------------------------


def start_detached(task: Any, runs_dir: Path) -> int:
    from fmnist_tui.engine.launcher import launch

    launched = launch(task.name, task.options(), runs_dir)
    console, _ = _consoles()
    console.print(f"Started run {launched.run_id} in the background (worker pid {launched.pid}).")
    console.print(f"Directory: {launched.run_dir}")
    console.print(f"Follow it: fmnist-tui attach {launched.run_id}    Stop it: fmnist-tui cancel {launched.run_id}")
    return EXIT_OK


def resume_training(args: argparse.Namespace, runs_dir: Path) -> int:
    """`run train --resume RUN_ID`: continue a training in its own directory from its last epoch."""
    from fmnist_tui.engine.launcher import launch, resume_options

    from .headless import follow_headless

    console, errors = _consoles()
    try:
        run_dir = find_run(runs_dir, args.resume)
        options = resume_options(run_dir)
        launched = launch("train", options, runs_dir, resume_dir=run_dir)
    except FmnistError as exc:
        errors.print(f"fmnist-tui run train: error: --resume: {exc}", markup=False)
        return EXIT_USAGE if isinstance(exc, (ConfigError, RunNotFound)) else EXIT_FAILED
    console.print(f"Resuming run {launched.run_id} (worker pid {launched.pid}).")
    if getattr(args, "detach", False):
        console.print(f"Follow it: fmnist-tui attach {launched.run_id}")
        return EXIT_OK
    return follow_headless(launched.run_dir, renderer_for("train")(console, errors), foreground=True)
