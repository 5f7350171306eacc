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

## Classifier

Trains the same network — Flatten → Dense 512 relu → Dropout 0.2 → Dense 10 softmax,
Adam 0.001, batch 64 — twice: with Keras `compile`/`fit`, and low-level with
`tf.Variable`, `GradientTape` and an optimizer. Models run one after the other so their
timings are fair. The tabs show the comparison table, loss and accuracy curves, every
epoch, and a log.

Every run writes `runs/<run-id>/summary.md` and `summary.json`; TensorBoard logs go to
`logs/fit/<run-id>/` (`tensorboard --logdir logs`).

Press `Esc` or `q` to close this help.
"""


class HelpModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Markdown(HELP_TEXT)
