"""A training run's per-epoch figures as one table, in CSV or JSON, for plotting elsewhere.

One row per epoch of every model (in the run's model order), with the columns of
`EPOCH_COLUMNS`; `steps_per_execution` only when some epoch recorded it. A figure the
summary has as null (a NaN loss, say) is an empty CSV cell and a JSON null. Pure: the
caller reads the summary and writes the text (`fmnist-tui runs export`).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Mapping

from .errors import ConfigError
from .summary_check import summary_problem

FORMATS = ("csv", "json")
EPOCH_COLUMNS = ("model", "epoch", "loss", "accuracy", "test_loss", "test_accuracy", "seconds", "seconds_per_sample")
OPTIONAL_COLUMNS = ("steps_per_execution",)  # the Keras trainer's, in runs made since it records them


def epoch_table(summary: Mapping[str, Any], run_id: str) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of every model's epochs; a ConfigError naming `run_id` when the run is
    not a training, its summary is damaged, or it has no completed epoch yet."""
    if summary.get("task") != "train":
        task = summary.get("task")
        what = f"a {task} run, not a training" if isinstance(task, str) and task else "not a training"
        raise ConfigError("run_id", f"Run {run_id} is {what}: only trainings have epochs to export.",
                          "See `fmnist-tui runs` for the training runs.")
    problem = summary_problem(summary)
    if problem is not None:
        raise ConfigError("run_id", f"Run {run_id} cannot be exported: its summary is damaged ({problem}).")
    models = summary.get("models") or {}
    epochs = [(name, row) for name, record in models.items() for row in record.get("epochs") or ()]
    if not epochs:
        raise ConfigError("run_id", f"Run {run_id} has no completed epoch yet.",
                          f"Export it once an epoch has ended (follow it with: fmnist-tui attach {run_id}).")
    columns = list(EPOCH_COLUMNS) + [c for c in OPTIONAL_COLUMNS if any(c in row for _, row in epochs)]
    rows = [[name] + [row.get(column) for column in columns[1:]] for name, row in epochs]
    return columns, rows


def to_csv(columns: list[str], rows: list[list[Any]]) -> str:
    """A header line, then a line per row; None is an empty cell. Floats keep every digit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return out.getvalue()


def to_json(columns: list[str], rows: list[list[Any]]) -> str:
    """A JSON array with an object per row (as pandas.read_json and jq take it)."""
    return json.dumps([dict(zip(columns, row)) for row in rows], indent=2, ensure_ascii=False) + "\n"


def format_table(columns: list[str], rows: list[list[Any]], fmt: str) -> str:
    """The table as text in `fmt` ("csv" or "json")."""
    if fmt not in FORMATS:
        raise ConfigError("format", f"There is no export format {fmt!r}.", f"Choose one of {', '.join(FORMATS)}.")
    return to_csv(columns, rows) if fmt == "csv" else to_json(columns, rows)
