"""One way to route an engine event to its handler, for the screens and the headless renderer alike.

A handler is a method marked `@handles(EventClass, ...)`. `dispatch(event)` calls the
handler of the event's class, else of its nearest base class that has one (so a
`RunInterrupted`, which is a `RunFailed`, goes to the `RunFailed` handler unless it has
its own), and ignores an event nobody handles. Handlers are found by marks, not by
method names, so they can never clash with Textual's `on_<message>` handlers.
A subclass that overrides a handler by name keeps its mark without repeating it.
No Textual here.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

Method = TypeVar("Method", bound=Callable[..., Any])

_MARK = "_handles_events"
_TABLES: dict[type, dict[type, str]] = {}  # receiver class -> {event class: method name}


def handles(*event_types: type) -> Callable[[Method], Method]:
    """Mark a method as the handler of `event_types` (and of their subclasses)."""

    def mark(method: Method) -> Method:
        setattr(method, _MARK, getattr(method, _MARK, ()) + event_types)
        return method

    return mark


class EventDispatch:
    """Mixin: `dispatch(event)` calls the method marked `@handles` for the event's class."""

    def dispatch(self, event: Any) -> bool:
        """Handle `event`; False when no handler takes it (the event is ignored)."""
        table = _handler_table(type(self))
        for event_type in type(event).__mro__:
            name = table.get(event_type)
            if name is not None:
                getattr(self, name)(event)
                return True
        return False


def _handler_table(receiver: type) -> dict[type, str]:
    """{event class: method name} over `receiver`'s classes, the most derived mark winning."""
    table = _TABLES.get(receiver)
    if table is None:
        table = {}
        for klass in reversed(receiver.__mro__):
            for name, value in vars(klass).items():
                for event_type in getattr(value, _MARK, ()):
                    table[event_type] = name
        _TABLES[receiver] = table
    return table
