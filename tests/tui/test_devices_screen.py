"""The Devices screen driven as a user would: the form, a real tiny timing run, cancelling."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from textual.widgets import DataTable, Input, Static

from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.screens.devices import DevicesScreen
from fmnist_tui.tui.screens.home import HomeScreen
from fmnist_tui.tui.widgets.bar_chart import GflopsChart, chart_series
from fmnist_tui.tui.widgets.form import FormField

SIZE = (100, 30)


@pytest.fixture
def app(tmp_path):
    return make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", describe_environment=False)


async def open_devices(pilot) -> DevicesScreen:
    await pilot.press("2")
    await pilot.pause()
    assert isinstance(pilot.app.screen, DevicesScreen)
    return pilot.app.screen


def set_field(screen: DevicesScreen, name: str, value: str) -> None:
    screen.query_one(f"#input-{name}", Input).value = value


def error_of(screen: DevicesScreen, name: str) -> str:
    return screen.query_one(f"#field-{name}", FormField).error


async def wait_for_run(pilot) -> None:
    for worker in [w for w in pilot.app.workers if w.group == "devices"]:
        await worker.wait()
    await pilot.pause()


def table_rows(screen: DevicesScreen) -> list[list[str]]:
    table = screen.query_one("#results-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_screen_module_does_not_import_tensorflow():
    code = "import fmnist_tui.tui.screens.devices, fmnist_tui.tui.commands.devices\nimport sys\nprint('\\n'.join(sys.modules))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert "fmnist_tui.tui.widgets.bar_chart" in loaded
    assert "tensorflow" not in loaded and "keras" not in loaded


def test_chart_series_skips_rejected_rows():
    rows = [
        {"size": 64, "device": "CPU:0", "gflops": 5.0, "rejected": False},
        {"size": 64, "device": "GPU:0", "gflops": None, "rejected": True},
        {"size": 128, "device": "CPU:0", "gflops": 7.5, "rejected": False},
    ]
    assert chart_series(rows) == (["64", "128"], ["CPU:0", "GPU:0"], [[5.0, 7.5], [0.0, 0.0]])


async def test_key_2_opens_the_devices_screen_and_escape_returns(app):
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one("#task-list").get_option("devices").disabled is False
        screen = await open_devices(pilot)
        assert screen.query_one("#input-sizes", Input).value == "500,1000,2000"
        assert screen.query_one("#input-rounds", Input).value == "5"
        assert "median" in str(screen.query_one("#method-note", Static).content)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_invalid_values_are_shown_next_to_their_fields_and_nothing_starts(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devices(pilot)
        set_field(screen, "sizes", "500,0")
        set_field(screen, "rounds", "0")
        set_field(screen, "dtype", "int7")
        set_field(screen, "devices", "cpu,tpu")
        set_field(screen, "tf32", "maybe")
        await pilot.press("s")
        await pilot.pause()
        assert not screen.running and screen.run_dir is None
        assert "Matrix size 0 is not positive" in error_of(screen, "sizes")
        assert "at least 1 and at most 1,000" in error_of(screen, "rounds")
        assert "Unknown dtype 'int7'" in error_of(screen, "dtype")
        assert "Unknown device 'tpu'" in error_of(screen, "devices")
        assert "TF32 must be on, off" in error_of(screen, "tf32")
        assert error_of(screen, "warmup") == ""
        set_field(screen, "sizes", "abc")
        set_field(screen, "rounds", "5")
        await pilot.press("s")
        await pilot.pause()
        assert "must be a whole number" in error_of(screen, "sizes")
        assert error_of(screen, "rounds") == ""
        assert not screen.running
        assert not app.settings.runs_dir.exists() or not any(app.settings.runs_dir.iterdir())


async def test_a_tiny_run_fills_the_table_and_says_no_gpu(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devices(pilot)
        set_field(screen, "sizes", "64,128")
        set_field(screen, "rounds", "2")
        await pilot.press("s")
        await pilot.pause()
        # (a run this small may already be over here; what it left behind is checked below)
        await wait_for_run(pilot)
        assert not screen.running
        summary = json.loads((screen.last_summary_path.parent / "summary.json").read_text())
        assert summary["task"] == "devices" and summary["status"] == "completed"
        timed = [r for r in summary["rows"] if not r["rejected"]]
        assert {(r["size"], r["device"]) for r in timed} >= {(64, "CPU:0"), (128, "CPU:0")}
        assert all(r["gflops"] > 0 for r in timed)
        rows = table_rows(screen)
        by_key = {(r[0], r[1]): r for r in rows}
        assert float(by_key[("64", "CPU:0")][7]) > 0 and by_key[("64", "CPU:0")][8] == "1.00×"
        assert "NumPy (CPU)" in {r[1] for r in rows}
        if summary["gpu_present"] is False:  # CI and this machine have no GPU
            assert "no GPU" in str(screen.query_one("#device-panel", Static).content)
            assert by_key[("128", "GPU")][3] == "no GPU"
        assert "CPU:0" in str(screen.query_one("#method-note", Static).content)
        assert len(screen.query_one("#gflops-chart", GflopsChart).rows) == len(summary["rows"])
        assert "completed" in str(screen.query_one("#devices-status", Static).content)


async def test_cancel_stops_the_run_and_keeps_the_finished_rows(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_devices(pilot)
        set_field(screen, "sizes", "32,1500")
        set_field(screen, "rounds", "500")
        await pilot.press("s")
        for _ in range(400):
            await pilot.pause(0.05)
            if screen.rows:
                break
        assert screen.running and screen.rows
        await pilot.press("c")
        await wait_for_run(pilot)
        assert not screen.running
        summary = json.loads((screen.last_summary_path.parent / "summary.json").read_text())
        assert summary["status"] == "cancelled"
        assert summary["rows"] and all(r["size"] == 32 for r in summary["rows"])
        assert "cancelled" in str(screen.query_one("#devices-status", Static).content)
