"""The training comparison reads the same in summary.md, the headless output and the screen.

One run's epochs, as a worker journals them, drive all three: the Classifier screen
attached to the run, `render_train_markdown` over the summary the worker writes, and the
rich table `run train` prints. Every metric row must show the same cells in each.
"""

from __future__ import annotations

import io

from rich.console import Console

from fmnist_tui.engine.events import EpochEnded, EpochStarted, ModelFinished, RunFinished, RunStarted
from fmnist_tui.engine.journal import JournalWriter, journal_path
from fmnist_tui.engine.training.reporting import model_totals
from fmnist_tui.engine.training.summary import COMPARISON_ROWS, render_train_markdown
from fmnist_tui.tui.commands.train import comparison_table
from fmnist_tui.tui.screens.classifier import ClassifierScreen
from pilot_helpers import open_screen, wait_until

SAMPLES = 60000
ROWS = {
    "keras": [
        {"epoch": 1, "loss": 0.51234, "accuracy": 0.81257, "test_loss": 0.43219, "test_accuracy": 0.84419,
         "seconds": 4.8512, "seconds_per_sample": 4.8512 / SAMPLES, "steps_per_execution": 12,
         "steps_per_execution_auto": True},
        {"epoch": 2, "loss": 0.38765, "accuracy": 0.85981, "test_loss": 0.40137, "test_accuracy": 0.85566,
         "seconds": 4.7021, "seconds_per_sample": 4.7021 / SAMPLES, "steps_per_execution": 12,
         "steps_per_execution_auto": True},
    ],
    "lowlevel": [
        {"epoch": 1, "loss": 0.50011, "accuracy": 0.82006, "test_loss": 0.44444, "test_accuracy": 0.84005,
         "seconds": 3.0139, "seconds_per_sample": 3.0139 / SAMPLES, "steps_per_execution": 29,
         "steps_per_execution_auto": True},
        {"epoch": 2, "loss": 0.37002, "accuracy": 0.86543, "test_loss": 0.39876, "test_accuracy": 0.85912,
         "seconds": 2.9987, "seconds_per_sample": 2.9987 / SAMPLES, "steps_per_execution": 32,
         "steps_per_execution_auto": False},
    ],
}
MODELS = {name: {"status": "completed", "epochs": rows, **model_totals(rows, SAMPLES)} for name, rows in ROWS.items()}


def record_run(runs):
    run_id = "20261129-130000-train"
    run_dir = runs / run_id
    run_dir.mkdir(parents=True)
    journal = JournalWriter(journal_path(run_dir))
    journal.write(RunStarted(task="train", run_id=run_id, run_dir=run_dir, config={"epochs": 2, "models": list(ROWS)}))
    for model, rows in ROWS.items():
        for row in rows:
            journal.write(EpochStarted(model=model, epoch=row["epoch"], epochs=2, steps=938, samples=SAMPLES))
            journal.write(EpochEnded(model=model, epoch=row["epoch"], epochs=2, logs=dict(row)))
        journal.write(ModelFinished(model=model, result=MODELS[model]))
    journal.write(RunFinished(summary={"status": "completed", "models": MODELS}, summary_path=None))
    journal.close()
    return run_dir


def markdown_rows() -> dict[str, list[str]]:
    summary = {"task": "train", "run_id": "x", "status": "completed", "config": {"epochs": 2}, "models": MODELS}
    lines = render_train_markdown(summary).split("## Comparison", 1)[1].splitlines()
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines if line.startswith("|")]
    return {row[0]: row[1:] for row in cells}


def headless_rows() -> dict[str, list[str]]:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(comparison_table(MODELS))
    rows = {}
    for line in out.getvalue().splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 3:
            rows[cells[0]] = cells[1:]
    return rows


async def test_the_comparison_reads_the_same_in_summary_md_headless_and_on_the_screen(app, tmp_path):
    run_dir = record_run(tmp_path / "runs")
    markdown, headless = markdown_rows(), headless_rows()
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_screen(pilot, "1", ClassifierScreen)
        screen.attach(run_dir)
        assert await wait_until(pilot, lambda: not screen.running, 20)
        await pilot.pause()
        table = screen.comparison_table
        on_screen = {str(table.get_cell(key, "metric")): [str(table.get_cell(key, m)) for m in ROWS]
                     for _, key, _ in COMPARISON_ROWS}
    labels = [label for label, _, _ in COMPARISON_ROWS]
    assert list(on_screen) == labels
    for label in labels:
        assert markdown[label] == headless[label] == on_screen[label], label
    # the figures themselves, as the user reads them
    assert on_screen["Test accuracy"] == ["0.8557", "0.8591"]
    assert on_screen["Time per epoch (s)"] == ["4.78", "3.01"]
    assert on_screen["Best epoch"] == ["2", "2"]
    assert on_screen["Steps per execution"] == ["12 (auto)", "32"]
