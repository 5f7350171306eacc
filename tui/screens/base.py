"""The app's full screens: switching to one repaints it without restyling it when nothing changed.

Textual restyles a screen's whole tree every time it is resumed (switch_mode), and once more
with a full stylesheet reparse the first two times a mode is shown. On this app that was most
of a key press's cost: 0.1–0.35 s of CPU per switch on a 2-core machine, more while a run
trains beside it. All the app's CSS is loaded once, at start (`FmnistApp.CSS_PATH`), so a
screen's styles can only go stale when the app's own classes or theme change (terminal
resized, dark/light mode): then, and only then, it is restyled on resume.
"""

from __future__ import annotations

from typing import Any, Hashable, TypeVar

from textual import events
from textual._context import active_app
from textual.screen import Screen

ResultType = TypeVar("ResultType")


def _style_inputs(app: Any) -> Hashable:
    """What a resumed screen's styles depend on beyond its own widgets."""
    return frozenset(app.classes), frozenset(app.get_pseudo_classes()), app._css_update_count


class WorkbenchScreen(Screen[ResultType]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stylesheet is complete before any screen exists, so a new screen is styled
        # correctly when it mounts; Textual would otherwise reparse the whole stylesheet on
        # the first two visits (it compares this counter with the app's).
        app = active_app.get()
        self._css_update_count = app._css_update_count
        # A new screen is styled as it mounts, for the app as it is now: its first showing
        # needs no restyle either (that was a third of a first visit's cost).
        self._suspended_with: Hashable = _style_inputs(app)

    def _on_screen_suspend(self) -> None:
        self._suspended_with = _style_inputs(self.app)

    @property
    def styles_current(self) -> bool:
        """Styled (at mount, or when last shown) for the app as it is now."""
        return self._suspended_with == _style_inputs(self.app)

    @property
    def ready_to_show(self) -> bool:
        """Built and styled for the app as it is now: nothing to hide while it paints."""
        return self.is_mounted and self.styles_current

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if event.refresh_styles and self.styles_current:
            event.prevent_default()  # Screen's own handler would restyle every widget
            super()._on_screen_resume(events.ScreenResume(refresh_styles=False))
