"""Switching back to a screen repaints it once and without restyling, unless the app's look changed."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from fmnist_tui.tui.app import make_app
from fmnist_tui.tui.screens.base import WorkbenchScreen
from fmnist_tui.tui.screens.classifier import ClassifierScreen

from pilot_helpers import SIZE, open_screen


class Probe(WorkbenchScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("probe", id="probe")


class Other(WorkbenchScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("other")


class TwoModes(App[None]):
    CSS = "#probe { width: 10; } App.-wide #probe { width: 20; }"
    MODES = {"probe": Probe, "other": Other}
    DEFAULT_MODE = "probe"


def count_restyles(screen: WorkbenchScreen, calls: list[int]) -> None:
    original = screen.update_node_styles

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    screen.update_node_styles = counted


async def test_switching_back_unchanged_skips_the_restyle():
    app = TwoModes()
    async with app.run_test() as pilot:
        probe = app.screen
        calls: list[int] = []
        count_restyles(probe, calls)
        for _ in range(3):
            app.switch_mode("other")
            await pilot.pause()
            app.switch_mode("probe")
            await pilot.pause()
        assert calls == []
        assert app.screen.query_one("#probe").styles.width.value == 10


async def test_an_app_class_changed_while_away_restyles_on_return():
    app = TwoModes()
    async with app.run_test() as pilot:
        app.switch_mode("other")
        await pilot.pause()
        app.add_class("-wide")  # what a resize does (screens/too_small.py)
        await pilot.pause()
        app.switch_mode("probe")
        await pilot.pause()
        assert app.screen.query_one("#probe").styles.width.value == 20


def count_passes(screen: WorkbenchScreen) -> list[str]:
    """What the screen does from now on: layouts, full paints and partial paints."""
    passes: list[str] = []
    compositor = screen._compositor
    for owner, name, label in ((screen, "_refresh_layout", "layout"),
                               (compositor, "render_full_update", "full paint"),
                               (compositor, "render_partial_update", "partial paint")):
        original = getattr(owner, name)

        def counted(*args, _original=original, _label=label, **kwargs):
            passes.append(_label)
            return _original(*args, **kwargs)

        setattr(owner, name, counted)
    return passes


async def test_a_screen_changed_while_away_is_laid_out_and_painted_once_on_return(tmp_path):
    # Textual lays a returning screen out and paints what moved, then lays it out and paints
    # it all again: twice the CPU and twice the terminal output for one key.
    app = make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", describe_environment=False)
    async with app.run_test(size=SIZE) as pilot:
        classifier = await open_screen(pilot, "1", ClassifierScreen)
        await pilot.press("escape")
        await pilot.pause()
        table = classifier.query_one("#comparison-table", DataTable)
        first_row = table.coordinate_to_cell_key((0, 0)).row_key
        table.update_cell(first_row, "keras", "0.4747")  # as a training's epochs do, unseen
        await pilot.pause()
        passes = count_passes(classifier)
        await pilot.press("1")
        await pilot.pause(0.2)
        assert app.screen is classifier
        # (what follows, if anything, is the screen's own live updates: the system panel)
        assert passes[:2] == ["layout", "full paint"] and "full paint" not in passes[2:]
        painted = "\n".join(strip.text for strip in classifier._compositor.render_strips())
        assert "Batch size" in painted and "0.4747" in painted
