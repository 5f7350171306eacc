"""A labelled form field whose validation error is shown right under it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static


class FormField(Vertical):
    """Label, input and an error line (hidden while there is no error)."""

    def __init__(self, name: str, label: str, value: str = "", placeholder: str = "", tooltip: str | None = None) -> None:
        super().__init__(id=f"field-{name}", classes="form-field")
        self.field_name = name
        self._label = label
        self._value = value
        self._placeholder = placeholder
        self._tooltip = tooltip

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(self._label, classes="form-label")
            field_input = Input(self._value, placeholder=self._placeholder, id=f"input-{self.field_name}", compact=True)
            if self._tooltip:
                field_input.tooltip = self._tooltip
            yield field_input
        yield Static("", classes="form-error", id=f"error-{self.field_name}")

    @property
    def value(self) -> str:
        return self.query_one(Input).value

    @property
    def error(self) -> str:
        return str(self.query_one(".form-error", Static).content)

    def set_error(self, message: str | None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(message or "")
        self.set_class(bool(message), "-invalid")
