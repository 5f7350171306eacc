"""Jacobians: SymPy's exact answer against TensorFlow's GradientTape."""

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from fmnist_tui.engine.calculus.jacobian import (
    compute_jacobian,
    parse_problem,
    symbolic_jacobian,
)
from fmnist_tui.engine.errors import ConfigError, ExpressionError


def test_original_example():
    result = compute_jacobian("3*x**2 + 2*x + 3", "1,3")
    assert result.problem.elementwise
    assert result.symbolic.exact == ((8, 0), (0, 20))
    assert all(isinstance(v, sympy.Integer) for row in result.symbolic.exact for v in row)
    assert result.symbolic.values == ((8.0, 0.0), (0.0, 20.0))
    assert result.autodiff.jacobian == ((8.0, 0.0), (0.0, 20.0))
    assert result.autodiff.gradient == (8.0, 20.0)
    assert sympy.simplify(result.symbolic.derivative - (6 * sympy.Symbol("x", real=True) + 2)) == 0
    assert "diagonal" in result.autodiff.explanation and "column sums" in result.autodiff.explanation
    assert result.comparison.match and result.comparison.max_abs_error == 0.0
    assert "6 x_{1} + 2" in result.symbolic.latex


def _expected(formula, point):
    return [[float(f(*point)) for f in row] for row in formula]


@pytest.mark.parametrize(
    "expr, point, variables, expected",
    [
        ("[x*y, sin(x) + y**2]", "1, 2", None, [[2, 1], [math.cos(1), 4]]),
        ("x*y, x + y, x**2", "2, 3", None, [[3, 2], [1, 1], [4, 0]]),
        ("exp(x) * log(y)", "0, 2", None, [[math.log(2), 0.5]]),
        ("sin(x)", "0, pi/2, pi", None, [[1, 0, 0], [0, 0, 0], [0, 0, -1]]),
        ("log(x) + sqrt(x)", "4", None, [[0.25 + 0.25]]),
        ("tanh(x) + atan(x)", "0.5", None, [[1 - math.tanh(0.5) ** 2 + 1 / 1.25]]),
        ("x**3", "-2, 0.5", None, [[12, 0], [0, 0.75]]),
        ("[x**2, x**3]", "2", None, [[4], [12]]),
        ("x*y", "1, 2", "y, x", [[2, 1]]),  # y = 1, x = 2: columns ∂/∂y = x, ∂/∂x = y
        ("[x, 5]", "1, 2", "x, z", [[1, 0], [0, 0]]),
        ("abs(x) + cosh(y)", "-3, 1", None, [[-1, math.sinh(1)]]),
        ("x^y", "2, 3", None, [[12, 8 * math.log(2)]]),
    ],
)
def test_cases(expr, point, variables, expected):
    result = compute_jacobian(expr, point, variables)
    assert result.comparison.match, result.comparison
    for srow, arow, erow in zip(result.symbolic.values, result.autodiff.jacobian, expected):
        assert srow == pytest.approx(erow, abs=1e-12)
        assert arow == pytest.approx(erow, abs=1e-12)


def test_exact_values_are_kept():
    result = compute_jacobian("x**2 / 3", "1/2")
    assert result.symbolic.exact == ((sympy.Rational(1, 3),),)
    assert result.symbolic.exact_text == (("1/3",),)


def test_gradient_explanation_for_mixing_function():
    result = compute_jacobian("[x*y, x + y]", "2, 3")
    assert result.autodiff.gradient == (4.0, 3.0)  # column sums of [[3, 2], [1, 1]]
    assert "not the Jacobian" in result.autodiff.explanation


def test_variables_sorted_by_name():
    problem = parse_problem("b + a*c", "1, 2, 3")
    assert problem.variable_names == ("a", "b", "c")


@pytest.mark.parametrize(
    "expr, point, variables, field, fragment",
    [
        ("log(x)", "0", None, "at", "not defined"),
        ("1/x", "0, 1", None, "at", "not defined"),
        ("sqrt(x)", "-1", None, "at", "not real"),
        ("sqrt(x)", "0", None, "at", "derivative"),
        ("log(x*y)", "1, -1", None, "at", "not real"),
        ("exp(exp(exp(x)))", "100", None, "at", "too large"),
        ("x*y", "1", None, "at", "1 value"),
        ("x*y", "1, 2, 3", None, "at", "3 values"),
        ("x*z", "1, 2", "x, y", "vars", "z"),
        ("x", "1", "x, x", "vars", "twice"),
        ("5", "1", None, "expr", "no variables"),
        ("x +", "1", None, "expr", "not valid"),
        ("x", "a", None, "at", "numbers only"),
        ("x", "", None, "at", "empty"),
    ],
)
def test_bad_input_is_a_config_error(expr, point, variables, field, fragment):
    with pytest.raises(ConfigError) as info:
        problem = parse_problem(expr, point, variables)
        symbolic_jacobian(problem)
    assert info.value.field == field
    assert fragment in info.value.message, info.value.message


def test_syntax_errors_are_also_expression_errors():
    with pytest.raises(ExpressionError):
        parse_problem("__import__('os')", "1")


coefficients = st.integers(min_value=-5, max_value=5)


@st.composite
def polynomials(draw):
    terms = []
    for _ in range(draw(st.integers(1, 4))):
        c = draw(coefficients)
        i, j = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        terms.append(f"{c}*x**{i}*y**{j}")
    return " + ".join(terms)


@settings(max_examples=20, deadline=None)
@given(
    polys=st.lists(polynomials(), min_size=1, max_size=3),
    point=st.tuples(st.integers(-4, 4), st.integers(-4, 4)),
)
def test_random_polynomials_agree(polys, point):
    result = compute_jacobian("[" + ", ".join(polys) + "]", f"{point[0]}, {point[1]}", "x, y")
    assert result.comparison.match, (polys, point, result.comparison)
    assert result.comparison.max_abs_error <= 1e-9 * max(1.0, max(abs(v) for r in result.symbolic.values for v in r))
