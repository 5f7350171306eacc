"""The Textual application: modes per task, a background TensorFlow load, and quitting safely.

Start-up imports no TensorFlow: the first frame is drawn, then a thread worker loads
TensorFlow and describes the machine for the header. Task screens are imported only when
the user first opens them.
"""

from __future__ import annotations

import time
from importlib import import_module
from importlib.util import find_spec
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState, get_current_worker

if TYPE_CHECKING:
    from fmnist_tui.engine.data import Dataset

_START = time.perf_counter()


@dataclass
class AppSettings:
    """Where runs, logs and data live, and (in tests) injected data."""

    runs_dir: Path = Path("runs")
    logs_dir: Path = Path("logs")
    data_dir: str | None = None
    data_loader: Callable[[], "Dataset"] | None = None
    describe_environment: bool = True
    environment: dict[str, Any] = field(default_factory=dict)
    # "section.key" -> value from the environment and config file (see engine/settings.py)
    defaults: dict[str, Any] = field(default_factory=dict)

    def default(self, section: str, key: str, fallback: Any) -> Any:
        value = self.defaults.get(f"{section}.{key}")
        return fallback if value is None else value


# mode → "module:Class" under tui/screens. A task whose screen module is not there yet is
# shown on the home screen as not available; screens are imported when first opened.
TASK_SCREENS = {
    "home": "home:HomeScreen",
    "classifier": "classifier:ClassifierScreen",
    "devices": "devices:DevicesScreen",
    "jacobian": "jacobian:JacobianScreen",
    "eigen": "eigen:EigenScreen",
    "runs": "runs:RunsScreen",
}


def _screen_factory(target: str) -> Callable[[], Any]:
    module_name, class_name = target.split(":")

    def make() -> Any:
        module = import_module(f"{__package__}.screens.{module_name}")
        return getattr(module, class_name)()

    return make


def available_modes() -> dict[str, Callable[[], Any]]:
    return {
        mode: _screen_factory(target)
        for mode, target in TASK_SCREENS.items()
        if find_spec(f"{__package__}.screens.{target.split(':')[0]}") is not None
    }


class FmnistApp(App[None]):
    TITLE = "fmnist-tui"
    SUB_TITLE = "loading TensorFlow…"
    CSS_PATH = "app.tcss"
    MODES = available_modes()
    DEFAULT_MODE = "home"
    BINDINGS = [
        Binding("q", "request_quit", "Quit", id="quit"),
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True, id="quit-now"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("escape", "switch_mode('home')", "Home", id="home"),
    ]

    def __init__(self, settings: AppSettings) -> None:
        super().__init__()
        self.settings = settings
        self.startup_seconds: float | None = None

    def on_mount(self) -> None:
        if self.settings.describe_environment:
            self.load_tensorflow()

    def on_ready(self) -> None:
        self.startup_seconds = time.perf_counter() - _START
        self.log(f"first frame after {self.startup_seconds:.2f} s")

    @work(thread=True, exclusive=True, group="environment", exit_on_error=False)
    def load_tensorflow(self) -> None:
        from fmnist_tui.engine.environment import describe, device_label

        environment = describe()
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._environment_ready, environment, device_label(environment))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "environment" and event.state == WorkerState.ERROR:
            self.sub_title = "TensorFlow did not load"
            self.notify(
                f"{event.worker.error}\nRuns will fail until TensorFlow imports; see `python -c 'import tensorflow'`.",
                title="TensorFlow did not load", severity="error", timeout=20,
            )

    def _environment_ready(self, environment: dict[str, Any], label: str) -> None:
        self.settings.environment = environment
        self.sub_title = label

    def action_help(self) -> None:
        from .screens.help import HelpModal

        if not isinstance(self.screen, HelpModal):
            self.push_screen(HelpModal(getattr(self.screen, "HELP", "")))

    @property
    def active_screens(self) -> list[Any]:
        """Task screens with a run in progress."""
        screens = []
        for mode in self.MODES:
            try:
                screens.extend(self.get_screen_stack(mode))
            except KeyError:  # that mode was never opened
                continue
        return [s for s in screens if getattr(s, "running", False)]

    def action_request_quit(self) -> None:
        if not self.active_screens:
            self.exit()
            return
        from .screens.confirm import ConfirmModal

        def decided(quit_now: bool | None) -> None:
            if quit_now:
                self.cancel_runs_and_exit()

        self.push_screen(
            ConfirmModal("A run is in progress. Cancel it and quit?", "Cancel run and quit", "Keep running"),
            decided,
        )

    @work(exclusive=True, group="quit")
    async def cancel_runs_and_exit(self) -> None:
        """Cancel every run, wait (briefly) for its cancelled summary to be written, then exit."""
        import asyncio

        screens = self.active_screens
        for screen in screens:
            screen.cancel_run()
        deadline = time.monotonic() + 5.0
        while any(s.running for s in screens) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.exit()


def make_app(
    runs_dir: Path = Path("runs"),
    data_dir: str | None = None,
    logs_dir: Path = Path("logs"),
    data_loader: Callable[[], "Dataset"] | None = None,
    describe_environment: bool = True,
    defaults: dict[str, Any] | None = None,
) -> FmnistApp:
    """Build the app (used by the CLI and by tests, which inject small data)."""
    return FmnistApp(
        AppSettings(
            runs_dir=Path(runs_dir), logs_dir=Path(logs_dir), data_dir=data_dir,
            data_loader=data_loader, describe_environment=describe_environment,
            defaults=dict(defaults or {}),
        )
    )
