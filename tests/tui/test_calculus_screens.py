"""The Jacobian and Eigen screens driven as a user would: the original examples, bad input
shown next to its field (nothing runs), complex and defective matrices; and one result read
alike in summary.md, the headless command and the screen."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pilot_helpers import SIZE, open_screen, set_field
from rich.console import Console
from textual.widgets import Input

from fmnist_tui.tui.commands import eigen as eigen_command, jacobian as jacobian_command
from fmnist_tui.tui.headless import follow_headless
from fmnist_tui.tui.screens.eigen import EigenScreen
from fmnist_tui.tui.screens.home import HomeScreen
from fmnist_tui.tui.screens.jacobian import JacobianScreen
from fmnist_tui.tui.widgets.form import FormField

MALICIOUS = "__import__('os').system('ls')"


def error_of(screen, name: str) -> str:
    return screen.query_one(f"#field-{name}", FormField).error


async def compute(pilot, group: str, key: str = "s") -> None:
    await pilot.press(key)
    await pilot.pause()
    for worker in [w for w in pilot.app.workers if w.group == group]:
        await worker.wait()
    await pilot.pause()


def no_runs(app) -> bool:
    runs = app.settings.runs_dir
    return not runs.exists() or not any(runs.iterdir())


def loaded_after(code: str) -> set[str]:
    code += "\nimport sys\nprint('\\n'.join(sys.modules))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def test_modules_import_neither_tensorflow_nor_sympy():
    loaded = loaded_after("import fmnist_tui.tui.screens.jacobian, fmnist_tui.tui.screens.eigen\n"
                          "import fmnist_tui.tui.commands.jacobian, fmnist_tui.tui.commands.eigen")
    assert "fmnist_tui.tui.screens.calculus_base" in loaded and "fmnist_tui.render.jacobian" in loaded
    assert not loaded & {"tensorflow", "keras", "sympy"}


def test_the_screens_do_not_import_the_headless_commands():
    loaded = loaded_after("import fmnist_tui.tui.screens.jacobian, fmnist_tui.tui.screens.eigen")
    assert "fmnist_tui.tui.screens.eigen" in loaded
    assert not {m for m in loaded if m.startswith("fmnist_tui.tui.commands")}


async def test_jacobian_original_example_from_home_key_3(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "3", JacobianScreen)
        assert screen.query_one("#input-expr", Input).value == "3*x**2 + 2*x + 3"
        assert screen.query_one("#input-at", Input).value == "1,3"
        assert screen.badge_text == "not run"
        await compute(pilot, "jacobian")
        assert not screen.running
        result = screen.result
        assert result.autodiff.gradient == (8.0, 20.0)
        assert result.autodiff.jacobian == ((8.0, 0.0), (0.0, 20.0))
        assert result.comparison.match
        assert screen.badge_text == "✓ match"
        text = screen.output_text(80)
        for expected in ("f′(x) = 6⋅x + 2", "⎡6⋅x₁ + 2", "tape.gradient(y, x) = (8, 20)", "column sums",
                         "∂f₂/∂x₂", "Max abs error", "tolerance 1e-09"):
            assert expected in text, expected
        assert "(8, 20)" in screen.status_text and "Summary: " in screen.status_text
        summary = json.loads((screen.last_summary_path.parent / "summary.json").read_text())
        assert summary["task"] == "jacobian" and summary["status"] == "completed" and summary["match"] is True
        assert str(screen.last_summary_path.parent.name) in screen.status_text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_jacobian_bad_input_is_shown_next_to_its_field_and_nothing_runs(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "3", JacobianScreen)
        set_field(screen, "expr", MALICIOUS)
        set_field(screen, "tolerance", "2")
        await compute(pilot, "jacobian")
        assert "'__import__' is not allowed" in error_of(screen, "expr")
        assert "between 0 and 1" in error_of(screen, "tolerance")
        assert error_of(screen, "at") == "" and error_of(screen, "vars") == ""
        assert not screen.running and screen.run_dir is None and screen.result is None
        assert screen.badge_text == "not run" and no_runs(app)
        # fixed, and started with Enter in a field: the errors go away and it runs
        set_field(screen, "expr", "[x*y, sin(x) + y**2]")
        set_field(screen, "at", "1,2")
        set_field(screen, "tolerance", "1e-9")
        screen.query_one("#input-at", Input).focus()
        await compute(pilot, "jacobian", key="enter")
        assert error_of(screen, "expr") == "" and error_of(screen, "tolerance") == ""
        assert screen.badge_text == "✓ match"
        assert "cos(1)" in screen.output_text(80) and "is not the Jacobian" in screen.output_text(80)


async def test_eigen_original_example_from_home_key_4(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "4", EigenScreen)
        assert screen.query_one("#input-matrix", Input).value == "[[3,2],[2,3]]"
        await compute(pilot, "eigen")
        result = screen.result
        assert [p.text for p in result.symbolic.pairs] == ["1", "5"]
        assert sorted(round(v.real, 9) for v in result.numeric.values) == [1.0, 5.0]
        assert result.numeric.method == "eigh" and result.verification.match
        assert screen.badge_text == "✓ match"
        text = screen.output_text(80)
        for expected in ("λ  - 6⋅λ + 5", "= (λ - 5)⋅(λ - 1)", "λ = 1: v₁ = −v₂", "λ = 5: v₁ = v₂",
                         "tf.linalg.eigh", "‖Av − λv‖", "Alg. mult.", "Geom. mult."):
            assert expected in text, expected
        assert "λ = 1, 5" in screen.status_text
        summary = json.loads((screen.last_summary_path.parent / "summary.json").read_text())
        assert summary["task"] == "eigen" and summary["match"] is True


async def test_eigen_malformed_matrix_is_shown_next_to_the_field(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "4", EigenScreen)
        set_field(screen, "matrix", "[[1,2],[3]]")
        await compute(pilot, "eigen")
        assert "ragged" in error_of(screen, "matrix")
        assert not screen.running and screen.run_dir is None and no_runs(app)
        set_field(screen, "matrix", MALICIOUS)
        await compute(pilot, "eigen")
        assert "not allowed" in error_of(screen, "matrix") and no_runs(app)


async def test_eigen_rotation_and_defective_matrices_are_explained(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "4", EigenScreen)
        set_field(screen, "matrix", "[[0,-1],[1,0]]")
        await compute(pilot, "eigen")
        result = screen.result
        assert sorted((v.real, v.imag) for v in result.numeric.values) == [(0.0, -1.0), (0.0, 1.0)]
        assert result.numeric.method == "eig" and screen.badge_text == "✓ match"
        text = screen.output_text(80)
        assert "λ  + 1" in text and "−i" in text and "complex eigenvalues" in text
        set_field(screen, "matrix", "[[1,1],[0,1]]")
        await compute(pilot, "eigen")
        (pair,) = screen.result.symbolic.pairs
        assert (pair.algebraic_multiplicity, pair.geometric_multiplicity) == (2, 1)
        text = screen.output_text(80)
        assert "defective" in text and "not diagonalisable" in text and "(λ - 1)" in text
        assert screen.badge_text == "✓ match"


# ---- one result, three views ---------------------------------------------------------------

WIDE = 160  # no cell of these results folds at this width, so a table row reads as one line


def flat(text: str) -> str:
    return " ".join(text.split())


def markdown_headings_and_values(markdown: str) -> tuple[list[str], list[str]]:
    """summary.md's section headings, and what it shows outside the math: each table row
    (header included) as its cells in order, each text line and each note."""
    headings, values, fenced = [], [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced or not line.strip() or line.startswith(("# ", "**")) or set(line) <= set("|:- "):
            continue  # math, the title, the run's status and verdict, table delimiters
        elif line.startswith("## "):
            headings.append(line[3:])
        elif line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            values.append(flat(" ".join(cell.replace("\\|", "|") for cell in cells)))
        else:  # a `code` span is Markdown's markup, as a table's pipes are
            values.append(flat(line.removeprefix("- ").replace("`", "")))
    return headings, values


def headless_output(run_dir: Path, renderer_class) -> str:
    """What `fmnist-tui attach` prints for the finished run (its journal, rendered headless)."""
    console = Console(record=True, file=io.StringIO(), width=WIDE, color_system=None)
    assert follow_headless(run_dir, renderer_class(console, Console(file=io.StringIO())), foreground=False) == 0
    return console.export_text()


@pytest.mark.parametrize(
    "key, kind, fields, command, headings",
    [
        ("3", JacobianScreen, {"expr": "[x*y, sin(x) + y**2]", "at": "1,2"}, jacobian_command,
         ["Problem", "Symbolic Jacobian (SymPy)", "Autodiff (tf.GradientTape, float64)", "Verification"]),
        ("4", EigenScreen, {"matrix": "[[3,2],[2,3]]"}, eigen_command,
         ["Problem", "Characteristic polynomial", "Exact eigenpairs (SymPy)", "Numeric eigenpairs (tf.linalg.eigh)",
          "Notes"]),
    ],
)
async def test_summary_headless_and_screen_show_the_same_sections_and_values(app, key, kind, fields, command,
                                                                             headings):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, key, kind)
        for name, value in fields.items():
            set_field(screen, name, value)
        await compute(pilot, screen.TASK)
        on_screen, badge = screen.output_text(WIDE), screen.badge_text
        run_dir = screen.last_summary_path.parent
    markdown = (run_dir / "summary.md").read_text(encoding="utf-8")
    headless = await asyncio.to_thread(headless_output, run_dir, command.Renderer)

    in_markdown, values = markdown_headings_and_values(markdown)
    assert in_markdown == headings
    for shown in (headless, on_screen):
        positions = [f"\n{shown}".find(f"\n{heading} ─") for heading in headings]  # each on its rule
        assert -1 not in positions and positions == sorted(positions), positions
    assert len(values) > 15
    for value in values:
        assert value in flat(headless), value
        assert value in flat(on_screen), value
    assert "**✓ match**" in markdown and "✓ match" in headless and badge == "✓ match"
