"""Driving the app in TUI tests: open a screen, fill a field, wait, read the notifications."""

from __future__ import annotations

import time

from textual.widgets import Input
from textual.widgets._toast import Toast

SIZE = (100, 30)


async def open_screen(pilot, key: str, kind):
    """Press the home screen's key for a task and return its screen."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, kind)
    return pilot.app.screen


def set_field(screen, name: str, value: str) -> None:
    screen.query_one(f"#input-{name}", Input).value = value


async def wait_until(pilot, condition, seconds: float = 60.0) -> bool:
    """Pause until `condition()` holds (checked before each pause: the app may have exited)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    return condition()


def toasts(app) -> list[str]:
    """The notifications on screen, as the user reads them (title, then message).

    Rendering them is part of the check: a message taken as markup can fail to render.
    """
    return [toast.render().plain for toast in app.screen.query(Toast)]
