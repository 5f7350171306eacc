"""The ✓/✗ match badge of the Jacobian and Eigen screens, and plain-text helpers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from fmnist_tui.render.calculus import VERDICTS

BADGE_STATES: dict[Any, tuple[str, str]] = {
    None: ("not run", "-idle"),
    "computing": ("computing…", "-pending"),
    True: (VERDICTS[True], "-match"),
    False: (VERDICTS[False], "-mismatch"),
    "failed": ("✗ failed", "-mismatch"),
    "cancelled": ("cancelled", "-idle"),
}


class MatchBadge(Static):
    """A big verdict: ✓ match (green), ✗ mismatch (red), or the run's state (a key of BADGE_STATES)."""

    state: reactive[Any] = reactive(None)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(BADGE_STATES[None][0], classes="match-badge -idle", **kwargs)

    def set_state(self, state: Any) -> None:
        self.state = state

    def watch_state(self, state: Any) -> None:
        text, css_class = BADGE_STATES[state]
        self.remove_class(*(other for _, other in BADGE_STATES.values()))
        self.add_class(css_class)
        self.update(Text(text, style="bold", justify="center"))

    @property
    def text(self) -> str:
        return BADGE_STATES[self.state][0]


def short_path(path: Any) -> str:
    """The path relative to the working directory when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def plain_text(renderable: RenderableType, width: int = 100) -> str:
    """What a renderable shows, as plain text (for tests and copying)."""
    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()
