"""The garbage collector's pause over the app's start-up, and what it leaves behind.

Start-up makes about a million objects that live as long as the app (Textual, the screens,
SymPy), and each full collection walks all of them: 100–260 ms during which no key is
answered (measured with `gc.callbacks` in the app: several while the screens are built, and
one every minute or so of a training beside). So the collector is off from the start
until the screens are built and SymPy is imported, and what start-up made is then set aside
for good (`gc.freeze`): collections walk only what was made since.
"""

from __future__ import annotations

import gc


def pause_collector_for_start_up() -> None:
    """Stop the cyclic collector (call before importing Textual)."""
    gc.disable()


def end_start_up_collector_pause() -> None:
    """Freeze what start-up made, then collect again. Nothing where start-up did not pause
    the collector (an app in tests: freezing would keep whatever else the process holds)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
