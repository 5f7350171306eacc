"""The engine's exceptions: one hierarchy, each carrying a message and what to do about it."""

from __future__ import annotations


class FmnistError(Exception):
    """An expected failure that a front end shows to the user without a traceback.

    `message` says what went wrong; `hint` says what to do about it.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class ConfigError(FmnistError):
    """A configuration value is missing, malformed or out of range.

    `field` names the offending setting (the form field or CLI option) so a front end can
    show the message next to it.
    """

    def __init__(self, field: str, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.field = field


class DataError(FmnistError):
    """The data set is missing, truncated or corrupted."""


class ExpressionError(FmnistError):
    """User-entered math (an expression, a point or a matrix) was rejected by the parser."""


class DeviceError(FmnistError):
    """A device was asked for that is absent, or a workload would not fit on it."""
