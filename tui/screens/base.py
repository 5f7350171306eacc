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
        self._painted_whole_on_switch = False

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
            if self._painted_whole_on_switch:
                # Screen's handler asks for a full repaint, which the switch just made
                self._repaint_required = False
        self._painted_whole_on_switch = False

    def paint_whole_when_shown(self) -> None:
        """Make the coming switch's own paint a full one (see `switched_to`)."""
        self._compositor._dirty_regions.add(self.app.size.region)

    def switched_to(self) -> None:
        """After a switch: if it laid this screen out and painted it whole, skip the rest.

        Textual's switch lays the screen out and paints only what moved; the ScreenResume
        that follows lays it out again (for updates made while hidden) and repaints it all:
        twice the CPU and twice the terminal output for one key. With `paint_whole_when_shown`
        the switch's own paint is complete, and the second pass is dropped. Where the switch
        did not paint (the screen was still being built), Textual's way is kept.
        """
        region = self.app.size.region
        self._painted_whole_on_switch = self.is_current and region not in self._compositor._dirty_regions
        if self._painted_whole_on_switch:
            self._layout_required = False  # the switch's layout was of the whole screen
