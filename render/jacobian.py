"""A Jacobian check as sections (problem, symbolic Jacobian, autodiff, verification, notes).

Built once from the run's summary, so summary.md, the headless `run jacobian` and the
Jacobian screen read alike; the screen and the command also pass the result, whose SymPy
objects give the formulas their Unicode drawings.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from .calculus import (
    MINUS, Formula, Line, Section, bracket_matrix, draw, error, labelled_block, latex_matrix, latex_number,
    mapping, markdown_document, notes_section, number, rows_of, subscript, superscript, tolerance_text, vector_text,
)
from .table import Table

TITLE = "Jacobian check: SymPy vs GradientTape"
VERDICT = {
    True: "GradientTape's Jacobian agrees with SymPy's exact one",
    False: "GradientTape's Jacobian disagrees with SymPy's exact one",
}
MATCH_RULE = ("An entry matches when |autodiff − exact| ≤ tolerance · max(1, |exact|); "
              "the gradient is checked against the exact column sums.")


def jacobian_markdown(summary: Mapping[str, Any]) -> str:
    """summary.md of a Jacobian run; copes with partial summaries (running, cancelled, failed)."""
    return markdown_document(TITLE, summary, lambda: jacobian_sections(summary), VERDICT)


def jacobian_sections(summary: Mapping[str, Any], result: Any = None) -> list[Section]:
    """The sections of a Jacobian run; `result` (a `JacobianResult`) adds the formulas' drawings."""
    shapes = _drawable(result) if result is not None else {}
    symbolic, autodiff = summary.get("symbolic"), summary.get("autodiff")
    sections = [_problem(summary, shapes)]
    if isinstance(symbolic, Mapping):
        sections.append(_symbolic(summary, symbolic, shapes))
    if isinstance(autodiff, Mapping):
        sections.append(_autodiff(autodiff))
    if isinstance(symbolic, Mapping) and isinstance(autodiff, Mapping):
        sections.append(_verification(summary, symbolic, autodiff))
    return sections + notes_section(summary.get("notes"))


def jacobian_headline(summary: Mapping[str, Any]) -> str:
    """The answer in one line (the screen's status)."""
    gradient = mapping(summary.get("autodiff")).get("gradient") or []
    return f"tape.gradient at {_point(summary)} = {vector_text(gradient)}"


def _drawable(result: Any) -> dict[str, Any]:
    """The SymPy objects the formulas are drawn from."""
    import sympy

    problem, symbolic = result.problem, result.symbolic
    one = problem.elementwise or len(problem.components) == 1
    shapes = {
        "function": problem.components[0] if one else sympy.ImmutableMatrix(problem.components),
        "formula": symbolic.formula,
        "exact": sympy.ImmutableMatrix(symbolic.exact),
    }
    if symbolic.derivative is not None:
        shapes["derivative"] = symbolic.derivative
    return shapes


# --------------------------------------------------------------------------- the parts


def _names(summary: Mapping[str, Any]) -> list[str]:
    names = summary.get("variables")
    return [str(n) for n in names] if isinstance(names, list) else []


def _point(summary: Mapping[str, Any]) -> str:
    point = summary.get("point")
    if isinstance(point, list):
        return "(" + ", ".join(str(p) for p in point) + ")"
    return str(mapping(summary.get("config")).get("point", ""))


def _problem(summary: Mapping[str, Any], shapes: Mapping[str, Any]) -> Section:
    """The inputs as read, f, where it maps, and its value at the point."""
    config = mapping(summary.get("config"))
    names, point = ", ".join(_names(summary)), _point(summary)
    elementwise = summary.get("elementwise")
    form = "—" if not isinstance(elementwise, bool) else "elementwise" if elementwise else "vector function"
    inputs = Table(["Input", "Value"], [
        ["Expression", str(summary.get("expression", config.get("expression", "")))],
        ["Variables", names or str(config.get("variables") or "(all, sorted by name)")],
        ["Point", point],
        ["Form", form],
        ["Tolerance", tolerance_text(summary.get("tolerance", config.get("tolerance")))],
    ])
    parts: list[Any] = [inputs]
    components = summary.get("components")
    if isinstance(components, list) and components:
        body = str(components[0]) if len(components) == 1 else "[" + ", ".join(map(str, components)) + "]"
        label = f"f({names}) = "
        latex = str(summary.get("function_latex") or "")
        parts.append(Formula(latex, label + body, draw(label, shapes.get("function"))))
    parts += _mapping_lines(summary, names, point)
    return Section("Problem", tuple(parts))


def _mapping_lines(summary: Mapping[str, Any], names: str, point: str) -> list[Line]:
    lines = []
    shape = summary.get("shape")
    if isinstance(shape, list) and len(shape) == 2:
        spaces = f"f: ℝ{superscript(shape[1])} → ℝ{superscript(shape[0])}"
        if summary.get("elementwise"):
            lines.append(Line(f"Applied elementwise to {names} = {point}: yᵢ = f({names}ᵢ), so {spaces}", "note"))
        else:
            lines.append(Line(f"At ({names}) = {point}: {spaces}", "note"))
    values = mapping(summary.get("symbolic")).get("function_values")
    if isinstance(values, list):
        lines.append(Line(f"f{point} = {vector_text(values)}", "note"))
    return lines


def _symbolic(summary: Mapping[str, Any], symbolic: Mapping[str, Any], shapes: Mapping[str, Any]) -> Section:
    """SymPy's Jacobian: f′ (elementwise), the formula, and its exact value at the point."""
    names, point = ", ".join(_names(summary)) or "x", _point(summary)
    parts: list[Any] = []
    if summary.get("elementwise") and symbolic.get("derivative_latex"):
        label = f"f′({names}) = "
        parts += [
            Formula(f"f'({names}) = {symbolic['derivative_latex']}", label + str(symbolic.get("derivative")),
                    draw(label, shapes.get("derivative"))),
            Line(f"yᵢ depends only on {names}ᵢ, so ∂yᵢ/∂{names}ⱼ = 0 for i ≠ j: "
                 f"the Jacobian is diag(f′({names}ᵢ)).", "note"),
        ]
    exact = "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in rows_of(symbolic.get("exact"))) + "]"
    parts += [
        Line("Entry (i, j) of J is ∂fᵢ/∂xⱼ:", "note"),
        Formula(f"J = {symbolic.get('latex', '')}", f"J = {symbolic.get('formula', '')}",
                draw("J = ", shapes.get("formula"))),
        Line(f"Exactly, at the point {point}:", "note"),
        Formula(f"J{point} = {symbolic.get('exact_latex', '')}", f"J{point} = {exact}",
                draw(f"J{point} = ", shapes.get("exact")), strong=True),
    ]
    return Section("Symbolic Jacobian (SymPy)", tuple(parts))


def _autodiff(autodiff: Mapping[str, Any]) -> Section:
    """TensorFlow's answer: tape.jacobian, tape.gradient and what the gradient is."""
    rows = rows_of(autodiff.get("jacobian"))
    parts: list[Any] = []
    if rows:
        label = "tape.jacobian(y, x) = "
        cells = [[number(v) for v in row] for row in rows]
        latex = latex_matrix([[latex_number(v) for v in row] for row in rows])
        text = "[" + ", ".join("[" + ", ".join(row) + "]" for row in cells) + "]"
        parts.append(Formula(f"\\texttt{{tape.jacobian}}(y, x) = {latex}", label + text,
                             labelled_block(label, bracket_matrix(cells))))
    gradient = autodiff.get("gradient")
    if isinstance(gradient, list):
        parts.append(Line(f"`tape.gradient(y, x)` = {vector_text(gradient)}", "strong"))
    if autodiff.get("explanation"):
        parts.append(Line(str(autodiff["explanation"]), "note"))
    return Section("Autodiff (tf.GradientTape, float64)", tuple(parts))


def _verification(summary: Mapping[str, Any], symbolic: Mapping[str, Any], autodiff: Mapping[str, Any]) -> Section:
    """Entry by entry, the exact value against GradientTape's, and the largest errors."""
    tolerance = summary.get("tolerance")
    names = _names(summary)
    rows = []
    for i, (erow, vrow, arow) in enumerate(zip(rows_of(symbolic.get("exact")), rows_of(symbolic.get("values")),
                                               rows_of(autodiff.get("jacobian"))), 1):
        for j, (exact, value, tape) in enumerate(zip(erow, vrow, arow), 1):
            rows.append([f"∂f{subscript(i)}/∂{_column(summary, names, j)}", _exact_cell(exact, value), number(tape),
                         *_error_cells(value, tape, tolerance)])
    parts: list[Any] = [Table(["Entry", "Exact", "GradientTape", "Abs. error", "OK"], rows, "llrrc")]
    if "max_abs_error" in summary:
        parts.append(Line(f"Max abs error {error(summary.get('max_abs_error'))} · max rel error "
                          f"{error(summary.get('max_rel_error'))} · tolerance {tolerance_text(tolerance)}", "strong"))
    parts.append(Line(MATCH_RULE, "note"))
    return Section("Verification", tuple(parts))


def _column(summary: Mapping[str, Any], names: list[str], j: int) -> str:
    """The variable of column j: x₁ … xₙ in the elementwise form."""
    if summary.get("elementwise") and names:
        return names[0] + subscript(j)
    return names[j - 1] if j - 1 < len(names) else str(j)


def _exact_cell(exact: Any, value: Any) -> str:
    """The exact value, and its float where that reads differently (cos(1) ≈ 0.5403023059)."""
    text = str(exact)
    if text == number(value).replace(MINUS, "-"):
        return text.replace("-", MINUS)
    return f"{text.replace('-', MINUS)} ≈ {number(value)}"


def _error_cells(value: Any, tape: Any, tolerance: Any) -> list[str]:
    """|autodiff − exact| and whether it is within the tolerance (✓ or ✗)."""
    real = (int, float)
    if not (isinstance(value, real) and isinstance(tape, real)) or isinstance(value, bool) or isinstance(tape, bool):
        return ["—", "—"]
    try:
        err = abs(tape - value) if math.isfinite(tape) else math.inf
        ok = isinstance(tolerance, real) and err <= tolerance * max(1.0, abs(value))
    except OverflowError:  # integers beyond float range
        return ["—", "—"]
    return [error(err), "✓" if ok else "✗"]
