"""A footer that rebuilds its keys only when they change.

Textual's `Footer` recomposes all its keys whenever the screen's bindings are refreshed,
which happens on every screen switch; each new key then restyles itself. Measured on the
app's screens, that was about half of the 0.2–0.4 s a screen switch cost. Showing a screen
again with the same keys now reuses them.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class StableFooter(Footer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None  # the keys composed last

    def bindings_changed(self, screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            keys = tuple(
                (binding.key, binding.action, binding.description, enabled, tooltip)
                for (_, binding, enabled, tooltip) in screen.active_bindings.values()
                if binding.show
            )
            if keys == self._shown and self.children:
                self._bindings_ready = True
                return
            self._shown = keys
        super().bindings_changed(screen)
