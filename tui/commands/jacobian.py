"""`fmnist-tui run jacobian`: the Jacobian of f at a point, SymPy (exact) vs GradientTape.

This module also holds the rich renderings of the derivation (pretty-printed Unicode
math, the verification table, the verdict) that the Jacobian screen shows too, and the
small math-formatting helpers the eigen command and screen share. It imports neither
TensorFlow, SymPy nor Textual at module level: SymPy is imported inside the functions
that render a result (it is already loaded by then).
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Iterable, Sequence

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markup import escape
from rich.panel import Panel
from rich.cells import cell_len
from rich.rule import Rule
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from fmnist_tui.engine.events import Event, RunFinished

from ..headless import EXIT_FAILED, HeadlessRenderer

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

DEFAULT_EXPR = "3*x**2 + 2*x + 3"
DEFAULT_AT = "1,3"
DEFAULT_TOLERANCE = "1e-9"
EXIT_MISMATCH = EXIT_FAILED  # 1: the run completed but autodiff disagreed with the exact result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--expr", default=DEFAULT_EXPR, metavar="EXPR",
                        help=f'f: one expression, or a [list] of expressions (default "{DEFAULT_EXPR}")')
    parser.add_argument("--at", default=DEFAULT_AT, metavar="POINT",
                        help=f'the point, comma-separated numbers such as 1,3 or 1/2,pi/4 (default "{DEFAULT_AT}")')
    parser.add_argument("--vars", default=None, metavar="LIST",
                        help="the variables in column order, e.g. x,y (default: the expression's, sorted by name)")
    parser.add_argument("--tolerance", default=DEFAULT_TOLERANCE, metavar="TOL",
                        help=f"match tolerance, in (0, 1) (default {DEFAULT_TOLERANCE})")


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.calculus.tasks import JacobianTask

    tolerance = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    expr = DEFAULT_EXPR if args.expr is None else args.expr
    at = DEFAULT_AT if args.at is None else args.at
    return JacobianTask(str(expr), str(at), args.vars, tolerance)


ARGUMENT_OF_FIELD = {"expr": "--expr", "at": "--at", "vars": "--vars", "tolerance": "--tolerance"}


def exit_code(terminal: Event | None) -> int | None:
    """1 for a run that completed with a mismatch; None: the usual code (0, 1, 130)."""
    if isinstance(terminal, RunFinished) and terminal.summary.get("match") is False:
        return EXIT_MISMATCH
    return None


# --------------------------------------------------------------------------- math formatting

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(i: int) -> str:
    return str(i).translate(SUBSCRIPTS)


def fmt_real(x: float, digits: int = 10) -> str:
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    return text.replace("-", "−")


def fmt_number(c: complex | float, digits: int = 10) -> str:
    """A real or complex number, compactly: 5, −0.5, 1 + 2i, −i."""
    c = complex(c)
    if c.imag == 0:
        return fmt_real(c.real, digits)
    im = abs(c.imag)
    im_text = "" if im == 1 else fmt_real(im, digits)
    if c.real == 0:
        return f"{'−' if c.imag < 0 else ''}{im_text}i"
    return f"{fmt_real(c.real, digits)} {'−' if c.imag < 0 else '+'} {im_text}i"


def fmt_error(x: float | None) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.2e}"


def vector_text(values: Iterable[Any], digits: int = 10) -> str:
    return "(" + ", ".join(v if isinstance(v, str) else fmt_number(v, digits) for v in values) + ")"


def bracket_matrix(rows: Sequence[Sequence[str]]) -> str:
    """A matrix of strings drawn with Unicode brackets, columns right-aligned."""
    if not rows:
        return "[]"
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    if len(lines) == 1:
        return f"[{lines[0]}]"
    out = []
    for i, line in enumerate(lines):
        left, right = ("⎡", "⎤") if i == 0 else (("⎣", "⎦") if i == len(lines) - 1 else ("⎢", "⎥"))
        out.append(f"{left}{line}{right}")
    return "\n".join(out)


def pretty(expr: Any) -> str:
    import sympy

    return sympy.pretty(expr, use_unicode=True, wrap_line=False)


def pretty_line(*parts: Any) -> str:
    """Pieces side by side on a common baseline: text, SymPy objects, or multi-line blocks.

    A `Block` (multi-line text such as `bracket_matrix` output) is centred on the line.
    """
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    printer = PrettyPrinter({"use_unicode": True, "wrap_line": False})
    # The brackets and ⋅ come from a global switch that defaults to ASCII when stdout is not a
    # terminal (as under Textual); sympy.pretty flips it the same way.
    previous = pretty_use_unicode(True)
    try:
        forms = []
        for part in parts:
            if isinstance(part, Block):
                lines = part.text.split("\n")
                forms.append(stringPict(part.text, baseline=(len(lines) - 1) // 2))
            elif isinstance(part, str):
                forms.append(prettyForm(part))
            else:
                forms.append(printer._print(part))
        rendered = prettyForm(*stringPict.next(*forms)).render(wrap_line=False)
    finally:
        pretty_use_unicode(previous)
    return "\n".join(line.rstrip() for line in rendered.split("\n"))


class Block:
    """Multi-line text for `pretty_line` (e.g. a numeric matrix)."""

    def __init__(self, text: str) -> None:
        self.text = text


class Math:
    """Pretty-printed math that never wraps mid-formula: if it is wider than the space,
    its one-line form is shown instead (which may wrap)."""

    def __init__(self, pretty_text: str, fallback: str, style: str = "bold") -> None:
        self.pretty_text = pretty_text
        self.fallback = fallback
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self.pretty_text.split("\n")
        if max((cell_len(line) for line in lines), default=0) <= options.max_width:
            # Segments, not Text: nothing may strip the alignment spaces of a multi-line formula.
            style = console.get_style(self.style) if self.style else None
            for line in lines:
                yield Segment(line, style)
                yield Segment.line()
        else:
            yield Text(self.fallback, style=self.style)


def verdict_panel(match: bool | None, detail: str = "") -> Panel:
    """The big ✓ match / ✗ mismatch badge (for the headless output)."""
    if match:
        text, style = "✓ match", "bold green"
    else:
        text, style = "✗ mismatch", "bold red"
    body = Text(text, style=style, justify="center")
    if detail:
        body.append("\n" + detail, style="")
    return Panel(body, box=box.HEAVY, border_style=style.split()[-1], expand=False, padding=(0, 3))


def notes_renderable(notes: Iterable[str]) -> RenderableType:
    return Group(*(Text.assemble("• ", (n, "")) for n in notes))


def paragraphs(*texts: str, style: str = "") -> Text:
    return Text("\n".join(texts), style=style)


# --------------------------------------------------------------------------- the derivation


def _symbol_name(symbol: Any) -> str:
    return pretty(symbol)


def jacobian_sections(result: Any) -> list[tuple[str, RenderableType]]:
    """(title, renderable) pairs: function, symbolic Jacobian, autodiff, verification, notes."""
    import sympy

    problem, symbolic, autodiff, comparison = result.problem, result.symbolic, result.autodiff, result.comparison
    names = ", ".join(_symbol_name(v) for v in problem.variables)
    point = problem.point_text()
    inputs = problem.input_symbols()
    n_in, n_out = problem.n_inputs, problem.n_outputs
    sections: list[tuple[str, RenderableType]] = []

    # The function
    lines: list[RenderableType] = []
    if problem.elementwise:
        f = problem.components[0]
        lines.append(Math(pretty_line(f"f({names}) = ", f), f"f({names}) = {sympy.sstr(f)}"))
        x = names
        lines.append(Text(
            f"applied elementwise to {x} = {point}: yᵢ = f({x}ᵢ), so f: ℝ{_sup(n_in)} → ℝ{_sup(n_out)}", style="dim"
        ))
    else:
        if len(problem.components) == 1:
            body: Any = problem.components[0]
        else:
            body = sympy.ImmutableMatrix(problem.components)
        lines.append(Math(pretty_line(f"f({names}) = ", body), f"f({names}) = {sympy.sstr(body)}"))
        lines.append(Text(f"at ({names}) = {point}: f: ℝ{_sup(n_in)} → ℝ{_sup(n_out)}", style="dim"))
    lines.append(Text(f"f{point} = {vector_text(symbolic.function_values)}", style="dim"))
    sections.append(("Function", Group(*lines)))

    # The symbolic Jacobian
    lines = []
    if problem.elementwise and symbolic.derivative is not None:
        lines.append(Math(pretty_line(f"f′({names}) = ", symbolic.derivative),
                          f"f′({names}) = {sympy.sstr(symbolic.derivative)}"))
        lines.append(Text(
            f"yᵢ depends only on {names}ᵢ, so ∂yᵢ/∂{names}ⱼ = 0 for i ≠ j: the Jacobian is diag(f′({names}ᵢ)).",
            style="dim",
        ))
    lines.append(Text("J[i, j] = ∂fᵢ/∂xⱼ:", style="dim"))
    lines.append(Math(pretty_line("J = ", symbolic.formula), f"J = {symbolic.text}"))
    exact = sympy.ImmutableMatrix(symbolic.exact)
    lines.append(Text(f"exactly, at {point}:", style="dim"))
    lines.append(Math(pretty_line(f"J{point} = ", exact), f"J{point} = {sympy.sstr(exact.tolist())}", style="bold green"))
    sections.append(("Symbolic Jacobian (SymPy)", Group(*lines)))

    # Autodiff
    jac_rows = [[fmt_real(v) for v in row] for row in autodiff.jacobian]
    gradient = vector_text(autodiff.gradient)
    lines = [
        Math(pretty_line("tape.jacobian(y, x) = ", Block(bracket_matrix(jac_rows))),
             f"tape.jacobian(y, x) = {[list(r) for r in autodiff.jacobian]}"),
        Text.assemble(("tape.gradient(y, x) = ", "bold"), (gradient, "bold cyan")),
        Text(autodiff.explanation, style="dim"),
    ]
    sections.append(("Autodiff (tf.GradientTape, float64)", Group(*lines)))

    # Verification
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("entry", no_wrap=True)
    table.add_column("exact", overflow="fold")
    table.add_column("GradientTape", justify="right", no_wrap=True)
    table.add_column("abs error", justify="right", no_wrap=True)
    table.add_column("", justify="center", no_wrap=True)
    tolerance = comparison.tolerance
    for i, (erow, vrow, arow) in enumerate(zip(symbolic.exact_text, symbolic.values, autodiff.jacobian)):
        for j, (e, v, a) in enumerate(zip(erow, vrow, arow)):
            err = abs(a - v) if math.isfinite(a) else math.inf
            ok = err <= tolerance * max(1.0, abs(v))
            label = f"∂f{sub(i + 1)}/∂{_symbol_name(inputs[j])}"
            exact_text = e if e == fmt_real(v).replace("−", "-") else f"{e} ≈ {fmt_real(v)}"
            table.add_row(label, exact_text.replace("-", "−"), fmt_real(a), fmt_error(err),
                          Text("✓", style="green") if ok else Text("✗", style="bold red"))
    stats = Text.assemble(
        ("max abs error ", "dim"), (fmt_error(comparison.max_abs_error), "bold"),
        (" · max rel error ", "dim"), (fmt_error(comparison.max_rel_error), "bold"),
        (" · tolerance ", "dim"), (f"{tolerance:g}", "bold"),
        ("\nan entry matches when |autodiff − exact| ≤ tolerance · max(1, |exact|); the gradient is "
         "checked against the exact column sums", "dim"),
    )
    sections.append(("Verification", Group(table, stats)))
    if comparison.notes:
        sections.append(("Notes", notes_renderable(comparison.notes)))
    return sections


def _sup(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def sections_renderable(sections: Sequence[tuple[str, RenderableType]]) -> Group:
    """All sections, each under a rule with its title."""
    parts: list[RenderableType] = []
    for k, (title, body) in enumerate(sections):
        if k:
            parts.append(Text(""))
        parts.append(Rule(f"[b]{escape(title)}[/b]", align="left", style="blue"))
        parts.append(body)
    return Group(*parts)


# --------------------------------------------------------------------------- headless


class CalculusRenderer(HeadlessRenderer):
    """Shared by `run jacobian` and `run eigen`: the derivation, the verdict, and exit 1 on ✗."""

    match_text = "the numeric result agrees with the exact one"
    mismatch_text = "the numeric result disagrees with the exact one"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.progress.live.transient = True  # a run takes a second or two; keep the output clean
        self.result: Any = None

    def exit_code(self, terminal: Event) -> int | None:
        return exit_code(terminal)

    def on_log(self, event) -> None:
        if event.level != "info":  # the derivation is printed in full at the end
            super().on_log(event)

    def sections(self) -> list[tuple[str, RenderableType]]:
        return []

    def show_result(self, summary) -> None:
        if self.result is None:
            return
        self.console.print(sections_renderable(self.sections()))
        match = bool(summary.get("match", False))
        self.console.print(verdict_panel(match, self.match_text if match else self.mismatch_text))


class Renderer(CalculusRenderer):
    match_text = "GradientTape's Jacobian agrees with SymPy's exact one"
    mismatch_text = "GradientTape's Jacobian disagrees with SymPy's exact one"

    def on_jacobian_computed(self, event) -> None:
        self.result = event.result

    def sections(self) -> list[tuple[str, RenderableType]]:
        return jacobian_sections(self.result)
