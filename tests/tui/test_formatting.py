"""Text formats shared by the screens and the headless commands."""

import pytest

from fmnist_tui.tui.formatting import format_eta, format_ms


@pytest.mark.parametrize(
    "seconds, text",
    [(None, "ETA —"), (0, "ETA 0:00"), (59.6, "ETA 1:00"), (65, "ETA 1:05"), (3723, "ETA 1:02:03")],
)
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text


@pytest.mark.parametrize("value, text", [(None, "—"), ("x", "—"), (1.23456, "1.235"), (412.44, "412.4")])
def test_format_ms(value, text):
    assert format_ms(value) == text
