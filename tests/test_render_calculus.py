"""render/ for the calculus results: one number format, Markdown written without SymPy or
rich, and a terminal that shows a user's text as text. (That summary.md, the headless
command and the screen show the same sections is checked on real runs in
tests/tui/test_calculus_screens.py.)"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from rich.console import Console

from fmnist_tui.render.calculus import error, number, rich_sections, tolerance_text
from fmnist_tui.render.jacobian import jacobian_sections


@pytest.mark.parametrize(
    "value, shown",
    [
        (5.0, "5"), (-0.5, "−0.5"), (0.0, "0"), (-0.0, "0"), (1 / 3, "0.3333333333"), (-2.0e-20, "−2e-20"),
        (complex(1, 2), "1 + 2i"), (complex(0, -1), "−i"), ({"re": 0.0, "im": 1.0}, "i"),
        ({"re": -1.5, "im": -2.0}, "−1.5 − 2i"), (float("inf"), "inf"), (None, "—"),
        (10**400, str(10**400)), ("cos(1)", "cos(1)"), (True, "True"),
    ],
)
def test_values_read_alike_wherever_they_are_shown(value, shown):
    assert number(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [(1.234e-16, "1.23e-16"), (0.0, "0.00e+00"), (float("inf"), "inf"), (None, "—"), (10**400, str(10**400))],
)
def test_errors_read_alike(value, shown):
    assert error(value) == shown


def test_a_tolerance_reads_as_entered():
    assert tolerance_text(1e-9) == "1e-09" and tolerance_text(None) == "—" and tolerance_text("1e-9") == "1e-9"


def test_markdown_is_written_without_sympy_rich_or_textual():
    """The engine writes summary.md in worker processes and reports: it needs neither."""
    code = (
        "import sys\n"
        "from fmnist_tui.render.jacobian import jacobian_markdown\n"
        "from fmnist_tui.render.eigen import eigen_markdown\n"
        "jacobian = {'status': 'completed', 'variables': ['x'], 'point': ['1'], 'elementwise': True,\n"
        "            'symbolic': {'exact': [['2']], 'values': [[2.0]], 'latex': 'J'},\n"
        "            'autodiff': {'jacobian': [[2.0]], 'gradient': [2.0]}, 'tolerance': 1e-9, 'match': True}\n"
        "markdown = jacobian_markdown(jacobian) + eigen_markdown({'status': 'running'})\n"
        "assert '| ∂f₁/∂x₁ | 2 | 2 | 0.00e+00 | ✓ |' in markdown, markdown\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('sympy', 'rich', 'textual'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_a_terminal_shows_the_users_text_as_text():
    """An expression with brackets is math, not rich markup: it is shown as typed."""
    summary = {"expression": "[b]x[/b] + [red]y", "variables": ["x", "y"], "point": ["1", "2"]}
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(rich_sections(jacobian_sections(summary)))
    assert "[b]x[/b] + [red]y" in console.file.getvalue()
