"""Small text formats shared by the screens and the headless commands (no Textual here)."""

from __future__ import annotations

from typing import Any


def format_eta(seconds: float | None) -> str:
    """ "ETA 1:05" or "ETA 1:02:03"; "ETA —" while unknown."""
    if seconds is None:
        return "ETA —"
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"ETA {hours}:{minutes:02d}:{seconds:02d}" if hours else f"ETA {minutes}:{seconds:02d}"


def format_ms(value: Any) -> str:
    """Milliseconds with three decimals (one above 100 ms); an em dash for no value."""
    if not isinstance(value, (int, float)):
        return "—"
    return f"{value:.3f}" if value < 100 else f"{value:.1f}"
