"""The calculus tasks: `JacobianTask` and `EigenTask`, and their result events.

Their input is a `JacobianConfig` / `EigenConfig` (settings declared in setting_specs.py):
`parse(values)` and `errors(values)` check it as the tasks' constructors do (raising
`ConfigError` with field "expr", "at", "vars", "matrix" or "tolerance"; malformed math
raises `FieldExpressionError`, which is both a `ConfigError` and an `ExpressionError`), so
a front end can report bad input before a run starts. SymPy and TensorFlow are imported
lazily, so importing this module is cheap. Their summaries read as Markdown through `render.jacobian` and
`render.eigen` (re-exported here as `render_jacobian_markdown`, `render_eigen_markdown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fmnist_tui.render.eigen import eigen_markdown as render_eigen_markdown
from fmnist_tui.render.jacobian import jacobian_markdown as render_jacobian_markdown

__all__ = ["DEFAULT_TOLERANCE", "EigenComputed", "EigenConfig", "EigenTask", "JacobianComputed", "JacobianConfig",
           "JacobianTask", "render_eigen_markdown", "render_jacobian_markdown"]

from ..events import Event, Log, Progress
from ..runner import RunContext, Task
from ..setting_specs import SettingsConfig, setting_named, settings_config
from ..validators import tolerance as parse_tolerance

DEFAULT_TOLERANCE: float = setting_named("jacobian.tolerance").value(None)


@dataclass(frozen=True)
class JacobianComputed(Event):
    """The finished comparison; `result` is a `jacobian.JacobianResult`."""

    result: Any


@dataclass(frozen=True)
class EigenComputed(Event):
    """The finished comparison; `result` is an `eigen.EigenResult`."""

    result: Any


@settings_config("jacobian")
class JacobianConfig(SettingsConfig):
    """The Jacobian's input: f, the point, the variables' order and the match tolerance."""

    expr: str
    at: str
    vars: str | None
    tolerance: float

    def check(self) -> None:
        """f and the point parse, with one value per variable (SymPy; not yet evaluated)."""
        from .jacobian import parse_problem

        parse_problem(self.expr, self.at, self.vars)

    def to_dict(self) -> dict[str, Any]:
        """The task's options (`JacobianTask.from_options`)."""
        return {"expression": self.expr, "point": self.at, "variables": self.vars, "tolerance": self.tolerance}


@settings_config("eigen")
class EigenConfig(SettingsConfig):
    """The eigen check's input: the matrix and the match tolerance."""

    matrix: str
    tolerance: float

    def check(self) -> None:
        """The matrix parses: square, at most 6×6, real entries (SymPy)."""
        from .eigen import parse_matrix_input

        parse_matrix_input(self.matrix)

    def to_dict(self) -> dict[str, Any]:
        """The task's options (`EigenTask.from_options`)."""
        return {"matrix": self.matrix, "tolerance": self.tolerance}


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
