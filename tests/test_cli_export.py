"""`fmnist-tui runs export RUN_ID --format csv|json [--output FILE]`: a training's per-epoch table
for plotting elsewhere, and the one-line errors for a run that has none."""

from __future__ import annotations

import csv
import io
import json

import pytest

from fmnist_tui.engine.summary_check import summary_problem
from fmnist_tui.tui.cli import main

RUN_ID = "20261130-101500-train"


def epoch(n: int, accuracy: float, steps: int | None = None) -> dict:
    row = {"epoch": n, "loss": 0.5 / n, "accuracy": accuracy, "test_loss": 0.6 / n, "test_accuracy": accuracy - 0.01,
           "seconds": 2.25, "seconds_per_sample": 2.25 / 60000}
    if steps is not None:
        row.update(steps_per_execution=steps, steps_per_execution_auto=True)
    return row


def train_summary(models: dict, task: str = "train") -> dict:
    summary = {"task": task, "run_id": RUN_ID, "status": "completed", "started_at": "2026-11-30T10:15:00+00:00",
               "finished_at": "2026-11-30T10:20:00+00:00", "seconds_total": 300.0, "config": {"epochs": 2},
               "environment": {}, "models": models}
    assert summary_problem(summary) is None  # a summary as a run writes it
    return summary


def write_run(runs_dir, summary: dict, run_id: str = RUN_ID):
    run_dir = runs_dir / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return run_dir


TWO_MODELS = {
    "keras": {"status": "completed", "epochs": [epoch(1, 0.81, steps=37), epoch(2, 0.85, steps=37)]},
    "lowlevel": {"status": "completed", "epochs": [epoch(1, 0.82), epoch(2, 0.86)]},
}


@pytest.fixture
def runs_dir(tmp_path):
    return tmp_path / "runs"


def export(capsys, runs_dir, *args: str) -> tuple[int, str, str]:
    code = main(["runs", "export", *args, "--out", str(runs_dir)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_csv_has_a_header_and_a_row_per_epoch_of_every_model(capsys, runs_dir):
    write_run(runs_dir, train_summary(TWO_MODELS))
    code, out, err = export(capsys, runs_dir, RUN_ID, "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["model", "epoch", "loss", "accuracy", "test_loss", "test_accuracy", "seconds",
                             "seconds_per_sample", "steps_per_execution"]
    assert [(r["model"], r["epoch"]) for r in rows] == [("keras", "1"), ("keras", "2"), ("lowlevel", "1"),
                                                        ("lowlevel", "2")]
    assert float(rows[1]["test_accuracy"]) == pytest.approx(0.84)
    assert float(rows[3]["seconds_per_sample"]) == pytest.approx(2.25 / 60000)  # every digit kept
    assert (rows[0]["steps_per_execution"], rows[2]["steps_per_execution"]) == ("37", "")  # the low-level has none


def test_json_round_trips_to_the_summary_s_figures_and_a_null_stays_null(capsys, runs_dir):
    models = {"keras": {"status": "failed", "epochs": [epoch(1, 0.8), {**epoch(2, 0.5), "loss": None}]}}
    write_run(runs_dir, train_summary(models))
    code, out, _ = export(capsys, runs_dir, RUN_ID, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows == [{"model": "keras", **row} for row in models["keras"]["epochs"]]
    assert rows[1]["loss"] is None and "steps_per_execution" not in rows[0]


def test_output_writes_the_file_and_says_so(capsys, runs_dir, tmp_path):
    write_run(runs_dir, train_summary(TWO_MODELS))
    target = tmp_path / "plots" / "epochs.csv"
    target.parent.mkdir()
    target.write_text("an older export\n")
    code, out, _ = export(capsys, runs_dir, RUN_ID, "--output", str(target))
    assert code == 0 and f"Wrote 4 epoch row(s) of run {RUN_ID} to {target} (csv)." in out
    assert len(list(csv.DictReader(target.open()))) == 4
    assert sorted(p.name for p in target.parent.iterdir()) == ["epochs.csv"]  # no temporary file left


@pytest.mark.parametrize(
    "setup, run_id, message",
    [
        (None, "20261130-000000-train", "There is no run 20261130-000000-train in "),
        ("devices", RUN_ID, f"Run {RUN_ID} is a devices run, not a training: only trainings have epochs to export. "
                            "See `fmnist-tui runs` for the training runs."),
        ("no-epochs", RUN_ID, f"Run {RUN_ID} has no completed epoch yet. Export it once an epoch has ended "
                              f"(follow it with: fmnist-tui attach {RUN_ID})."),
        ("damaged", RUN_ID, f"Run {RUN_ID} cannot be exported: its summary is damaged ("),
    ],
)
def test_a_run_with_nothing_to_export_is_one_line_with_a_hint_and_status_2(capsys, runs_dir, setup, run_id, message):
    runs_dir.mkdir()
    if setup == "devices":
        summary = train_summary({}, task="devices")
        summary.pop("models")
        write_run(runs_dir, summary)
    elif setup == "no-epochs":
        write_run(runs_dir, train_summary({"keras": {"status": "running", "epochs": []}}))
    elif setup == "damaged":
        write_run(runs_dir, {**train_summary(TWO_MODELS), "models": {"keras": {"epochs": [{"epoch": "one"}]}}})
    code, out, err = export(capsys, runs_dir, run_id)
    assert code == 2 and out == ""
    assert err.startswith(f"fmnist-tui runs export: error: {message}") and err.count("\n") == 1


def test_an_output_in_a_missing_directory_is_refused_before_anything_is_written(capsys, runs_dir, tmp_path):
    write_run(runs_dir, train_summary(TWO_MODELS))
    code, out, err = export(capsys, runs_dir, RUN_ID, "--output", str(tmp_path / "nowhere" / "e.csv"))
    assert code == 2 and out == ""
    assert err == (f"fmnist-tui runs export: error: --output {tmp_path / 'nowhere' / 'e.csv'}: the directory "
                   f"{tmp_path / 'nowhere'} does not exist. Create it first, or choose another file.\n")


def test_an_unknown_format_is_refused_by_the_parser(capsys, runs_dir):
    with pytest.raises(SystemExit) as info:
        main(["runs", "export", RUN_ID, "--format", "xml", "--out", str(runs_dir)])
    assert info.value.code == 2 and "invalid choice: 'xml'" in capsys.readouterr().err


def test_help_names_the_columns_and_the_formats(capsys):
    with pytest.raises(SystemExit):
        main(["runs", "export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--format {csv,json}" in text and "--output FILE" in text
    assert "model, epoch, loss, accuracy, test_loss, test_accuracy, seconds" in text
    assert "steps_per_execution" in text
