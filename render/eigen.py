"""An eigen check as sections (problem, characteristic polynomial, exact and numeric pairs, notes).

Built once from the run's summary, so summary.md, the headless `run eigen` and the Eigen
screen read alike; the screen and the command also pass the result, whose SymPy objects
give the formulas their Unicode drawings.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .calculus import (
    Formula, Line, Section, bracket_matrix, draw, error, exact_text, labelled_block, latex_matrix, mapping,
    markdown_document, notes_section, number, rows_of, subscript, tolerance_text, vector_text,
)
from .table import Table

TITLE = "Eigenpairs: SymPy vs tf.linalg"
VERDICT = {
    True: "tf.linalg's eigenpairs agree with the exact ones",
    False: "tf.linalg's eigenpairs disagree with the exact ones",
}
PAIRED_WIDTH = 14  # longer exact values are shown by their float in the numeric table
VECTOR_DIGITS = 4  # the numeric eigenvectors, drawn as a matrix


def eigen_markdown(summary: Mapping[str, Any]) -> str:
    """summary.md of an eigen run; copes with partial summaries (running, cancelled, failed)."""
    return markdown_document(TITLE, summary, lambda: eigen_sections(summary), VERDICT)


def eigen_sections(summary: Mapping[str, Any], result: Any = None) -> list[Section]:
    """The sections of an eigen run; `result` (an `EigenResult`) adds the formulas' drawings."""
    shapes = _drawable(result) if result is not None else {}
    sections = [_problem(summary, shapes)]
    polynomial = summary.get("characteristic_polynomial")
    if isinstance(polynomial, Mapping):
        sections.append(_polynomial(polynomial, shapes))
    eigenvalues = mapping(summary.get("eigenvalues"))
    exact, numeric = _objects(eigenvalues.get("exact")), _objects(eigenvalues.get("numeric"))
    if exact:
        sections.append(_exact_pairs(exact))
    if numeric:
        sections.append(_numeric_pairs(summary, exact, numeric))
    return sections + notes_section(summary.get("notes"))


def eigen_headline(summary: Mapping[str, Any]) -> str:
    """The answer in one line (the screen's status)."""
    exact = _objects(mapping(summary.get("eigenvalues")).get("exact"))
    values = ", ".join(exact_text(p.get("value")) for p in exact)
    return f"λ = {values} ({summary.get('method', 'tf.linalg')})"


def _drawable(result: Any) -> dict[str, Any]:
    """The SymPy objects the formulas are drawn from."""
    polynomial = result.symbolic.polynomial
    return {"matrix": result.symbolic.matrix, "polynomial": polynomial.expression, "factored": polynomial.factored}


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _nested(rows: Sequence[Sequence[Any]]) -> str:
    return "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in rows) + "]"


# --------------------------------------------------------------------------- the parts


def _problem(summary: Mapping[str, Any], shapes: Mapping[str, Any]) -> Section:
    """The matrix as read (as entered, if it could not be read), its shape and the tolerance."""
    config = mapping(summary.get("config"))
    rows = rows_of(summary.get("matrix"))
    matrix = _nested(rows) if rows else str(config.get("matrix", ""))
    size, symmetric = summary.get("size"), summary.get("symmetric")
    shape = "—" if size is None else f"{size}×{size}"
    if isinstance(symmetric, bool):
        shape += ", symmetric" if symmetric else ", not symmetric"
    inputs = Table(["Input", "Value"], [
        ["Matrix", matrix],
        ["Shape", shape],
        ["Tolerance", tolerance_text(summary.get("tolerance", config.get("tolerance")))],
    ])
    parts: list[Any] = [inputs]
    if rows or summary.get("matrix_latex"):
        parts.append(Formula(f"A = {summary.get('matrix_latex', '')}" if summary.get("matrix_latex") else "",
                             f"A = {matrix}", draw("A = ", shapes.get("matrix"))))
    return Section("Problem", tuple(parts))


def _polynomial(polynomial: Mapping[str, Any], shapes: Mapping[str, Any]) -> Section:
    """det(A − λI), expanded and (where that differs) factored."""
    label = "det(A − λI) = "
    latex = f"\\det(A - \\lambda I) = {polynomial.get('latex', '')}"
    text = label + str(polynomial.get("string", polynomial.get("latex", ""))).replace("lambda", "λ")
    drawn = draw(label, shapes.get("polynomial"))
    factored = polynomial.get("factored")
    if polynomial.get("factored_latex") and factored != polynomial.get("string"):
        aligned = " " * (len(label) - 2) + "= "  # under the first =
        latex += f" = {polynomial['factored_latex']}"
        text += " = " + str(factored or polynomial.get("factored_latex")).replace("lambda", "λ")
        drawn = drawn and drawn + "\n" + draw(aligned, shapes.get("factored"))
    parts = (Line("The eigenvalues are the roots of det(A − λI):", "note"), Formula(latex, text, drawn))
    return Section("Characteristic polynomial", parts)


def _exact_pairs(exact: list[Mapping[str, Any]]) -> Section:
    """Each exact eigenvalue with its multiplicities and eigenspace; for 2×2, how v₁ and v₂ relate."""
    rows = []
    for pair in exact:
        geometric = str(pair.get("geometric_multiplicity"))
        if pair.get("defective"):
            geometric += " (defective)"
        rows.append([exact_text(pair.get("value")), number(pair.get("float")), str(pair.get("algebraic_multiplicity")),
                     geometric, _basis(pair)])
    table = Table(["λ (exact)", "λ (float)", "Alg. mult.", "Geom. mult.", "Eigenspace basis"], rows, "lrrrl")
    parts: list[Any] = [Line("For each λ, the eigenvectors are the null space of A − λI:", "note"), table]
    relations = [f"λ = {exact_text(p.get('value'))}: {p['relation']}" for p in exact if p.get("relation")]
    if relations:
        parts.append(Line("  ·  ".join(relations), "strong"))
    return Section("Exact eigenpairs (SymPy)", tuple(parts))


def _basis(pair: Mapping[str, Any]) -> str:
    vectors = [v for v in pair.get("eigenvectors") or [] if isinstance(v, list)]
    text = "; ".join(vector_text(exact_text(e) for e in v) for v in vectors)
    return text + (" (numeric)" if pair.get("vectors_exact") is False else "")


def _numeric_pairs(summary: Mapping[str, Any], exact: list[Mapping[str, Any]],
                   numeric: list[Mapping[str, Any]]) -> Section:
    """tf.linalg's pairs, each checked against the exact one it was paired with."""
    method = str(summary.get("method", "tf.linalg"))
    why = ("A is symmetric: real eigenvalues, orthonormal eigenvectors" if method.endswith("eigh")
           else "A is not symmetric: complex128 eigenvalues and eigenvectors")
    rows = [[str(i), number(check.get("value")), _paired(check.get("paired_with"), exact),
             error(check.get("value_error")), error(check.get("residual")), error(check.get("vector_error")),
             "✓" if check.get("ok") else "✗"]
            for i, check in enumerate(numeric, 1)]
    table = Table(["#", "λ (numeric)", "Paired with", "|Δλ|", "‖Av − λv‖", "sin∠", "OK"], rows, "rrlrrrc")
    parts: list[Any] = [Line(f"`{method}` — {why}"), table]
    vectors = [[number(x, VECTOR_DIGITS) for x in check["vector"]] for check in numeric
               if isinstance(check.get("vector"), list)]
    if vectors:
        parts.append(_eigenvector_matrix(vectors))
    parts += [
        Line(f"Max residual {error(summary.get('max_residual'))} · max |Δλ| {error(summary.get('max_value_error'))}"
             f" · max sin∠ {error(summary.get('max_vector_error'))} · tolerance "
             f"{tolerance_text(summary.get('tolerance'))}", "strong"),
        Line("‖Av − λv‖ is relative to ‖v‖; sin∠ is the angle between v and the exact eigenspace "
             "(eigenvectors are unique only up to scale).", "note"),
    ]
    return Section(f"Numeric eigenpairs ({method})", tuple(parts))


def _paired(value: Any, exact: list[Mapping[str, Any]]) -> str:
    """The exact eigenvalue a numeric one was paired with; by its float when the exact form is long."""
    if value is None:
        return "—"
    text = exact_text(value)
    if len(text) <= PAIRED_WIDTH:
        return text
    pair = next((p for p in exact if p.get("value") == value), None)
    return f"{number(pair.get('float'), 6)} (≈)" if pair is not None and pair.get("float") is not None else text


def _eigenvector_matrix(vectors: list[list[str]]) -> Formula:
    """The numeric eigenvectors as the columns of a matrix."""
    columns = [list(row) for row in zip(*vectors)]
    names = [f"v{subscript(i)}" for i in range(1, len(vectors) + 1)]
    label = f"eigenvectors (columns {', '.join(names)}) = "
    latex_names = " & ".join(f"v_{{{i}}}" for i in range(1, len(vectors) + 1))
    latex = latex_matrix([[cell.replace("−", "-") for cell in row] for row in columns])
    return Formula(f"\\begin{{bmatrix}} {latex_names} \\end{{bmatrix}} = {latex}",
                   label + "; ".join(vector_text(v) for v in vectors),
                   labelled_block(label, bracket_matrix(columns)))
