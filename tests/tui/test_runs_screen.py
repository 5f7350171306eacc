"""The Runs screen driven with the pilot over hand-made run directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, MarkdownViewer

from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.screens.confirm import ConfirmModal
from fmnist_tui.tui.screens.home import HomeScreen
from fmnist_tui.tui.screens.run_compare import RunCompareScreen
from fmnist_tui.tui.screens.runs import RunsScreen, RunSummaryScreen
from fmnist_tui.tui.widgets.curves import TrainingCurves
from pilot_helpers import SIZE, toasts

def write_run(runs_dir: Path, run_id: str, markdown: str | None = None, **fields) -> None:
    task = run_id.split("-")[2]
    summary = {
        "task": task, "run_id": run_id, "status": "completed",
        "started_at": f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T{run_id[9:11]}:{run_id[11:13]}:00+00:00",
        "finished_at": "2026-11-01T00:00:00+00:00", "seconds_total": 30.0, "config": {}, "environment": {},
    }
    summary.update(fields)
    path = runs_dir / run_id
    path.mkdir(parents=True)
    (path / "summary.json").write_text(json.dumps(summary))
    (path / "summary.md").write_text(markdown or f"# Run {run_id}\n\nNothing to see.\n")


def models(acc: float, epochs: int = 2) -> dict:
    return {"keras": {
        "status": "completed", "test_accuracy": acc, "best_test_accuracy": acc, "best_epoch": epochs,
        "epochs": [{"epoch": e, "loss": 1 / e, "accuracy": acc, "test_loss": 1 / e, "test_accuracy": acc, "seconds": 1.0}
                   for e in range(1, epochs + 1)],
    }}


@pytest.fixture
def runs_dir(tmp_path) -> Path:
    runs = tmp_path / "runs"
    write_run(runs, "20261101-090000-train", models=models(0.81), config={"epochs": 2, "batch_size": 64},
              markdown="# Classifier run one\n\nThe **first** training run.\n")
    write_run(runs, "20261102-090000-devices", rows=[{"device": "CPU:0", "gflops": 42.0, "rejected": False}])
    write_run(runs, "20261103-090000-jacobian", match=True)
    write_run(runs, "20261104-090000-train", models=models(0.86, 3), config={"epochs": 3, "batch_size": 64})
    damaged = runs / "20261105-090000-eigen"
    damaged.mkdir()
    (damaged / "summary.json").write_text('{"task": "eig')
    return runs


@pytest.fixture
def app(runs_dir):
    return make_app(runs_dir=runs_dir, describe_environment=False)


async def open_runs(pilot) -> RunsScreen:
    await pilot.press("5")
    await pilot.pause()
    assert isinstance(pilot.app.screen, RunsScreen)
    return pilot.app.screen


def row_ids(screen: RunsScreen) -> list[str]:
    table = screen.query_one("#runs-table", DataTable)
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


def cell(screen: RunsScreen, run_id: str, column: str) -> str:
    return str(screen.query_one("#runs-table", DataTable).get_cell(run_id, column))


async def select(pilot, screen: RunsScreen, run_id: str) -> None:
    table = screen.query_one("#runs-table", DataTable)
    table.move_cursor(row=table.get_row_index(run_id))
    await pilot.pause()


async def test_key_5_lists_runs_newest_first_with_damaged_ones(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert row_ids(screen) == ["20261105-090000-eigen", "20261104-090000-train", "20261103-090000-jacobian",
                                   "20261102-090000-devices", "20261101-090000-train"]
        assert cell(screen, "20261105-090000-eigen", "headline").startswith("damaged: half-written")
        assert cell(screen, "20261104-090000-train", "headline") == "keras 0.8600"
        assert cell(screen, "20261102-090000-devices", "headline") == "CPU:0 42.0 GFLOP/s"
        assert cell(screen, "20261103-090000-jacobian", "headline") == "✓ match"
        assert cell(screen, "20261104-090000-train", "status") == "completed"
        assert cell(screen, "20261104-090000-train", "seconds_total") == "30.0 s"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_filter_and_sort_keys(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("f")  # all → train
        assert row_ids(screen) == ["20261104-090000-train", "20261101-090000-train"]
        await pilot.press("f")  # → devices
        assert row_ids(screen) == ["20261102-090000-devices"]
        await pilot.press("f", "f", "f", "f")  # → jacobian → eigen → report → all
        assert len(row_ids(screen)) == 5
        await pilot.press("o")  # date → task, A to Z
        assert [cell(screen, r, "task") for r in row_ids(screen)] == ["devices", "eigen", "jacobian", "train", "train"]
        await pilot.press("O")  # reversed
        assert [cell(screen, r, "task") for r in row_ids(screen)][:2] == ["train", "train"]



async def test_clicking_a_header_sorts_by_it_and_again_reverses(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert (screen.sort_key, screen.sort_reverse) == ("started_at", True)
        await pilot.click("#runs-table", offset=(4, 0))  # the "task" header
        await pilot.pause()
        assert (screen.sort_key, screen.sort_reverse) == ("task", False)
        assert cell(screen, row_ids(screen)[0], "task") == "devices"
        await pilot.click("#runs-table", offset=(4, 0))
        await pilot.pause()
        assert (screen.sort_key, screen.sort_reverse) == ("task", True)
        assert cell(screen, row_ids(screen)[0], "task") == "train"


async def test_enter_opens_the_summary_and_escape_closes_it(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await select(pilot, screen, "20261101-090000-train")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunSummaryScreen)
        viewer = app.screen.query_one(MarkdownViewer)
        assert "The **first** training run." in viewer.document.source
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_a_damaged_run_opens_with_its_reason(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await select(pilot, screen, "20261105-090000-eigen")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunSummaryScreen)
        source = app.screen.query_one(MarkdownViewer).document.source
        assert "**Damaged:** half-written or corrupt summary.json" in source
        assert "`summary.json`" in source  # the files that are there
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_mark_two_training_runs_and_compare(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert screen.check_action("compare", ()) is None  # nothing marked yet
        await select(pilot, screen, "20261103-090000-jacobian")
        await pilot.press("m")  # not a training run: refused
        assert screen.marked == []
        await select(pilot, screen, "20261104-090000-train")
        await pilot.press("m")
        await select(pilot, screen, "20261101-090000-train")
        await pilot.press("m")
        assert screen.marked == ["20261104-090000-train", "20261101-090000-train"]
        assert cell(screen, "20261104-090000-train", "mark") == "A"
        assert cell(screen, "20261101-090000-train", "mark") == "B"
        await pilot.press("x")
        await pilot.pause()
        compare = app.screen
        assert isinstance(compare, RunCompareScreen)
        config = compare.query_one("#compare-config", DataTable)
        assert [str(c) for c in config.get_row("epochs")] == ["epochs", "3", "2", "≠"]
        assert [str(c) for c in config.get_row("batch_size")] == ["batch_size", "64", "64", ""]
        table = compare.query_one("#compare-table", DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["metric", "A keras", "B keras"]
        assert [str(c) for c in table.get_row_at(0)] == ["Test accuracy", "0.8600", "0.8100"]
        curves = compare.query_one(TrainingCurves)
        assert {k: len(v) for k, v in curves.history.items()} == {"A keras": 3, "B keras": 2}
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_delete_asks_first(app, runs_dir):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await select(pilot, screen, "20261102-090000-devices")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen
        assert (runs_dir / "20261102-090000-devices").exists()
        assert "20261102-090000-devices" in row_ids(screen)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not (runs_dir / "20261102-090000-devices").exists()
        assert "20261102-090000-devices" not in row_ids(screen)
        assert len(row_ids(screen)) == 4
        # the damaged one can be deleted too
        await select(pilot, screen, "20261105-090000-eigen")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert row_ids(screen)[0] == "20261104-090000-train"


async def test_refresh_picks_up_new_runs_and_an_empty_dir_is_fine(tmp_path):
    runs = tmp_path / "runs"
    app = make_app(runs_dir=runs, describe_environment=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert row_ids(screen) == []
        assert "No runs in" in str(screen.query_one("#runs-detail").content)
        for action in ("open", "delete", "mark", "compare"):
            assert screen.check_action(action, ()) is None
        await pilot.press("enter", "d", "m", "x")
        await pilot.pause()
        assert app.screen is screen
        write_run(runs, "20261106-090000-train", models=models(0.9))
        await pilot.press("r")
        await pilot.pause()
        assert row_ids(screen) == ["20261106-090000-train"]


async def test_a_report_is_assembled_from_selected_runs(app, runs_dir):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one(DataTable)
        # newest first: the damaged eigen run, then the second training run, then jacobian…
        ids = [screen.shown[i].run_id for i in range(len(screen.shown))]
        table.move_cursor(row=ids.index("20261104-090000-train"))
        await pilot.press("space")
        table.move_cursor(row=ids.index("20261103-090000-jacobian"))
        await pilot.press("space")
        table.move_cursor(row=ids.index("20261105-090000-eigen"))
        await pilot.press("space")  # damaged: refused
        await pilot.pause()
        assert screen.for_report == ["20261104-090000-train", "20261103-090000-jacobian"]
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, RunSummaryScreen)
        [report_dir] = [p for p in runs_dir.iterdir() if p.name.endswith("-report")]
        text = (report_dir / "report.md").read_text()
        assert "## 1. Classifier" in text and "## 3. Jacobian" in text and "## 2." not in text
        await pilot.press("escape")
        await pilot.pause()
        assert any(r.task == "report" for r in app.screen.records)


def damage(runs_dir: Path, run_id: str, change) -> None:
    """Rewrite a run's summary.json as `change` leaves it (as a hand edit or a foreign tool would)."""
    path = runs_dir / run_id / "summary.json"
    summary = json.loads(path.read_text())
    change(summary)
    path.write_text(json.dumps(summary))


def lose_seconds(summary: dict) -> None:
    del summary["models"]["keras"]["epochs"][0]["seconds"]


async def test_R_leaves_a_damaged_run_out_of_the_report(app, runs_dir):
    write_run(runs_dir, "20261106-090000-train", models=models(0.9))
    damage(runs_dir, "20261106-090000-train", lose_seconds)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_runs(pilot)
        assert cell(screen, "20261106-090000-train", "headline").startswith("damaged: models.keras.epochs[0]")
        await pilot.press("R")  # nothing selected: the newest usable completed run of each task
        await pilot.pause()
        assert isinstance(app.screen, RunSummaryScreen)
        [report_dir] = [p for p in runs_dir.iterdir() if p.name.endswith("-report")]
        text = (report_dir / "report.md").read_text()
        assert "20261104-090000-train" in text and "20261106-090000-train" not in text


async def test_R_on_runs_damaged_since_they_were_selected_says_so_and_writes_nothing(app, runs_dir):
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_runs(pilot)
        await select(pilot, screen, "20261104-090000-train")
        await pilot.press("space")
        damage(runs_dir, "20261104-090000-train", lambda s: s.update(models="keras"))
        await pilot.press("r", "R")
        await pilot.pause()
        assert app.screen is screen
        assert any("No report written: 20261104-090000-train is damaged (models is a string, not an object)." in t
                   for t in toasts(app))
        assert not [p for p in runs_dir.iterdir() if p.name.endswith("-report")]


async def test_x_on_a_run_damaged_since_it_was_marked_says_so(app, runs_dir):
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_runs(pilot)
        for run_id in ("20261104-090000-train", "20261101-090000-train"):
            await select(pilot, screen, run_id)
            await pilot.press("m")
        damage(runs_dir, "20261101-090000-train", lambda s: s["models"]["keras"].update(seconds_per_sample="fast"))
        await pilot.press("r", "x")
        await pilot.pause()
        assert app.screen is screen
        assert any("Run B (20261101-090000-train) cannot be compared: it is damaged "
                   "(models.keras.seconds_per_sample is a string, not a number)." in t for t in toasts(app))


async def test_m_refuses_a_damaged_training_run_whatever_its_text(app, runs_dir):
    write_run(runs_dir, "20261106-090000-train", models={"[/b]": models(0.9)["keras"]})
    damage(runs_dir, "20261106-090000-train", lambda s: s["models"]["[/b]"].update(epochs=[{"epoch": 1}]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_runs(pilot)
        await select(pilot, screen, "20261106-090000-train")
        await pilot.press("m")
        await pilot.pause()
        assert screen.marked == []
        assert any("it is damaged (models.[/b].epochs[0] lacks loss, accuracy, test_loss, test_accuracy, seconds)" in t
                   for t in toasts(app))


async def test_a_run_of_the_wrong_shape_opens_with_its_reason_then_its_markdown(app, runs_dir):
    write_run(runs_dir, "20261106-090000-train", models=models(0.9), markdown="# Classifier run six\n")
    damage(runs_dir, "20261106-090000-train", lose_seconds)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_runs(pilot)
        await select(pilot, screen, "20261106-090000-train")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunSummaryScreen)
        source = app.screen.query_one(MarkdownViewer).document.source
        assert "**Damaged:** models.keras.epochs[0] lacks seconds" in source
        assert "# Classifier run six" in source


async def test_x_refuses_figures_no_trainer_writes_instead_of_failing_to_draw_them(app, runs_dir):
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_runs(pilot)
        for run_id in ("20261104-090000-train", "20261101-090000-train"):
            await select(pilot, screen, run_id)
            await pilot.press("m")
        damage(runs_dir, "20261101-090000-train", lambda s: s["models"]["keras"]["epochs"][0].update(loss=1e308))
        await pilot.press("r", "x")
        await pilot.pause()
        assert app.screen is screen
        assert any("it is damaged (models.keras.epochs[0].loss is 1e+308, beyond float32's range)" in t
                   for t in toasts(app))
