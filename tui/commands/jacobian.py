"""`fmnist-tui run jacobian`: the Jacobian of f at a point, SymPy (exact) vs GradientTape.

Its options, and the headless renderer `run eigen` shares: the derivation is built by
`render.jacobian` (as summary.md and the Jacobian screen show it), then the verdict.
Imports neither TensorFlow, SymPy nor Textual at module level: SymPy draws the formulas
once a result has arrived (decoding it has loaded SymPy).
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Mapping

from rich import box
from rich.panel import Panel
from rich.text import Text

from fmnist_tui.engine.calculus.tasks import EigenComputed, JacobianComputed
from fmnist_tui.engine.events import Event, Log, RunFinished
from fmnist_tui.render.calculus import VERDICTS, Section, rich_sections
from fmnist_tui.render.jacobian import VERDICT, jacobian_sections

from ..event_dispatch import handles
from ..headless import EXIT_FAILED, HeadlessRenderer
from . import add_setting_arguments, section_values

NAME = "jacobian"
HELP = "check GradientTape's Jacobian of f at a point against SymPy's exact derivative"
EPILOG = """\
examples:
  fmnist-tui run jacobian                                  # the original: 3x² + 2x + 3 at (1, 3)
  fmnist-tui run jacobian --expr "3*x**2 + 2*x + 3" --at "1,3"
  fmnist-tui run jacobian --expr "[x*y, sin(x) + y**2]" --at "1,2"
  fmnist-tui run jacobian --expr "exp(x)*cos(y)" --at "0,pi/4" --vars x,y
  fmnist-tui run jacobian --expr "sqrt(x)" --at "1/4, 2" --tolerance 1e-12

A one-variable expression is applied elementwise to the point (f: Rⁿ → Rⁿ, so the
Jacobian is diagonal); a [list] of expressions, or one in several variables, takes one
point value per variable (ordered by --vars, else alphabetically). Allowed: + - * / **,
numbers, pi, E, and sin cos tan asin acos atan sinh cosh tanh exp log ln sqrt abs;
anything else (names, attributes, calls like __import__) is refused. SymPy's exact
Jacobian is compared entry-wise with tf.GradientTape.jacobian (float64); an entry matches
when |autodiff − exact| ≤ tolerance · max(1, |exact|). tape.gradient is shown too,
with what it computes (the column sums of the Jacobian).

exit status: 0 completed and matched (✓), 1 completed with a mismatch (✗) or failed,
2 invalid input (the message names the option), 130 cancelled (Ctrl-C).
Each run writes runs/<run-id>/summary.md (with LaTeX math) and summary.json.
"""

EXIT_MISMATCH = EXIT_FAILED  # 1: the run completed but autodiff disagreed with the exact result
SETTING_SECTIONS = ("jacobian",)


def add_arguments(parser: argparse.ArgumentParser, added: set[str] | None = None) -> None:
    add_setting_arguments(parser, "jacobian", added)


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.calculus.tasks import JacobianConfig, JacobianTask

    return JacobianTask.from_options(JacobianConfig.parse(section_values(args, "jacobian")).to_dict())


def exit_code(terminal: Event | None) -> int | None:
    """1 for a run that completed with a mismatch; None: the usual code (0, 1, 130)."""
    if isinstance(terminal, RunFinished) and terminal.summary.get("match") is False:
        return EXIT_MISMATCH
    return None


# --------------------------------------------------------------------------- headless


def verdict_panel(match: bool, detail: str) -> Panel:
    """The big ✓ match / ✗ mismatch badge under the derivation."""
    style = "bold green" if match else "bold red"
    body = Text(VERDICTS[match], style=style, justify="center")
    body.append("\n" + detail, style="")
    return Panel(body, box=box.HEAVY, border_style=style.split()[-1], expand=False, padding=(0, 3))


class CalculusRenderer(HeadlessRenderer):
    """Shared by `run jacobian` and `run eigen`: the derivation, the verdict, and exit 1 on ✗.

    A subclass names its task's sections and verdict sentences; the result event (a
    `JacobianComputed` or an `EigenComputed`) is kept for the end.
    """

    SECTIONS: Callable[[Mapping[str, Any], Any], list[Section]]
    VERDICT: Mapping[bool, str] = {}  # the verdict's sentence, for a match and a mismatch

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.progress.live.transient = True  # a run takes a second or two; keep the output clean
        self.result: Any = None

    def exit_code(self, terminal: Event) -> int | None:
        return exit_code(terminal)

    @handles(Log)
    def show_log(self, event: Log) -> None:
        if event.level != "info":  # the derivation is printed in full at the end
            super().show_log(event)

    @handles(JacobianComputed, EigenComputed)
    def keep_result(self, event: JacobianComputed | EigenComputed) -> None:
        self.result = event.result

    def show_result(self, summary) -> None:
        if self.result is None:
            return
        self.console.print(rich_sections(type(self).SECTIONS(summary, self.result)))
        match = summary.get("match") is True
        self.console.print(verdict_panel(match, self.VERDICT[match]))


class Renderer(CalculusRenderer):
    SECTIONS, VERDICT = jacobian_sections, VERDICT
