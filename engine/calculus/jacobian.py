"""The Jacobian of a user-entered function, two ways: symbolically (SymPy) and by autodiff.

Two input forms:

* a single expression in ONE variable, applied elementwise to a vector point
  (``3*x**2 + 2*x + 3`` at ``1, 3``: f: R² → R², J = diag(6x + 2) = [[8, 0], [0, 20]]);
* an expression or a list of expressions in named variables, with one point value per
  variable (``[x*y, sin(x) + y**2]`` at ``1, 2``: f: Rᵐ → Rⁿ).

The symbolic side is SymPy's Jacobian, evaluated exactly at the point. The autodiff side
translates the same expression tree into TensorFlow ops (float64) and differentiates it
with `GradientTape.jacobian`, and also calls `GradientTape.gradient` as the original
exercise did, explaining what that returns. Everything is a pure function returning a
frozen dataclass; TensorFlow is imported only inside `autodiff_jacobian`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ConfigError, ExpressionError
from .parsing import (
    MAX_VARIABLES,
    BoundError,
    abbreviate,
    bounded_value,
    in_field,
    parse_expressions,
    parse_variables,
    parse_vector,
    safe_complex,
)
from .results import SummarisedResult

DEFAULT_TOLERANCE = 1e-9
MAX_COMPONENTS = 10
MAX_POINT_LENGTH = 10
#: Parts (SymPy tree nodes) the Jacobian's formula may have: differentiating x**x**…**x makes
#: it grow quadratically, and printing it takes seconds per few thousand parts.
MAX_FORMULA_NODES = 2000


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class JacobianProblem:
    """A parsed and validated Jacobian problem."""

    expression: str  # the text as entered
    components: tuple[Any, ...]  # SymPy expressions f₁ … fₙ (one, for the elementwise form)
    variables: tuple[Any, ...]  # SymPy Symbols, in column order
    point: tuple[Any, ...]  # exact SymPy numbers
    elementwise: bool  # a one-variable expression applied to each entry of the point

    @property
    def n_inputs(self) -> int:
        return len(self.point)

    @property
    def n_outputs(self) -> int:
        return len(self.point) if self.elementwise else len(self.components)

    @property
    def variable_names(self) -> tuple[str, ...]:
        return tuple(str(v) for v in self.variables)

    @property
    def point_floats(self) -> tuple[float, ...]:
        return tuple(float(safe_complex(p).real) for p in self.point)

    def input_symbols(self) -> tuple[Any, ...]:
        """The symbols of the Jacobian's columns: x₁ … xₙ in the elementwise form."""
        if not self.elementwise:
            return self.variables
        name = str(self.variables[0])
        return tuple(sympy.Symbol(f"{name}_{i}", real=True) for i in range(1, len(self.point) + 1))

    def output_expressions(self) -> tuple[Any, ...]:
        """f as a vector of expressions in `input_symbols()`."""
        if not self.elementwise:
            return self.components
        (f,) = self.components
        return tuple(f.subs(self.variables[0], s) for s in self.input_symbols())

    def function_latex(self) -> str:
        names = ", ".join(sympy.latex(v) for v in self.variables)
        if self.elementwise:
            body = sympy.latex(self.components[0])
            return f"f({names}) = {body} \\quad \\text{{applied elementwise to }} \\mathbb{{R}}^{{{self.n_inputs}}}"
        if len(self.components) == 1:
            return f"f({names}) = {sympy.latex(self.components[0])}"
        rows = r" \\ ".join(sympy.latex(c) for c in self.components)
        return f"f({names}) = \\begin{{bmatrix}} {rows} \\end{{bmatrix}}"

    def point_text(self) -> str:
        return "(" + ", ".join(sympy.sstr(p) for p in self.point) + ")"


@dataclass(frozen=True)
class SymbolicJacobian:
    """SymPy's Jacobian: the formula, and its exact and float values at the point."""

    formula: Any  # sympy.ImmutableMatrix in `problem.input_symbols()`
    derivative: Any | None  # f'(x) in the elementwise form, else None
    pretty: str  # unicode rendering of the formula (multi-line)
    text: str  # one-line SymPy string of the formula
    latex: str
    exact: tuple[tuple[Any, ...], ...]  # exact SymPy values at the point
    exact_text: tuple[tuple[str, ...], ...]
    exact_latex: str
    values: tuple[tuple[float, ...], ...]  # the exact values as floats
    function_values: tuple[float, ...]  # f at the point


@dataclass(frozen=True)
class AutodiffJacobian:
    """TensorFlow's answer: `GradientTape.jacobian` and `GradientTape.gradient`, float64."""

    jacobian: tuple[tuple[float, ...], ...]
    gradient: tuple[float, ...]
    function_values: tuple[float, ...]
    explanation: str
    seconds: float


@dataclass(frozen=True)
class JacobianComparison:
    """The verdict: errors between autodiff and the exact Jacobian, and whether they match.

    An entry matches when |autodiff − exact| ≤ tolerance · max(1, |exact|) (relative for
    large entries, absolute near zero). The gradient is checked against the exact column
    sums the same way.
    """

    max_abs_error: float
    max_rel_error: float
    gradient_max_abs_error: float
    tolerance: float
    match: bool
    notes: tuple[str, ...]


@dataclass(frozen=True)
class JacobianResult(SummarisedResult):
    problem: JacobianProblem
    symbolic: SymbolicJacobian
    autodiff: AutodiffJacobian
    comparison: JacobianComparison

    def summary_part(self) -> dict[str, Any]:
        return {**problem_summary(self.problem), **symbolic_summary(self.symbolic),
                **autodiff_summary(self.autodiff), **comparison_summary(self.comparison)}


# --------------------------------------------------------------------------- parsing


def parse_problem(expression: str, point: str, variables: str | None = None) -> JacobianProblem:
    """Parse and validate the inputs; raises `ConfigError` with field "expr", "at" or "vars".

    The errors raised for malformed text are `FieldExpressionError`s, which are both
    `ConfigError` and `ExpressionError`.
    """
    components, is_list = _parse_components(expression)
    symbols = _column_symbols(components, variables)
    values = _parse_point(point)
    elementwise = not is_list and len(symbols) == 1
    _check_point_length(values, symbols, elementwise)
    problem = JacobianProblem(
        expression=str(expression).strip(),
        components=tuple(components),
        variables=tuple(symbols),
        point=tuple(values),
        elementwise=elementwise,
    )
    _check_bounded_at_point(problem)
    return problem


def _parse_components(expression: str) -> tuple[list[Any], bool]:
    """f's components, and whether they were written as a [list]."""
    try:
        components, is_list = parse_expressions(expression, what="expression")
    except ExpressionError as exc:
        raise in_field("expr", exc) from None
    if len(components) > MAX_COMPONENTS:
        raise ConfigError(
            "expr", f"Too many components ({len(components)}; the limit is {MAX_COMPONENTS}).", "Use fewer components."
        )
    return components, is_list


def _column_symbols(components: list[Any], variables: str | None) -> list[Any]:
    """The Jacobian's variables in column order: as listed, else f's own sorted by name."""
    free = sorted(set().union(*(c.free_symbols for c in components)), key=lambda s: s.name)
    if variables is not None and str(variables).strip():
        try:
            names = parse_variables(str(variables))
        except ExpressionError as exc:
            raise in_field("vars", exc) from None
        symbols = [sympy.Symbol(n, real=True) for n in names]
        missing = [s.name for s in free if s not in symbols]
        if missing:
            raise ConfigError(
                "vars",
                f"The expression uses {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not in the variable list ({', '.join(names)}).",
                "List every variable of the expression, or leave the variable list empty to use all of them.",
            )
    else:
        symbols = free
        if not symbols:
            raise ConfigError(
                "expr",
                "The expression has no variables, so its Jacobian is empty.",
                "Use a variable such as x, or name the variables explicitly (e.g. vars x).",
            )
    if len(symbols) > MAX_VARIABLES:
        raise ConfigError("vars", f"Too many variables (the limit is {MAX_VARIABLES}).", "Use fewer variables.")
    return symbols


def _check_point_length(values: list[Any], symbols: list[Any], elementwise: bool) -> None:
    """One value per variable; any number (up to a limit) for an elementwise f."""
    names = ", ".join(s.name for s in symbols)
    if elementwise:
        if len(values) > MAX_POINT_LENGTH:
            raise ConfigError(
                "at", f"The point has {len(values)} values; the limit is {MAX_POINT_LENGTH}.", "Use a shorter point."
            )
    elif len(values) != len(symbols):
        raise ConfigError(
            "at",
            f"The point has {len(values)} value{'s' if len(values) != 1 else ''} but there "
            f"{'is 1 variable' if len(symbols) == 1 else f'are {len(symbols)} variables'} ({names}).",
            f"Give one value per variable, in the order {names}.",
        )


def _parse_point(point: str) -> list[Any]:
    """The point's exact values; each must be a finite real number."""
    try:
        values = parse_vector(point, what="point")
    except ExpressionError as exc:
        raise in_field("at", exc) from None
    for i, v in enumerate(values, 1):
        try:
            c = safe_complex(v)
        except ValueError as exc:
            raise ConfigError("at", f"Value {i} of the point ({v}) is not a finite number: {exc}.", "Use finite numbers.") from None
        if abs(c.imag) > 0:
            raise ConfigError("at", f"Value {i} of the point ({v}) is not real.", "Use real numbers.")
    return values


def _check_bounded_at_point(problem: JacobianProblem) -> None:
    """Refuse a point where f cannot be evaluated exactly in bounded time and size.

    (x**x at 1e8 would make SymPy compute a number of 800 million digits.) Points outside
    f's domain are left to `symbolic_jacobian`, which explains them.
    """
    if problem.elementwise:
        (f,), (x,) = problem.components, problem.variables
        checks = [("f", f, {x: v}, f"{x} = {sympy.sstr(v)}") for v in problem.point]
    else:
        subs, at = dict(zip(problem.variables, problem.point)), problem.point_text()
        count = len(problem.components)
        labels = ["f"] if count == 1 else [f"Component {i} of f" for i in range(1, count + 1)]
        checks = [(label, f, subs, at) for label, f in zip(labels, problem.components)]
    for label, f, subs, at in checks:
        try:
            bounded_value(f, subs)
        except BoundError as exc:
            if exc.kind in ("too large", "too long"):
                raise _refusal(exc, label, at) from None


def _refusal(exc: BoundError, what: str, at: str) -> ConfigError:
    """The one-line error for a value that cannot (or need not) be evaluated exactly."""
    at = abbreviate(at, 80)
    if exc.kind == "too large":
        return ConfigError(
            "at",
            f"{what} at {at} is too large to evaluate: {exc.reason}.",
            "Choose a point where the values stay moderate (SymPy evaluates them exactly).",
        )
    if exc.kind == "too long":
        return ConfigError(
            "at",
            f"{what} at {at} cannot be computed exactly: {exc.reason}.",
            "Choose a point with fewer digits or smaller values.",
        )
    return ConfigError(
        "at", f"{what} is not defined at {at} ({exc.reason}).", "Choose a point inside the function's domain."
    )


# --------------------------------------------------------------------------- symbolic


def _evaluate(expr: Any, subs: dict[Any, Any], what: str, problem: JacobianProblem) -> tuple[Any, float]:
    """`expr` at the point: its exact value and a finite real float, or a `ConfigError("at", …)`.

    The point is substituted only once `bounded_value` has shown that every exact number
    SymPy will build on the way is of bounded size.
    """
    at = problem.point_text()
    try:
        bounded_value(expr, subs)
    except BoundError as exc:
        raise _refusal(exc, what, at) from None
    value = expr.xreplace(subs)
    return value, _as_float(value, what, at)


def _as_float(value: Any, what: str, at: str) -> float:
    """A finite real float for an exact value, or a `ConfigError("at", …)` explaining why not."""
    try:
        c = safe_complex(value)
    except ValueError as exc:
        reason = str(exc)
        if "overflow" in reason or "not finite" in reason:
            raise ConfigError(
                "at",
                f"{what} at {at} is too large for 64-bit floats ({reason}).",
                "Choose a point where the values are moderate.",
            ) from None
        raise ConfigError(
            "at", f"{what} is not defined at {at} ({reason}).", "Choose a point inside the function's domain."
        ) from None
    if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
        raise ConfigError(
            "at",
            f"{what} is not real at {at} (it evaluates to {sympy.sstr(value)}).",
            "Choose a point where the function is real, e.g. a positive argument for sqrt and log.",
        )
    try:
        precise = complex(sympy.N(value, 20))
        if math.isfinite(precise.real):
            return float(precise.real)
    except (TypeError, ValueError):
        pass
    return float(c.real)


def _count_nodes(exprs: Any, limit: int) -> int:
    """The parts of `exprs` (SymPy tree nodes), counted up to just past `limit`."""
    count = 0
    for expr in exprs:
        for _ in sympy.preorder_traversal(expr):
            count += 1
            if count > limit:
                return count
    return count


def _jacobian_formula(problem: JacobianProblem, inputs: tuple[Any, ...], outputs: tuple[Any, ...]) -> tuple[Any, Any]:
    """The Jacobian matrix in `inputs` and, in the elementwise form, f'; refused if too large."""
    if not problem.elementwise:
        formula = sympy.ImmutableMatrix(outputs).jacobian(sympy.ImmutableMatrix(inputs))
        _check_formula_size(_count_nodes(formula, MAX_FORMULA_NODES))
        return formula, None
    x = problem.variables[0]
    derivative = sympy.diff(problem.components[0], x)
    # The matrix repeats f' once per entry of the point.
    _check_formula_size(_count_nodes([derivative], MAX_FORMULA_NODES) * len(inputs))
    formula = sympy.ImmutableMatrix(
        len(inputs), len(inputs), lambda i, j: derivative.subs(x, inputs[i]) if i == j else 0
    )
    return formula, derivative


def _check_formula_size(count: int) -> None:
    if count > MAX_FORMULA_NODES:
        raise ConfigError(
            "expr",
            f"The Jacobian's formula is too large to work with (over {MAX_FORMULA_NODES:,} parts).",
            "Simplify the expression, or use a shorter point: towers such as x**x**x grow quickly when differentiated.",
        )


def symbolic_jacobian(problem: JacobianProblem) -> SymbolicJacobian:
    """SymPy's Jacobian, exact at the point; raises `ConfigError("at")` if f is undefined there."""
    inputs = problem.input_symbols()
    outputs = problem.output_expressions()
    subs = dict(zip(inputs, problem.point))
    formula, derivative = _jacobian_formula(problem, inputs, outputs)
    function_values = []
    for i, f in enumerate(outputs, 1):
        label = "f" if len(outputs) == 1 else f"Component {i} of f"
        function_values.append(_evaluate(f, subs, label, problem)[1])
    exact_rows, text_rows, value_rows = [], [], []
    for i in range(formula.rows):
        exact_row, text_row, value_row = [], [], []
        for j in range(formula.cols):
            label = f"The derivative ∂f{i + 1}/∂{inputs[j]}"
            v, number = _evaluate(formula[i, j], subs, label, problem)
            value_row.append(number)
            exact_row.append(v)
            text_row.append(sympy.sstr(v))
        exact_rows.append(tuple(exact_row))
        text_rows.append(tuple(text_row))
        value_rows.append(tuple(value_row))
    return SymbolicJacobian(
        formula=formula,
        derivative=derivative,
        pretty=sympy.pretty(formula, use_unicode=True),
        text=sympy.sstr(formula.tolist()),
        latex=sympy.latex(formula, mat_delim="["),
        exact=tuple(exact_rows),
        exact_text=tuple(text_rows),
        exact_latex=sympy.latex(sympy.ImmutableMatrix(exact_rows), mat_delim="["),
        values=tuple(value_rows),
        function_values=tuple(function_values),
    )


# --------------------------------------------------------------------------- autodiff

# SymPy function -> its tf.math twin: the same name, but for Abs.
_TF_FUNCTIONS = {name: name for name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
                                         "exp", "log", "sign")} | {"Abs": "abs"}


def to_tensorflow(expr: Any, env: dict[Any, Any], tf: Any) -> Any:
    """Translate a (whitelisted) SymPy expression into float64 TensorFlow ops."""
    if expr in env:
        return env[expr]
    if not expr.free_symbols:
        c = safe_complex(expr)
        if c.imag != 0:
            raise ExpressionError(f"The constant {expr} is complex; only real functions are supported.", "")
        return tf.constant(c.real, dtype=tf.float64)
    if expr.is_Add:
        terms = [to_tensorflow(a, env, tf) for a in expr.args]
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out
    if expr.is_Mul:
        factors = [to_tensorflow(a, env, tf) for a in expr.args]
        out = factors[0]
        for f in factors[1:]:
            out = out * f
        return out
    if expr.is_Pow:
        base = to_tensorflow(expr.base, env, tf)
        e = expr.exp
        if e == sympy.Rational(1, 2):
            return tf.sqrt(base)
        if e == sympy.Rational(-1, 2):
            return tf.math.rsqrt(base)
        if e == -1:
            return tf.math.reciprocal(base)
        if e.is_Integer and e > 0:
            out = base  # repeated multiplication: exact for negative bases, and gradient-friendly
            for _ in range(int(e) - 1):
                out = out * base
            return out if int(e) <= 8 else tf.math.pow(base, tf.constant(float(e), tf.float64))
        if e.is_Integer:
            return tf.math.reciprocal(to_tensorflow(sympy.Pow(expr.base, -e), env, tf))
        return tf.math.pow(base, to_tensorflow(e, env, tf))
    name = type(expr).__name__
    if name in _TF_FUNCTIONS and len(expr.args) == 1:
        arg = to_tensorflow(expr.args[0], env, tf)
        return getattr(tf.math, _TF_FUNCTIONS[name])(arg)
    raise ExpressionError(f"Cannot translate {expr} into TensorFlow operations.", "")


def _gradient_explanation(problem: JacobianProblem, gradient: tuple[float, ...]) -> str:
    shown = ", ".join(f"{g:.6g}" for g in gradient)
    base = (
        "GradientTape.gradient(y, x) differentiates the sum of the outputs, so it returns the "
        "column sums of the Jacobian (the vector–Jacobian product 1ᵀJ): entry j is Σᵢ ∂yᵢ/∂xⱼ."
    )
    if problem.elementwise:
        return (
            f"{base} Because f acts elementwise, yᵢ depends only on xᵢ, the Jacobian is diagonal, "
            f"and each column sum is just the diagonal entry f'(xᵢ): ({shown}). That is why the "
            "original check with tape.gradient worked; for a general f it would not give the Jacobian."
        )
    if problem.n_outputs == 1:
        return f"{base} With a single output the Jacobian has one row, so the gradient is that row: ({shown})."
    return (
        f"{base} Here f has {problem.n_outputs} outputs that mix the inputs, so the gradient "
        f"({shown}) adds up the Jacobian's rows and is not the Jacobian; GradientTape.jacobian gives the full matrix."
    )


def autodiff_jacobian(problem: JacobianProblem) -> AutodiffJacobian:
    """Differentiate f with `tf.GradientTape` (float64): `jacobian` and `gradient`."""
    from .._tf import tensorflow

    tf = tensorflow()
    started = time.perf_counter()
    x = tf.constant(problem.point_floats, dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if problem.elementwise:
            y = to_tensorflow(problem.components[0], {problem.variables[0]: x}, tf) + tf.zeros_like(x)
        else:
            env = {v: x[j] for j, v in enumerate(problem.variables)}
            comps = [to_tensorflow(c, env, tf) + tf.zeros((), tf.float64) for c in problem.components]
            y = tf.stack(comps)
    zero = tf.UnconnectedGradients.ZERO
    jac = tape.jacobian(y, x, unconnected_gradients=zero, experimental_use_pfor=False)
    grad = tape.gradient(y, x, unconnected_gradients=zero)
    del tape
    jacobian = tuple(tuple(float(v) for v in row) for row in jac.numpy().tolist())
    gradient = tuple(float(v) for v in grad.numpy().tolist())
    return AutodiffJacobian(
        jacobian=jacobian,
        gradient=gradient,
        function_values=tuple(float(v) for v in y.numpy().tolist()),
        explanation=_gradient_explanation(problem, gradient),
        seconds=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------- verdict


def compare(
    symbolic: SymbolicJacobian, autodiff: AutodiffJacobian, tolerance: float = DEFAULT_TOLERANCE
) -> JacobianComparison:
    """Max absolute and relative errors, and the mixed-tolerance verdict."""
    notes: list[str] = []
    max_abs = max_rel = 0.0
    ok = True
    for srow, arow in zip(symbolic.values, autodiff.jacobian):
        for s, a in zip(srow, arow):
            if not math.isfinite(a):
                ok = False
                max_abs = max_rel = math.inf
                continue
            err = abs(a - s)
            max_abs = max(max_abs, err)
            if s != 0:
                max_rel = max(max_rel, err / abs(s))
            if err > tolerance * max(1.0, abs(s)):
                ok = False
    if any(not math.isfinite(a) for row in autodiff.jacobian for a in row):
        notes.append("Autodiff produced non-finite values (overflow or an undefined intermediate in float64).")
    n_cols = len(symbolic.values[0]) if symbolic.values else 0
    sums = [sum(row[j] for row in symbolic.values) for j in range(n_cols)]
    grad_err = 0.0
    for s, g in zip(sums, autodiff.gradient):
        err = abs(g - s) if math.isfinite(g) else math.inf
        grad_err = max(grad_err, err)
        if not err <= tolerance * max(1.0, abs(s)):
            ok = False
            notes.append("The gradient differs from the column sums of the exact Jacobian.")
            break
    return JacobianComparison(
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        gradient_max_abs_error=grad_err,
        tolerance=tolerance,
        match=ok,
        notes=tuple(notes),
    )


def compute_jacobian(
    expression: str, point: str, variables: str | None = None, tolerance: float = DEFAULT_TOLERANCE
) -> JacobianResult:
    """Parse, differentiate both ways and compare (imports TensorFlow)."""
    problem = parse_problem(expression, point, variables)
    symbolic = symbolic_jacobian(problem)
    autodiff = autodiff_jacobian(problem)
    return JacobianResult(problem, symbolic, autodiff, compare(symbolic, autodiff, tolerance))


# --------------------------------------------------------------------------- summary parts


def problem_summary(problem: JacobianProblem) -> dict[str, Any]:
    return {
        "expression": problem.expression,
        "components": [sympy.sstr(c) for c in problem.components],
        "function_latex": problem.function_latex(),
        "variables": list(problem.variable_names),
        "point": [sympy.sstr(p) for p in problem.point],
        "point_floats": list(problem.point_floats),
        "elementwise": problem.elementwise,
        "shape": [problem.n_outputs, problem.n_inputs],
    }


def symbolic_summary(symbolic: SymbolicJacobian) -> dict[str, Any]:
    return {
        "symbolic": {
            "formula": symbolic.text,
            "pretty": symbolic.pretty,
            "latex": symbolic.latex,
            "derivative": None if symbolic.derivative is None else sympy.sstr(symbolic.derivative),
            "derivative_latex": None if symbolic.derivative is None else sympy.latex(symbolic.derivative),
            "exact": [list(r) for r in symbolic.exact_text],
            "exact_latex": symbolic.exact_latex,
            "values": [list(r) for r in symbolic.values],
            "function_values": list(symbolic.function_values),
        }
    }


def autodiff_summary(autodiff: AutodiffJacobian) -> dict[str, Any]:
    return {
        "autodiff": {
            "jacobian": [list(r) for r in autodiff.jacobian],
            "gradient": list(autodiff.gradient),
            "function_values": list(autodiff.function_values),
            "explanation": autodiff.explanation,
            "seconds": round(autodiff.seconds, 6),
        }
    }


def comparison_summary(comparison: JacobianComparison) -> dict[str, Any]:
    return {
        "max_abs_error": comparison.max_abs_error,
        "max_rel_error": comparison.max_rel_error,
        "gradient_max_abs_error": comparison.gradient_max_abs_error,
        "tolerance": comparison.tolerance,
        "tolerance_rule": "|autodiff − exact| ≤ tolerance · max(1, |exact|) for every entry",
        "match": comparison.match,
        "notes": list(comparison.notes),
    }
