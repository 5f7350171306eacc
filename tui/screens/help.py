"""The help modal: what each screen does and every key binding."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP_TEXT = """\
# fmnist-tui — keys

| key | where | does |
| --- | --- | --- |
| `1`–`5` | home | open a task (Classifier, Devices, Jacobian, Eigen, Runs) |
| `↑` `↓` `Enter` | home | pick a task |
| `Esc` | anywhere | back to the home screen (runs keep going) |
| `s` | task screen | start a run with the form's settings |
| `c` | task screen | cancel the run (the summary keeps what completed) |
| `Tab` / `Shift+Tab` | forms | next / previous field |
| `?` | anywhere | this help |
| `q` / `Ctrl+Q` | anywhere | quit (asks first while a run is active) |

Every run writes `runs/<run-id>/summary.md` and `summary.json`.
"""

CLOSE_HINT = "\n\nPress `Esc` or `q` to close this help.\n"


class HelpModal(ModalScreen[None]):
    """General keys, then the help of the screen it was opened from (its `HELP` text)."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, screen_help: str = "") -> None:
        super().__init__()
        self.screen_help = screen_help

    def compose(self) -> ComposeResult:
        text = HELP_TEXT + ("\n" + self.screen_help if self.screen_help else "") + CLOSE_HINT
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Markdown(text)
