"""A yes/no question as a modal; dismisses with True for yes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button(f"{self.no} (n)", variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class QuitModal(ModalScreen[str]):
    """Quitting while runs are active: keep them running (the default), cancel them, or stay.

    Dismisses with "keep", "cancel" or "stay".
    """

    BINDINGS = [
        Binding("k,enter", "answer('keep')", "Keep running", show=False),
        Binding("c", "answer('cancel')", "Cancel runs", show=False),
        Binding("s,escape", "answer('stay')", "Stay", show=False),
    ]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        runs = "A run is" if self.count == 1 else f"{self.count} runs are"
        with Vertical(id="quit-dialog", classes="dialog"):
            yield Static(
                f"{runs} in progress. Each runs in a process of its own and can go on without the app: "
                "reopen it (or `fmnist-tui runs`, `fmnist-tui attach ID`) to follow it again.",
                id="quit-question",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep running and quit (k)", variant="primary", id="quit-keep")
                yield Button("Cancel runs and quit (c)", variant="error", id="quit-cancel")
                yield Button("Stay (s)", id="quit-stay")

    def on_mount(self) -> None:
        self.query_one("#quit-keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id).removeprefix("quit-"))

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
