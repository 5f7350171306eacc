"""`fmnist-tui run eigen`: eigenpairs of a square matrix, SymPy (exact) vs tf.linalg.

Also holds the rich rendering of the derivation that the Eigen screen shows. Imports
neither TensorFlow, SymPy nor Textual at module level.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .jacobian import (
    EXIT_MISMATCH, Block, CalculusRenderer, Math, bracket_matrix, exit_code, fmt_error, fmt_number,
    notes_renderable, pretty_line, sub, vector_text,
)

__all__ = ["exit_code", "EXIT_MISMATCH"]

NAME = "eigen"
HELP = "check tf.linalg's eigenpairs of a square matrix against the exact characteristic polynomial"
EPILOG = """\
examples:
  fmnist-tui run eigen                                     # the original: [[3,2],[2,3]]
  fmnist-tui run eigen --matrix "[[3,2],[2,3]]"
  fmnist-tui run eigen --matrix "[[0,-1],[1,0]]"           # a rotation: complex eigenvalues ±i
  fmnist-tui run eigen --matrix "[[1,1],[0,1]]"            # defective: one eigenvector for λ = 1
  fmnist-tui run eigen --matrix "[[2,0,0],[0,3,4],[0,4,9]]" --tolerance 1e-12

The matrix is square, up to 6×6, with real entries: numbers, fractions such as 1/2, and
expressions such as sqrt(2) or pi/4. SymPy gives the characteristic polynomial
det(A − λI) (expanded and factored), the exact eigenvalues with their algebraic and
geometric multiplicities, and a basis of each eigenspace. The numeric side is
tf.linalg.eigh for a symmetric matrix and tf.linalg.eig otherwise; each numeric pair is
checked by its residual ‖Av − λv‖, its distance to the exact eigenvalue, and its angle to
the exact eigenspace. Complex, repeated and defective eigenvalues are explained.

exit status: 0 completed and matched (✓), 1 completed with a mismatch (✗) or failed,
2 invalid input (the message names the option), 130 cancelled (Ctrl-C).
Each run writes runs/<run-id>/summary.md (with LaTeX math) and summary.json.
"""

DEFAULT_MATRIX = "[[3,2],[2,3]]"
DEFAULT_TOLERANCE = "1e-9"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--matrix", default=DEFAULT_MATRIX, metavar="MATRIX",
                        help=f'a square matrix as nested lists, e.g. "[[3,2],[2,3]]" (default "{DEFAULT_MATRIX}")')
    parser.add_argument("--tolerance", default=DEFAULT_TOLERANCE, metavar="TOL",
                        help=f"match tolerance, in (0, 1) (default {DEFAULT_TOLERANCE})")


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.calculus.tasks import EigenTask

    matrix = DEFAULT_MATRIX if args.matrix is None else args.matrix
    tolerance = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    return EigenTask(str(matrix), tolerance)


ARGUMENT_OF_FIELD = {"matrix": "--matrix", "tolerance": "--tolerance"}


# --------------------------------------------------------------------------- the derivation


def exact_text(value: Any) -> str:
    """SymPy's text of an exact number, with i for the imaginary unit and a real minus sign."""
    import sympy

    return re.sub(r"\bI\b", "i", sympy.sstr(value)).replace("-", "−")


def relation_text(vector: tuple[Any, ...]) -> str | None:
    """For a 2-vector eigenspace basis (a, b): the relation every eigenvector satisfies."""
    import sympy

    if len(vector) != 2:
        return None
    a, b = (sympy.nsimplify(x) if isinstance(x, float) else x for x in vector)
    if a == 0:
        return "v₁ = 0"
    if b == 0:
        return "v₂ = 0"
    ratio = sympy.simplify(a / b)
    if ratio == 1:
        return "v₁ = v₂"
    if ratio == -1:
        return "v₁ = −v₂"
    return f"v₁ = {exact_text(ratio)}·v₂"


def eigen_sections(result: Any) -> list[tuple[str, RenderableType]]:
    """(title, renderable) pairs: matrix, characteristic polynomial, exact pairs, numeric, notes."""
    import sympy

    symbolic, numeric, verification = result.symbolic, result.numeric, result.verification
    matrix = symbolic.matrix
    n = matrix.rows
    poly = symbolic.polynomial
    sections: list[tuple[str, RenderableType]] = []

    kind = "symmetric" if symbolic.symmetric else "not symmetric"
    sections.append(("Matrix", Group(
        Math(pretty_line("A = ", matrix), f"A = {sympy.sstr(matrix.tolist())}"),
        Text(f"{n}×{n}, {kind}", style="dim"),
    )))

    lines: list[RenderableType] = [Text("the eigenvalues are the roots of det(A − λI):", style="dim")]
    lines.append(Math(pretty_line("det(A − λI) = ", poly.expression), f"det(A − λI) = {poly.text}"))
    if poly.factored_text != poly.text:
        lines.append(Math(pretty_line("            = ", poly.factored), f"            = {poly.factored_text}",
                          style="bold green"))
    sections.append(("Characteristic polynomial", Group(*lines)))

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("λ (exact)", overflow="fold")
    table.add_column("≈", justify="right", no_wrap=True)
    table.add_column("alg.", justify="right", no_wrap=True)
    table.add_column("geom.", justify="right", no_wrap=True)
    table.add_column("eigenspace basis", overflow="fold")
    relations = []
    for p in symbolic.pairs:
        basis = "; ".join(vector_text([exact_text(e) for e in v]) for v in p.eigenvectors)
        if not p.vectors_exact:
            basis += " (numeric)"
        geom = Text(str(p.geometric_multiplicity), style="bold yellow" if p.defective else "")
        if p.defective:
            geom.append(" defective", style="yellow")
        table.add_row(exact_text(p.value), fmt_number(p.numeric, 8),
                      str(p.algebraic_multiplicity), geom, basis)
        if n == 2 and len(p.eigenvectors) == 1 and p.vectors_exact:
            rel = relation_text(tuple(p.eigenvectors[0]))
            if rel:
                relations.append(f"λ = {exact_text(p.value)}: {rel}")
    parts: list[RenderableType] = [
        Text("for each λ, the eigenvectors are the null space of A − λI:", style="dim"), table,
    ]
    if relations:
        parts.append(Text("  ·  ".join(relations), style="bold"))
    sections.append(("Exact eigenpairs (SymPy)", Group(*parts)))

    method = f"tf.linalg.{numeric.method}"
    why = ("A is symmetric: real eigenvalues, orthonormal eigenvectors" if numeric.method == "eigh"
           else "A is not symmetric: complex128 eigenvalues and eigenvectors")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("λ (tf)", justify="right", no_wrap=True)
    table.add_column("exact", no_wrap=True)
    table.add_column("|Δλ|", justify="right", no_wrap=True)
    table.add_column("‖Av − λv‖", justify="right", no_wrap=True)
    table.add_column("sin∠", justify="right", no_wrap=True)
    table.add_column("", justify="center", no_wrap=True)
    vectors = []
    for c in verification.checks:
        pair = symbolic.pairs[c.exact_index] if symbolic.pairs else None
        paired = exact_text(pair.value) if pair is not None else "—"
        if len(paired) > 14:
            paired = fmt_number(pair.numeric, 6) + " (≈)"
        table.add_row(
            str(c.index + 1), fmt_number(c.value, 10), paired, fmt_error(c.value_error), fmt_error(c.residual),
            fmt_error(c.vector_error), Text("✓", style="green") if c.ok else Text("✗", style="bold red"),
        )
        vectors.append([fmt_number(x, 4) for x in c.vector])
    parts = [Text.assemble((method, "bold cyan"), (f" — {why}", "dim")), table]
    if vectors:
        cols = [[v[i] for v in vectors] for i in range(len(vectors[0]))]
        label = "eigenvectors (columns v" + ", v".join(sub(i + 1) for i in range(len(vectors))) + ") = "
        parts.append(Math(pretty_line(label, Block(bracket_matrix(cols))),
                          label + "; ".join(vector_text(v) for v in vectors), style=""))
    parts.append(Text.assemble(
        ("max residual ", "dim"), (fmt_error(verification.max_residual), "bold"),
        (" · max |Δλ| ", "dim"), (fmt_error(verification.max_value_error), "bold"),
        (" · max sin∠ ", "dim"), (fmt_error(verification.max_vector_error), "bold"),
        (" · tolerance ", "dim"), (f"{verification.tolerance:g}", "bold"),
        ("\n‖Av − λv‖ is relative to ‖v‖; sin∠ is the angle between v and the exact eigenspace "
         "(eigenvectors are unique only up to scale)", "dim"),
    ))
    sections.append((f"Numeric eigenpairs ({method})", Group(*parts)))
    if verification.notes:
        sections.append(("Notes", notes_renderable(verification.notes)))
    return sections


class Renderer(CalculusRenderer):
    match_text = "tf.linalg's eigenpairs agree with the exact ones"
    mismatch_text = "tf.linalg's eigenpairs disagree with the exact ones"

    def on_eigen_computed(self, event) -> None:
        self.result = event.result

    def sections(self) -> list[tuple[str, RenderableType]]:
        return eigen_sections(self.result)
