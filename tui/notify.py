"""Telling a user who looked away that a run has ended: the terminal bell and a desktop notification.

One write of three sequences: BEL, then OSC 9 (`ESC ] 9 ; text BEL`: iTerm2, Windows
Terminal, WezTerm, kitty, ConEmu…) and OSC 777 (`ESC ] 777 ; notify ; title ; body BEL`:
rxvt-unicode, foot, Ghostty, VTE terminals such as GNOME Terminal…). They travel with the
terminal's output, so they work over SSH too; a terminal that knows neither ignores them.
Inside tmux only the bell gets through unless tmux passes sequences through.

The text is short ("fmnist-tui: train completed — keras 0.8843 · lowlevel 0.8851") and
carries no control character: an error message or a run's figures could otherwise end the
sequence early or start one of their own. In the app the bytes go through Textual's driver
(as `App.bell` does), so they never land in the middle of a screen update; headless, only
to a stream that is a terminal. The setting `general.notify` turns all of it off.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Callable, Iterable, Mapping

from fmnist_tui.render.run_endings import run_ending

APP_NAME = "fmnist-tui"
BEL = "\a"
OSC = "\x1b]"
MAX_TEXT = 160  # characters of a notification's body; desktop notifications show little more

Write = Callable[[str], None]

# C0 controls (ESC, BEL, newlines…), DEL and the C1 controls (0x9c ends an OSC in 8-bit terminals)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def sanitize(text: str, limit: int = MAX_TEXT) -> str:
    """`text` on one line without control characters, at most `limit` characters ("…" if cut)."""
    clean = " ".join(_CONTROL.sub(" ", str(text)).split())
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


def ending_body(event: Any) -> str:
    """ "train completed — keras 0.8843 · lowlevel 0.8851", "devices failed — <error>"."""
    from fmnist_tui.engine.history import run_headline  # ~0.3 s of imports: only when a run ends

    summary = event.summary if isinstance(getattr(event, "summary", None), Mapping) else {}
    task = summary.get("task") if isinstance(summary.get("task"), str) else "run"
    ending = run_ending(event, None)
    detail = getattr(event, "error", "") if ending.outcome in ("failed", "interrupted") else run_headline(task, summary)
    body = f"{task} {ending.outcome}"
    return f"{body} — {detail}" if detail else body


def notification(body: str, title: str = APP_NAME) -> str:
    """The bell, then `body` as an OSC 9 and an OSC 777 notification titled `title`."""
    title, body = sanitize(title).replace(";", ","), sanitize(body)  # OSC 777 splits its fields at ";"
    return f"{BEL}{OSC}9;{title}: {body}{BEL}{OSC}777;notify;{title};{body}{BEL}"


def notify_ending(write: Write | None, event: Any) -> bool:
    """Ring and notify the end of the run `event` ends, through `write`; False when there is none."""
    if write is None:
        return False
    try:
        write(notification(ending_body(event)))
    except OSError:  # the terminal has gone (a hang-up): nobody to tell
        return False
    return True


def app_writer(app: Any) -> Write | None:
    """The app's terminal output, as `App.bell` writes to it (its driver's writer thread,
    which keeps the bytes out of the middle of a screen update); None when headless."""
    driver = getattr(app, "_driver", None)  # Textual has no public accessor; App.bell uses this
    if getattr(app, "is_headless", True) or driver is None:
        return None
    return driver.write


def terminal_writer(streams: Iterable[Any] | None = None) -> Write | None:
    """A writer to the first of `streams` (stdout, then stderr) that is a terminal, or None."""
    for stream in (sys.stdout, sys.stderr) if streams is None else streams:
        try:
            if stream is not None and stream.isatty():
                return _stream_writer(stream)
        except (AttributeError, ValueError, OSError):  # closed or not a real file
            continue
    return None


def _stream_writer(stream: Any) -> Write:
    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    return write
