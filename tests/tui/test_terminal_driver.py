"""A lone Esc is answered after ESCDELAY, not at the input thread's next 0.1 s poll."""

from __future__ import annotations

import time

from textual import constants
from textual._xterm_parser import XTermParser

from fmnist_tui.tui.terminal_driver import IDLE_POLL_SECONDS, poll_timeout


def test_the_input_thread_wakes_for_a_pending_escape_then_idles_again():
    parser = XTermParser()
    assert poll_timeout(parser) == IDLE_POLL_SECONDS
    assert list(parser.feed("\x1b")) == []  # Esc, or the start of a sequence: not known yet
    assert 0 < poll_timeout(parser) <= constants.ESCAPE_DELAY
    time.sleep(poll_timeout(parser))
    keys = [event.key for event in parser.tick()]
    assert keys == ["escape"]
    assert poll_timeout(parser) == IDLE_POLL_SECONDS


def test_an_arrow_key_sent_in_one_piece_is_not_taken_for_escape():
    parser = XTermParser()
    keys = [event.key for event in parser.feed("\x1b[A")]
    assert keys == ["up"]
    assert poll_timeout(parser) == IDLE_POLL_SECONDS
