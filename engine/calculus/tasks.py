"""The calculus tasks: `JacobianTask` and `EigenTask`, their result events and Markdown.

Both validate their input in the constructor (raising `ConfigError` with field "expr",
"at", "vars", "matrix" or "tolerance"; malformed math raises `FieldExpressionError`,
which is both a `ConfigError` and an `ExpressionError`), so a front end can report bad
input before a run starts. SymPy and TensorFlow are imported lazily, so importing this
module is cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import ConfigError
from ..events import Event, Log, Progress
from ..runner import RunContext, Task
from ..summaries import fmt, markdown_table

DEFAULT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class JacobianComputed(Event):
    """The finished comparison; `result` is a `jacobian.JacobianResult`."""

    result: Any


@dataclass(frozen=True)
class EigenComputed(Event):
    """The finished comparison; `result` is an `eigen.EigenResult`."""

    result: Any


def parse_tolerance(value: Any, field: str = "tolerance") -> float:
    """A tolerance: a finite float in (0, 1); accepts numbers or text such as "1e-9"."""
    try:
        tol = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, f"The tolerance {value!r} is not a number.", "Use e.g. 1e-9.") from None
    if not math.isfinite(tol) or not 0 < tol < 1:
        raise ConfigError(field, f"The tolerance must be between 0 and 1 (got {value!r}).", "Use e.g. 1e-9.")
    return tol


# --------------------------------------------------------------------------- Jacobian


class JacobianTask(Task):
    """Jacobian of f at a point: SymPy (exact) against TensorFlow's GradientTape."""

    name = "jacobian"

    def __init__(
        self, expression: str, point: str, variables: str | None = None, tolerance: float | str = DEFAULT_TOLERANCE
    ) -> None:
        from .jacobian import parse_problem, symbolic_jacobian

        self.expression = expression
        self.point = point
        self.variables = variables if variables is None or str(variables).strip() else None
        self.tolerance = parse_tolerance(tolerance)
        self.problem = parse_problem(expression, point, self.variables)
        # The exact evaluation is cheap and finds points outside the domain (log(0), sqrt(-1)) up front.
        self._symbolic = symbolic_jacobian(self.problem)

    @classmethod
    def from_text(
        cls, expression: str, point: str, variables: str | None = None, tolerance: float | str = DEFAULT_TOLERANCE
    ) -> "JacobianTask":
        return cls(expression, point, variables, tolerance)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "JacobianTask":
        return cls(str(options.get("expression", "")), str(options.get("point", "")), options.get("variables"),
                   options.get("tolerance", DEFAULT_TOLERANCE))

    def config_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "point": self.point,
            "variables": self.variables,
            "tolerance": self.tolerance,
        }

    def params(self) -> dict[str, Any]:
        return {
            "variables": list(self.problem.variable_names),
            "shape": [self.problem.n_outputs, self.problem.n_inputs],
            "elementwise": self.problem.elementwise,
        }

    def run(self, ctx: RunContext) -> None:
        from . import jacobian as jac

        problem = self.problem
        ctx.summary.update(jac.problem_summary(problem))
        ctx.emit(Progress(done=0, total=3, label="symbolic Jacobian (SymPy)"))
        symbolic = self._symbolic
        ctx.summary.update(jac.symbolic_summary(symbolic))
        ctx.emit(Log(f"SymPy Jacobian at {problem.point_text()}: {symbolic.text}"))
        ctx.checkpoint()
        ctx.check_cancelled()
        ctx.emit(Progress(done=1, total=3, label="autodiff Jacobian (GradientTape)"))
        autodiff = jac.autodiff_jacobian(problem)
        ctx.summary.update(jac.autodiff_summary(autodiff))
        ctx.emit(Log(f"GradientTape.jacobian: {[list(r) for r in autodiff.jacobian]}"))
        ctx.check_cancelled()
        ctx.emit(Progress(done=2, total=3, label="comparison"))
        comparison = jac.compare(symbolic, autodiff, self.tolerance)
        ctx.summary.update(jac.comparison_summary(comparison))
        result = jac.JacobianResult(problem, symbolic, autodiff, comparison)
        ctx.emit(Progress(done=3, total=3, label="done"))
        ctx.emit(
            Log(
                f"{'✓ match' if comparison.match else '✗ mismatch'}: max abs error {comparison.max_abs_error:.3g}, "
                f"max rel error {comparison.max_rel_error:.3g} (tolerance {comparison.tolerance:g})",
                level="info" if comparison.match else "warning",
            )
        )
        ctx.emit(JacobianComputed(result=result))

    def render_markdown(self, summary: dict[str, Any]) -> str:
        return render_jacobian_markdown(summary)


# --------------------------------------------------------------------------- eigen


class EigenTask(Task):
    """Eigenpairs of a square matrix: SymPy (exact) against tf.linalg.eigh / eig."""

    name = "eigen"

    def __init__(self, matrix: str, tolerance: float | str = DEFAULT_TOLERANCE) -> None:
        from .eigen import parse_matrix_input

        self.matrix_text = matrix
        self.tolerance = parse_tolerance(tolerance)
        self.matrix = parse_matrix_input(matrix)

    @classmethod
    def from_text(cls, matrix: str, tolerance: float | str = DEFAULT_TOLERANCE) -> "EigenTask":
        return cls(matrix, tolerance)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "EigenTask":
        return cls(str(options.get("matrix", "")), options.get("tolerance", DEFAULT_TOLERANCE))

    def config_dict(self) -> dict[str, Any]:
        return {"matrix": self.matrix_text, "tolerance": self.tolerance}

    def params(self) -> dict[str, Any]:
        return {"size": self.matrix.rows, "symmetric": bool(self.matrix == self.matrix.T)}

    def run(self, ctx: RunContext) -> None:
        from . import eigen as eg

        n = self.matrix.rows
        ctx.emit(Progress(done=0, total=3, label=f"exact eigenpairs of a {n}×{n} matrix (SymPy)"))
        symbolic = eg.exact_eigen(self.matrix)
        symbolic_part = eg.symbolic_summary(symbolic)
        ctx.summary.update(symbolic_part)
        ctx.emit(Log(f"det(A − λI) = {symbolic.polynomial.factored_text}"))
        ctx.checkpoint()
        ctx.check_cancelled()
        ctx.emit(Progress(done=1, total=3, label="numeric eigenpairs (tf.linalg)"))
        numeric = eg.numeric_eigen(self.matrix)
        ctx.emit(Log(f"tf.linalg.{numeric.method} done"))
        ctx.check_cancelled()
        ctx.emit(Progress(done=2, total=3, label="verification"))
        verification = eg.verify(symbolic, numeric, self.tolerance)
        ctx.summary.update(eg.merge_summaries(symbolic_part, eg.numeric_summary(symbolic, numeric, verification)))
        result = eg.EigenResult(str(self.matrix_text).strip(), symbolic, numeric, verification)
        ctx.emit(Progress(done=3, total=3, label="done"))
        ctx.emit(
            Log(
                f"{'✓ match' if verification.match else '✗ mismatch'}: max residual {verification.max_residual:.3g}",
                level="info" if verification.match else "warning",
            )
        )
        ctx.emit(EigenComputed(result=result))

    def render_markdown(self, summary: dict[str, Any]) -> str:
        return render_eigen_markdown(summary)


# --------------------------------------------------------------------------- Markdown


def _math(latex: str) -> str:
    return f"```math\n{latex}\n```"


def _header(title: str, summary: Mapping[str, Any]) -> list[str]:
    status = summary.get("status", "unknown")
    lines = [f"# {title}", ""]
    meta = [f"**Status:** {status}"]
    if summary.get("run_id"):
        meta.append(f"**Run:** `{summary['run_id']}`")
    if summary.get("seconds_total") is not None:
        meta.append(f"**Time:** {fmt(summary['seconds_total'], 2)} s")
    lines += [" · ".join(meta), ""]
    if summary.get("error"):
        lines += [f"> **Error:** {summary['error']}", ">", f"> {summary.get('hint', '')}".rstrip(), ""]
    return lines


def _verdict(summary: Mapping[str, Any]) -> str:
    if "match" not in summary:
        return ""
    return "**Match: ✓**" if summary["match"] else "**Match: ✗**"


def _number(value: Any) -> str:
    if isinstance(value, Mapping) and "re" in value:
        re_, im = value.get("re"), value.get("im")
        if isinstance(re_, (int, float)) and isinstance(im, (int, float)):
            return f"{re_:.6g} {'+' if im >= 0 else '−'} {abs(im):.6g}i"
        return f"{re_} + {im}i"
    if isinstance(value, float):
        return f"{value:.10g}"
    return fmt(value)


def _sci(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.2e}"
    return fmt(value)


def render_jacobian_markdown(summary: Mapping[str, Any]) -> str:
    """Markdown for a Jacobian run; copes with partial summaries (running, cancelled, failed)."""
    try:
        return _render_jacobian(summary)
    except Exception as exc:  # a summary must always be writable
        return "\n".join(_header("Jacobian check", summary) + [f"(Could not render the details: {exc})", ""])


def _render_jacobian(summary: Mapping[str, Any]) -> str:
    lines = _header("Jacobian check: SymPy vs GradientTape", summary)
    config = summary.get("config") or {}
    variables = summary.get("variables") or config.get("variables") or "(all, sorted by name)"
    if isinstance(variables, list):
        variables = ", ".join(variables)
    point = summary.get("point")
    point_text = "(" + ", ".join(point) + ")" if isinstance(point, list) else config.get("point", "")
    lines += ["## Problem", ""]
    lines.append(
        markdown_table(
            ["Input", "Value"],
            [
                ["Expression", summary.get("expression", config.get("expression", ""))],
                ["Variables", variables],
                ["Point", point_text],
                ["Form", ("elementwise" if summary.get("elementwise") else "vector function") if "elementwise" in summary else "—"],
                ["Tolerance", config.get("tolerance", summary.get("tolerance", "—"))],
            ],
        )
    )
    lines.append("")
    if summary.get("function_latex"):
        lines += [_math(summary["function_latex"]), ""]
    symbolic = summary.get("symbolic")
    if isinstance(symbolic, Mapping):
        lines += ["## Symbolic Jacobian (SymPy)", ""]
        if summary.get("elementwise") and symbolic.get("derivative_latex"):
            var = (summary.get("variables") or ["x"])[0]
            lines += [
                f"f acts on each coordinate separately, so ∂fᵢ/∂{var}ⱼ = 0 for i ≠ j and the Jacobian is diagonal:",
                "",
                _math(f"f'({var}) = {symbolic['derivative_latex']}"),
                "",
            ]
        lines += ["Entry (i, j) is ∂fᵢ/∂xⱼ:", "", _math(f"J_f = {symbolic.get('latex', '')}"), ""]
        lines += [f"At the point {point_text}:", "", _math(f"J_f{point_text} = {symbolic.get('exact_latex', '')}"), ""]
    autodiff = summary.get("autodiff")
    if isinstance(autodiff, Mapping):
        lines += ["## Autodiff (TensorFlow GradientTape, float64)", ""]
        jac = autodiff.get("jacobian") or []
        if jac:
            rows = r" \\ ".join(" & ".join(f"{v:.10g}" if isinstance(v, float) else str(v) for v in row) for row in jac)
            lines += ["`tape.jacobian(y, x)`:", "", _math(f"J_{{\\text{{tape}}}} = \\begin{{bmatrix}} {rows} \\end{{bmatrix}}"), ""]
        grad = autodiff.get("gradient")
        if grad is not None:
            shown = ", ".join(f"{g:.10g}" if isinstance(g, float) else str(g) for g in grad)
            lines += [f"`tape.gradient(y, x)` = ({shown})", ""]
        if autodiff.get("explanation"):
            lines += [str(autodiff["explanation"]), ""]
    if isinstance(symbolic, Mapping) and isinstance(autodiff, Mapping):
        lines += ["## Verification", ""]
        exact = symbolic.get("exact") or []
        values = symbolic.get("values") or []
        jac = autodiff.get("jacobian") or []
        names = summary.get("variables") or []
        rows = []
        for i, (erow, vrow, arow) in enumerate(zip(exact, values, jac), 1):
            for j, (e, v, a) in enumerate(zip(erow, vrow, arow), 1):
                err = abs(a - v) if isinstance(a, (int, float)) and isinstance(v, (int, float)) else None
                var = f"{names[0]}{j}" if summary.get("elementwise") and names else (names[j - 1] if j - 1 < len(names) else str(j))
                rows.append([f"∂f{i}/∂{var}", e, _number(v), _number(a), _sci(err)])
        lines.append(markdown_table(["Entry", "Exact", "Exact (float)", "GradientTape", "Abs. error"], rows, ["l", "l", "r", "r", "r"]))
        lines.append("")
    if "match" in summary:
        lines += [
            f"Max absolute error: {_sci(summary.get('max_abs_error'))} · max relative error: "
            f"{_sci(summary.get('max_rel_error'))} · tolerance: {summary.get('tolerance')} "
            f"({summary.get('tolerance_rule', '')})",
            "",
            _verdict(summary),
            "",
        ]
        for note in summary.get("notes") or []:
            lines.append(f"- {note}")
        if summary.get("notes"):
            lines.append("")
    return "\n".join(lines)


def render_eigen_markdown(summary: Mapping[str, Any]) -> str:
    """Markdown for an eigen run; copes with partial summaries (running, cancelled, failed)."""
    try:
        return _render_eigen(summary)
    except Exception as exc:  # a summary must always be writable
        return "\n".join(_header("Eigenpairs", summary) + [f"(Could not render the details: {exc})", ""])


def _render_eigen(summary: Mapping[str, Any]) -> str:
    lines = _header("Eigenpairs: SymPy vs tf.linalg", summary)
    config = summary.get("config") or {}
    lines += ["## Problem", ""]
    lines.append(
        markdown_table(
            ["Input", "Value"],
            [["Matrix", config.get("matrix", "")], ["Tolerance", config.get("tolerance", summary.get("tolerance", "—"))]],
        )
    )
    lines.append("")
    if summary.get("matrix_latex"):
        lines += [_math(f"A = {summary['matrix_latex']}"), ""]
    poly = summary.get("characteristic_polynomial")
    if isinstance(poly, Mapping):
        lines += [
            "## Characteristic polynomial",
            "",
            "The eigenvalues are the roots of det(A − λI):",
            "",
            _math(f"\\det(A - \\lambda I) = {poly.get('latex', '')} = {poly.get('factored_latex', '')}"),
            "",
        ]
    eigen = summary.get("eigenvalues")
    if isinstance(eigen, Mapping) and eigen.get("exact"):
        lines += ["## Exact eigenpairs (SymPy)", ""]
        lines.append("For each eigenvalue λ, the eigenvectors span the null space of A − λI:")
        lines.append("")
        for pair in eigen["exact"]:
            vecs = ", ".join(pair.get("eigenvectors_latex") or [])
            lines.append(
                _math(
                    f"\\lambda = {pair.get('latex', '')}:\\quad \\text{{alg. mult.}} = {pair.get('algebraic_multiplicity')},"
                    f"\\ \\text{{geom. mult.}} = {pair.get('geometric_multiplicity')},\\quad v \\in \\operatorname{{span}}\\left\\{{{vecs}\\right\\}}"
                )
            )
            lines.append("")
        rows = [
            [
                p.get("value"),
                _number(p.get("float")),
                p.get("algebraic_multiplicity"),
                p.get("geometric_multiplicity"),
                "; ".join("(" + ", ".join(v) + ")" for v in p.get("eigenvectors") or []),
            ]
            for p in eigen["exact"]
        ]
        lines.append(markdown_table(["λ (exact)", "λ (float)", "Alg. mult.", "Geom. mult.", "Eigenspace basis"], rows))
        lines.append("")
    numeric = eigen.get("numeric") if isinstance(eigen, Mapping) else None
    if numeric:
        lines += [f"## Verification ({summary.get('method', 'tf.linalg')})", ""]
        rows = [
            [
                i,
                _number(c.get("value")),
                c.get("paired_with"),
                _sci(c.get("value_error")),
                _sci(c.get("residual")),
                _sci(c.get("vector_error")),
                "✓" if c.get("ok") else "✗",
            ]
            for i, c in enumerate(numeric, 1)
        ]
        lines.append(
            markdown_table(
                ["#", "λ (numeric)", "Paired with", "|Δλ|", "‖Av − λv‖", "Vector angle (sin)", "OK"],
                rows,
                ["r", "r", "l", "r", "r", "r", "c"],
            )
        )
        lines.append("")
    if "match" in summary:
        lines += [
            f"Max residual: {_sci(summary.get('max_residual'))} · max eigenvalue error: "
            f"{_sci(summary.get('max_value_error'))} · max eigenvector error: {_sci(summary.get('max_vector_error'))} · "
            f"tolerance: {summary.get('tolerance')}",
            "",
            _verdict(summary),
            "",
        ]
    notes = summary.get("notes") or []
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)
