"""A form's fields, made from the settings' declarations (engine/setting_specs.py): a label,
an input (or one checkbox per choice) and the field's validation error right under it."""

from __future__ import annotations

from typing import Any, Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Static

from fmnist_tui.engine.setting_specs import Setting
from fmnist_tui.engine.validators import split_list


class _Field(Vertical):
    """What every field shares: its name, and an error line (hidden while there is no error)."""

    def __init__(self, name: str, label: str) -> None:
        super().__init__(id=f"field-{name}", classes="form-field")
        self.field_name = name
        self._label = label

    @property
    def value(self) -> Any:
        raise NotImplementedError

    @property
    def error(self) -> str:
        return str(self.query_one(".form-error", Static).content)

    def set_error(self, message: str | None) -> None:
        self.query_one(".form-error", Static).update(message or "")
        self.set_class(bool(message), "-invalid")


class FieldInput(Input):
    """An input that leaves some characters to the screen's keys (Textual gives a focused
    input every printable key, even over the screen's priority bindings)."""

    def __init__(self, *args: Any, leaves: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leaves = leaves

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if character and character in self.leaves:
            return False
        return super().check_consume_key(key, character)


class FormField(_Field):
    """Label, input and an error line; the input does not take the characters in `leaves`."""

    def __init__(self, name: str, label: str, value: str = "", placeholder: str = "", tooltip: str | None = None,
                 leaves: str = "") -> None:
        super().__init__(name, label)
        self._value = value
        self._placeholder = placeholder
        self._tooltip = tooltip
        self._leaves = leaves

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(self._label, classes="form-label")
            field_input = FieldInput(self._value, placeholder=self._placeholder, id=f"input-{self.field_name}",
                                     compact=True, leaves=self._leaves)
            if self._tooltip:
                field_input.tooltip = self._tooltip
            yield field_input
        yield Static("", classes="form-error", id=f"error-{self.field_name}")

    @property
    def value(self) -> str:
        return self.query_one(Input).value


class ChoicesField(_Field):
    """A label, one checkbox per choice (ids `<name>-<choice>`) and an error line; its value is
    the list of chosen names, in the choices' order."""

    def __init__(self, name: str, label: str, choices: Iterable[tuple[str, str]], chosen: Iterable[str]) -> None:
        super().__init__(name, label)
        self._choices = tuple(choices)
        self._chosen = set(chosen)

    def compose(self) -> ComposeResult:
        yield Static(self._label, classes="form-label")
        for choice, title in self._choices:
            yield Checkbox(title, value=choice in self._chosen, id=f"{self.field_name}-{choice}", compact=True)
        yield Static("", classes="form-error", id=f"error-{self.field_name}")

    @property
    def value(self) -> list[str]:
        return [choice for choice, _ in self._choices if self.query_one(f"#{self.field_name}-{choice}", Checkbox).value]


def setting_field(setting: Setting, value: Any, leaves: str = "") -> Widget:
    """The field for `setting`, starting from `value` (None: empty); a text field leaves the
    characters of `leaves` to the screen's keys."""
    if setting.choices:
        chosen = [str(name).strip().lower() for name in split_list(value)]
        return ChoicesField(setting.key, setting.label, setting.choices, chosen)
    text = "" if value is None else str(value)
    return FormField(setting.key, setting.label, text, placeholder=setting.placeholder, tooltip=setting.tooltip or None,
                     leaves=leaves)
