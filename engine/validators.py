"""The value parsers every task's settings share: numbers, whole numbers, ranges, yes/no,
lists and tolerances.

A parser turns a raw value (a form's text, a flag, an environment variable, a config
file's value, or a Python value) into the task's value, or raises a `ConfigError` naming
the field, in words a user can act on. The declarations in `settings.py` pair each setting
with one of them; task-specific parsers (matrix sizes, models, …) build on them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ConfigError

#: A setting's parser: (raw value, field name, label) -> the value, or `ConfigError(field, …)`.
Parser = Callable[[Any, str, str], Any]

_WHOLE_NUMBER_TEXT = re.compile(r"[+-]?\d+")
_LIST_SEPARATORS = re.compile(r"[,;\s]+")


def shown(raw: Any) -> str:
    """A raw value as an error message quotes it: 'ten', '' or True."""
    return repr(raw) if isinstance(raw, bool) else repr(str(raw))


def as_whole_number(raw: Any) -> int | None:
    """`raw` as an int when it is one (3, 3.0, " +3 "), else None (True, 2.5, "3.0", "ten")."""
    if isinstance(raw, bool):  # before int: bool is an int subclass, and True is no count
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    if isinstance(raw, str) and _WHOLE_NUMBER_TEXT.fullmatch(raw.strip()):
        return int(raw.strip())
    return None


def whole_number(raw: Any, field: str, label: str) -> int:
    value = as_whole_number(raw)
    if value is None:
        raise ConfigError(field, f"{label} must be a whole number, got {shown(raw)}.")
    return value


def number(raw: Any, field: str, label: str) -> float:
    """A finite float; accepts numbers and text such as "1e-3"."""
    value = None
    if not isinstance(raw, bool):
        try:
            value = float(str(raw).strip())
        except (TypeError, ValueError):
            value = None
    if value is None or not math.isfinite(value):
        raise ConfigError(field, f"{label} must be a number, got {shown(raw)}.")
    return value


def _bound_text(low: float, high: float, low_open: bool, high_open: bool, whole: bool) -> str:
    """'at least 1 and at most 10,000', 'greater than 0 and at most 10', …"""
    form = "{:,}" if whole else "{:g}"
    low_words = ("greater than " if low_open else "at least ") + form.format(low)
    high_words = ("less than " if high_open else "at most ") + form.format(high)
    return f"{low_words} and {high_words}"


@dataclass(frozen=True)
class Bounded:
    """A number within bounds: `Bounded(1, 10_000)` a whole number, `Bounded(0, 1, high_open=True,
    whole=False)` any number in [0, 1). `hint` says what to choose when it is out of bounds."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    whole: bool = True
    hint: str = ""

    def __call__(self, raw: Any, field: str, label: str) -> Any:
        value = whole_number(raw, field, label) if self.whole else number(raw, field, label)
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if too_low or too_high:
            bounds = _bound_text(self.low, self.high, self.low_open, self.high_open, self.whole)
            got = f"{value:,}" if self.whole else f"{value:g}"
            raise ConfigError(field, f"{label} must be {bounds}, got {got}.", self.hint)
        return value


@dataclass(frozen=True)
class OrNone:
    """None for an empty value or "none" (any case), else what `parser` makes of it."""

    parser: Parser

    def __call__(self, raw: Any, field: str, label: str) -> Any:
        if raw is None or str(raw).strip().lower() in ("", "none"):
            return None
        return self.parser(raw, field, label)


def text(raw: Any, field: str, label: str) -> str:
    """Any text, as written (the task's own parser reads it)."""
    return str(raw)


def optional_text(raw: Any, field: str, label: str) -> str | None:
    """Text, or None when it is empty."""
    return None if raw is None or not str(raw).strip() else str(raw)


_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


def yes_or_no(raw: Any, field: str, label: str) -> bool:
    if isinstance(raw, bool):
        return raw
    answer = str(raw).strip().lower()
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    raise ConfigError(field, f"{label} must be yes or no, got {shown(raw)}.")


def split_list(raw: Any) -> list[Any]:
    """The items of a list setting: "a, b c;d" (commas, semicolons or spaces) or a sequence."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [item for item in _LIST_SEPARATORS.split(raw.strip()) if item]
    if isinstance(raw, (int, float)):
        return [raw]
    return list(raw)


def tolerance(raw: Any, field: str = "tolerance", label: str = "Tolerance") -> float:
    """A match tolerance: a finite float in (0, 1); numbers or text such as "1e-9"."""
    try:
        value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise ConfigError(field, f"The tolerance {raw!r} is not a number.", "Use e.g. 1e-9.") from None
    if not math.isfinite(value) or not 0 < value < 1:
        raise ConfigError(field, f"The tolerance must be between 0 and 1 (got {raw!r}).", "Use e.g. 1e-9.")
    return value
