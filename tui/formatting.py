"""Small text formats shared by the screens and the headless commands (no Textual here)."""

from __future__ import annotations

from fmnist_tui.render.devices import format_ms  # the devices table's number format, defined with it

__all__ = ["format_eta", "format_ms"]


def format_eta(seconds: float | None) -> str:
    """ "ETA 1:05" or "ETA 1:02:03"; "ETA —" while unknown."""
    if seconds is None:
        return "ETA —"
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"ETA {hours}:{minutes:02d}:{seconds:02d}" if hours else f"ETA {minutes}:{seconds:02d}"
