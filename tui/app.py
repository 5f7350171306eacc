"""The Textual application: modes per task, runs in worker processes, and quitting safely.

This process never imports TensorFlow: every run executes in a worker process of its own
(`engine/launcher.py`) and the screens follow its journal. A warm spare worker is started
once the first frame is drawn; it announces the machine for the header (cached for the next
start). Task screens are imported in a thread once the first frame is drawn, then mounted
unseen one by one, so that no key waits for a screen's first composition.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from importlib import import_module
from importlib.util import find_spec
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from textual import events, work
from textual.app import App
from textual.binding import Binding

from .screens.too_small import fit_to_terminal
from .start_up_collector import end_start_up_collector_pause

_START = time.perf_counter()
# What the calculus screens validate their forms with (SymPy, never TensorFlow).
FORM_CHECK_MODULES = ("fmnist_tui.engine.calculus.jacobian", "fmnist_tui.engine.calculus.eigen",
                      "fmnist_tui.engine.calculus.tasks")
PREMOUNT_PAUSE = 0.2  # seconds between premounting two screens: keys get in between
# A premount holds every key for its duration (0.1–0.8 s): only after this long without input,
# when the user is reading rather than typing.
PREMOUNT_AFTER_INPUT = 1.0
PREMOUNT_WAIT_SECONDS = 30.0  # SymPy's import waits no longer for the premounts than this


@dataclass
class AppSettings:
    """Where runs, logs and data live; `describe_environment` keeps a warm spare worker."""

    runs_dir: Path = Path("runs")
    logs_dir: Path = Path("logs")
    data_dir: str | None = None
    describe_environment: bool = True
    premount_screens: bool = False  # mount every task screen in the background after start
    environment: dict[str, Any] = field(default_factory=dict)
    # "section.key" -> value from the environment and config file (see engine/settings.py)
    defaults: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # about the settings (unknown FMNIST_… names)

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


def environment_cache_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fmnist-tui" / "environment.json"


def read_cached_environment() -> dict[str, Any] | None:
    try:
        data = json.loads(environment_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class FmnistApp(App[None]):
    TITLE = "fmnist-tui"
    SUB_TITLE = "starting a worker…"
    # All the CSS, loaded once: screens bring none of their own (see screens/base.py).
    CSS_PATH = ["app.tcss", "classifier.tcss", "devices.tcss", "calculus.tcss", "runs.tcss"]
    MODES = available_modes()
    DEFAULT_MODE = "home"
    BINDINGS = [
        Binding("q", "request_quit", "Quit", id="quit"),
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True, id="quit-now"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("escape", "switch_mode('home')", "Home", id="home"),
    ]

    def get_driver_class(self):
        driver_class = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if driver_class is LinuxDriver:  # not when TEXTUAL_DRIVER chose another, nor on Windows
            from .terminal_driver import PromptEscapeDriver

            return PromptEscapeDriver
        return driver_class

    def __init__(self, settings: AppSettings) -> None:
        super().__init__()
        self.settings = settings
        self.startup_seconds: float | None = None
        self.spare_pool: Any = None
        self._screen_ready = False  # the screen being switched to is built (see switch_mode)
        self._last_input = float("-inf")  # monotonic time of the last key or click
        self._premounts_over = threading.Event()  # set when every task screen is mounted

    def on_mount(self) -> None:
        from fmnist_tui.engine.launcher import reap_children

        self.set_interval(2.0, reap_children)  # finished workers leave no zombies behind
        for warning in self.settings.warnings:
            self.notify(warning, title="Unknown environment variable", severity="warning", timeout=15)
        cached = read_cached_environment()
        if cached is not None:
            self._environment_ready(cached)
        if self.settings.describe_environment:
            from fmnist_tui.engine.launcher import SparePool

            self.spare_pool = SparePool(
                on_environment=lambda env: self.call_from_thread(self._environment_announced, env),
                log_path=Path(self.settings.logs_dir) / "fmnist-tui.log",
            )
            self.spare_pool.start()

    def on_ready(self) -> None:
        self.startup_seconds = time.perf_counter() - _START
        self.log(f"first frame after {self.startup_seconds:.2f} s")
        self.preload_screens()

    @work(thread=True, exclusive=True, group="preload", exit_on_error=False)
    def preload_screens(self) -> None:
        """Import the task screens' modules (~0.2–1 s each) before they are first opened,
        then SymPy with the calculus parsers (~1 s), which check the Jacobian and Eigen forms.

        Premounting starts as soon as the first task screen (the Classifier) can be built;
        SymPy waits until it is over: sharing the GIL, each took twice as long, and so did
        every key pressed meanwhile. Start-up then ends here, whatever happened: the garbage
        collector that `fmnist-tui` paused comes back, without what start-up made
        (see start_up_collector.py).
        """
        premount = self.settings.premount_screens
        start_premount = premount
        try:
            for target in TASK_SCREENS.values():
                module_name = target.split(":")[0]
                if find_spec(f"{__package__}.screens.{module_name}") is not None:
                    import_module(f"{__package__}.screens.{module_name}")
                    if start_premount and module_name != "home":
                        start_premount = False
                        self.call_from_thread(self.run_worker, self._premount_screens, name="premount",
                                              group="premount", exit_on_error=False)
            if premount:
                self._premounts_over.wait(PREMOUNT_WAIT_SECONDS)
            for module_name in FORM_CHECK_MODULES:
                import_module(module_name)
        finally:
            end_start_up_collector_pause()

    def switch_mode(self, mode: str):
        # Textual holds back painting for 50 ms on every switch (delay_update) in case the new
        # screen is still being built or restyled; one built and styled before is ready at once.
        # It also paints such a screen whole at once, rather than in two passes (see
        # WorkbenchScreen.switched_to).
        stack = self.opened_stacks().get(mode)
        screen = stack[-1] if stack else None
        self._screen_ready = screen is not None and getattr(screen, "ready_to_show", False)
        if self._screen_ready:
            screen.paint_whole_when_shown()
        try:
            return super().switch_mode(mode)
        finally:
            if self._screen_ready:
                screen.switched_to()
            self._screen_ready = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._screen_ready:
            super().delay_update(delay)

    def opened_stacks(self) -> dict[str, list[Any]]:
        """The screen stack of every mode opened so far (shown, or premounted)."""
        stacks = {}
        for mode in self.MODES:
            try:
                stacks[mode] = self.get_screen_stack(mode)
            except KeyError:  # that mode was never opened
                continue
        return stacks

    def unopened_modes(self) -> list[str]:
        opened = self.opened_stacks()
        return [mode for mode in self.MODES if mode not in opened]

    async def _premount_screens(self) -> None:
        """Mount every task screen that was never opened, unseen, one after another.

        A screen's first mount, layout and paint cost 0.2–0.6 s of CPU (composing, styling,
        arranging and rendering ~40–140 widgets), which the first key to open it would
        otherwise wait for. This runs as a task of its own, never as one of the app's
        messages, and never makes a screen current: a key pressed meanwhile waits only for
        the step under way, and goes where the user meant. Each step starts only once the
        user has not typed or clicked for `PREMOUNT_AFTER_INPUT`.
        """
        try:
            while unopened := self.unopened_modes():
                await self._until_input_is_quiet()
                mode = unopened[0]
                await self._init_mode(mode)  # Textual's own set-up of a mode, without showing it
                screen = self.get_screen_stack(mode)[-1]
                # The first arrangement and the first rendering of every widget are the slow
                # part of a first showing: both done here, unseen, unless it was opened meanwhile.
                for step in (lambda: screen._refresh_layout(self.size), screen._compositor.render_full_update):
                    await self._until_input_is_quiet()
                    if screen is self.screen:
                        break
                    step()
                await asyncio.sleep(PREMOUNT_PAUSE)
        finally:
            self._premounts_over.set()

    async def _until_input_is_quiet(self) -> None:
        await asyncio.sleep(0)  # a key that has just come is answered first
        while (quiet := time.monotonic() - self._last_input) < PREMOUNT_AFTER_INPUT:
            await asyncio.sleep(PREMOUNT_AFTER_INPUT - quiet)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def on_resize(self, event: events.Resize) -> None:
        fit_to_terminal(self, event.size)  # stacked layout classes; below the minimum, one message

    def on_unmount(self) -> None:
        self._premounts_over.set()  # the preload thread need not wait for screens any more
        if self.spare_pool is not None:
            self.spare_pool.close()

    def _environment_announced(self, environment: dict[str, Any]) -> None:
        if "error" in environment:
            self.sub_title = "TensorFlow did not load"
            self.notify(
                f"{environment['error']}\nRuns will fail until TensorFlow imports; see `python -c 'import tensorflow'`.",
                title="TensorFlow did not load", severity="error", timeout=20,
            )
            return
        self._environment_ready(environment)
        try:
            path = environment_cache_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(environment), encoding="utf-8")
        except OSError:
            pass  # only a cache

    def _environment_ready(self, environment: dict[str, Any]) -> None:
        from fmnist_tui.engine.environment import device_label

        self.settings.environment = environment
        self.sub_title = device_label(environment)

    def run_ended(self) -> None:
        """A screen's run is over: warm a new spare once nothing else is running."""
        if self.spare_pool is not None and not self.active_screens:
            self.spare_pool.start()

    def action_help(self) -> None:
        from .screens.help import HelpModal

        if not isinstance(self.screen, HelpModal):
            self.push_screen(HelpModal(getattr(self.screen, "HELP", "")))

    @property
    def active_screens(self) -> list[Any]:
        """Task screens with a run in progress."""
        return [s for stack in self.opened_stacks().values() for s in stack if getattr(s, "running", False)]

    def action_request_quit(self) -> None:
        active = self.active_screens
        if not active:
            self.exit()
            return
        from .screens.confirm import QuitModal

        def decided(answer: str | None) -> None:
            if answer == "keep":
                self.exit()
            elif answer == "cancel":
                self.cancel_runs_and_exit()

        self.push_screen(QuitModal(len(active)), decided)

    def open_run(self, mode: str, run_dir: Path) -> None:
        """Switch to a task's screen and attach it to a run that is going on."""
        self.switch_mode(mode)
        self.call_after_refresh(lambda: self.screen.attach(run_dir))

    @work(exclusive=True, group="quit")
    async def cancel_runs_and_exit(self) -> None:
        """Cancel every run, wait (briefly) for its cancelled summary to be written, then exit."""
        import asyncio

        screens = self.active_screens
        for screen in screens:
            screen.cancel_run()
        deadline = time.monotonic() + 15.0
        while any(s.running for s in screens) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.exit()


def make_app(
    runs_dir: Path = Path("runs"),
    data_dir: str | None = None,
    logs_dir: Path = Path("logs"),
    describe_environment: bool = True,
    defaults: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
    premount_screens: bool = False,
) -> FmnistApp:
    """Build the app (used by the CLI and by tests, which point `data_dir` at small data)."""
    return FmnistApp(
        AppSettings(
            runs_dir=Path(runs_dir), logs_dir=Path(logs_dir), data_dir=data_dir,
            describe_environment=describe_environment, defaults=dict(defaults or {}),
            warnings=list(warnings or []), premount_screens=premount_screens,
        )
    )
