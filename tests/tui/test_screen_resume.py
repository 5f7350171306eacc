"""Switching back to a screen repaints it without restyling, unless the app's look changed."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from fmnist_tui.tui.screens.base import WorkbenchScreen


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
