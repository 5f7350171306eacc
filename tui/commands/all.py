"""`fmnist-tui run all`: the whole exercise in order, then one report.md."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule

from ..headless import EXIT_FAILED, EXIT_OK, SIGNAL_EXIT, run_headless
from . import devices, eigen, jacobian, train

NAME = "all"
HELP = "run the classifier, devices, Jacobian and eigen tasks in order, then write one report.md"
EPILOG = """\
examples:
  fmnist-tui run all --epochs 1 --sizes 500,1000 --rounds 3
  fmnist-tui run all --epochs 70            # the original exercise in full (about 15 minutes on 2 cores)

Every option of the four tasks is accepted (see `fmnist-tui run TASK --help`); --tolerance
applies to both checks. All inputs are checked before anything runs. Each task writes its
own run as usual; the report goes to runs/<run-id>-report/report.md. Ctrl-C stops the
sequence and still writes a report of what completed.

exit status: 0 all completed (and both checks matched), 1 a task failed or a check did not
match, 2 bad input, 130 cancelled.
"""

STEPS = (train, devices, jacobian, eigen)  # the order of the original exercise
SETTING_SECTIONS = tuple(section for step in STEPS for section in step.SETTING_SECTIONS)


def add_arguments(parser: argparse.ArgumentParser, added: set[str] | None = None) -> None:
    added = set() if added is None else added  # --tolerance: the Jacobian's and the eigen check's
    for step in STEPS:
        step.add_arguments(parser.add_argument_group(f"{step.NAME} options"), added)


def build_task(args: argparse.Namespace) -> list[tuple[Any, Any]]:
    """Every task, validated before any of them runs."""
    return [(step, step.build_task(args)) for step in STEPS]


def run(steps: list[tuple[Any, Any]], runs_dir: Path, console: Console, error_console: Console) -> int:
    from fmnist_tui.engine.errors import FmnistError
    from fmnist_tui.engine.report import save_report_run

    cancelled = set(SIGNAL_EXIT.values())  # Ctrl-C, SIGTERM or SIGHUP: stop the sequence
    summaries, codes = [], []
    for step, task in steps:
        console.print(Rule(f"[b]{step.NAME}[/b]"))
        renderer = step.Renderer(console, error_console)
        codes.append(run_headless(task, runs_dir, renderer))
        if renderer.terminal is not None:
            summaries.append(dict(renderer.terminal.summary))
        if codes[-1] in cancelled:
            break
    stopped = codes[-1] if codes and codes[-1] in cancelled else None
    status = "cancelled" if stopped is not None else "completed"
    note = "" if len(codes) == len(steps) else "**Stopped early:** the sequence was cancelled."
    try:
        path = save_report_run(runs_dir, summaries, status=status, note=note)
    except FmnistError as exc:
        error_console.print(f"fmnist-tui run all: error: {exc}", markup=False)
        return EXIT_FAILED
    console.print(Rule())
    console.print(f"Report of {len(summaries)} run(s): {path}")
    if stopped is not None:
        return stopped
    return EXIT_OK if all(code == EXIT_OK for code in codes) else EXIT_FAILED
