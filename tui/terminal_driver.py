"""The terminal driver: Textual's Linux driver, answering a lone Esc as soon as it is one.

A lone Esc is told apart from the start of an escape sequence by waiting ESCDELAY for more
bytes, but Textual's input thread only looks at that deadline when its `select` returns,
every 0.1 s: Esc was answered 50–150 ms late, 100 ms on average, on every press. Here the
`select` waits no longer than the parser's pending deadline. Everything else is Textual's
`LinuxDriver.run_input_thread` (Textual 8.2), unchanged.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

IDLE_POLL_SECONDS = 0.1  # Textual's own poll, kept while no escape sequence is pending


def poll_timeout(parser: XTermParser) -> float:
    """How long the input thread may wait: until the parser's escape deadline, if it has one."""
    deadline = getattr(parser, "_timeout_time", None)
    if deadline is None:
        return IDLE_POLL_SECONDS
    return min(IDLE_POLL_SECONDS, max(0.0, deadline - get_time()))


class PromptEscapeDriver(LinuxDriver):
    def run_input_thread(self) -> None:
        """Wait for input and dispatch events."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        feed, tick = parser.feed, parser.tick
        decode = getincrementaldecoder("utf-8")().decode

        def process_selector_events(selector_events, final: bool = False) -> None:
            for last, (_key, mask) in loop_last(selector_events):
                if mask & selectors.EVENT_READ:
                    unicode_data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:  # stdin is piped
                        break
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(poll_timeout(parser)))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(IDLE_POLL_SECONDS), final=True)
        finally:
            selector.close()
            try:
                for _ in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
