"""Bounded symbolic work: input whose exact evaluation would never end is refused at once.

SymPy evaluates numbers eagerly (x**x**x**x at x = 3 means 3**(3**27), computed in C, deaf
to Ctrl-C), so every case that used to hang runs in a subprocess with a hard timeout: a
regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from fmnist_tui.engine.calculus.parsing import BoundError, bounded_value, parse_expression
from fmnist_tui.engine.errors import ConfigError

HARD_TIMEOUT = 30  # seconds; the refusals take milliseconds, the old code never finished

# Runs (expression, point) pairs through parse_problem + symbolic_jacobian and prints, per
# pair, either the error (field, message) or f's values and the Jacobian.
_JACOBIAN_SCRIPT = """
import json, sys
from fmnist_tui.engine.calculus.jacobian import parse_problem, symbolic_jacobian
from fmnist_tui.engine.errors import ConfigError
out = []
for expr, at in json.loads(sys.argv[1]):
    try:
        s = symbolic_jacobian(parse_problem(expr, at))
        out.append({"f": list(s.function_values), "J": [list(r) for r in s.values]})
    except ConfigError as exc:
        out.append({"field": exc.field, "message": exc.message})
print(json.dumps(out))
"""


def run_jacobians(cases: list[tuple[str, str]]) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-c", _JACOBIAN_SCRIPT, json.dumps(cases)],
        capture_output=True, text=True, timeout=HARD_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_code(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HARD_TIMEOUT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


HOSTILE = [  # (expression, point, how the message names the point)
    ("x**x**x**x", "1,3", "x = 3"),  # the four cases
    ("x**x", "1e300", "x = 100000…"),
    ("x**x", "100000000", "x = 100000000"),
    ("x**x**x", "9,9", "x = 9"),
    ("x**y", "10, 1e8", "(10, 100000000)"),
    ("exp(x)**x", "100", "x = 100"),
]


@pytest.fixture(scope="module")
def hostile_results() -> list[dict]:
    return run_jacobians([(expr, at) for expr, at, _ in HOSTILE])  # one subprocess for all


@pytest.mark.parametrize("case", range(len(HOSTILE)), ids=[f"{e} at {a}" for e, a, _ in HOSTILE])
def test_towers_at_large_points_are_refused_with_one_line(case, hostile_results):
    result, shown = hostile_results[case], HOSTILE[case][2]
    assert result.get("field") == "at", result
    message = result["message"]
    assert "too large" in message and "beyond 1e300" in message and shown in message
    assert "\n" not in message and len(message) < 300


def test_exact_numbers_with_millions_of_digits_are_refused():
    """Small in size but not in digits: (1/3)**x at 1e8 is 3**-100000000 exactly."""
    tiny, long = run_jacobians([("(1/3)**x", "100000000"), ("x**1000", "0.1234567")])
    assert tiny["field"] == "at" and "47,712,1" in tiny["message"] and "digits" in tiny["message"]
    # Used to crash: Python will not print an int of more than 4300 digits.
    assert long["field"] == "at" and "cannot be computed exactly" in long["message"]


def _tower_log10(height: int, x: float) -> float:
    """log10 of x**x**…**x (height x's), inf if it is beyond any float."""
    x = value = float(x)  # in floats: with ints this would be the very computation that never ends
    for _ in range(height - 1):
        try:
            value = x**value
        except OverflowError:
            return math.inf
    return math.log10(value) if value > 0 else -math.inf


LEGIT = [("3*x**2 + 2*x + 3", "1,3"), ("x**x", "2"), ("x**x**x", "1/2, 3/2")]


@settings(max_examples=3, deadline=None)
@given(st.lists(st.tuples(st.integers(2, 6), st.integers(2, 12)), min_size=4, max_size=6))
def test_towers_are_either_computed_or_refused_quickly(towers):
    towers = towers + [(4, 3)]  # always one that used to hang: 3**(3**27)
    cases = [("**".join(["x"] * h), str(v)) for h, v in towers]
    results = run_jacobians(LEGIT + cases)
    original, power, half = results[: len(LEGIT)]  # the refusals must not catch these
    assert original == {"f": [8.0, 36.0], "J": [[8.0, 0.0], [0.0, 20.0]]}
    assert power["J"] == [[pytest.approx(4 + 4 * math.log(2), rel=1e-15)]]
    assert half["f"] == pytest.approx([0.5 ** (0.5**0.5), 1.5 ** (1.5**1.5)], rel=1e-14)
    for (h, v), result in zip(towers, results[len(LEGIT):]):
        size = _tower_log10(h, v)
        if size < 250:  # small enough, with its derivative, to be evaluated exactly
            assert result["f"] == [pytest.approx(10**size, rel=1e-12)], (h, v, result)
        elif size > 350:
            assert result["field"] == "at" and "too large" in result["message"], (h, v, result)


def test_constant_towers_are_refused_while_parsing():
    out = run_code(
        "from fmnist_tui.engine.calculus.parsing import parse_number\n"
        "from fmnist_tui.engine.errors import ExpressionError\n"
        "try:\n    parse_number('((1+10**-59)**1000)**1000')\nexcept ExpressionError as exc:\n    print(exc.message)\n"
    )
    assert "cannot be computed exactly" in out and "digits" in out and "\n" not in out


def test_formulas_too_large_to_print_are_refused():
    """Differentiating a 20-high tower gives ~900 parts, repeated on the diagonal per point entry."""
    from fmnist_tui.engine.calculus.jacobian import parse_problem, symbolic_jacobian

    problem = parse_problem("**".join(["x"] * 20), "1, 1, 1")
    with pytest.raises(ConfigError) as info:
        symbolic_jacobian(problem)
    assert info.value.field == "expr" and "too large" in info.value.message


# --------------------------------------------------------------------------- the evaluator itself

x = sympy.Symbol("x", real=True)


@pytest.mark.parametrize(
    "text, point, kind",
    [
        ("exp(exp(exp(x)))", 100, "too large"),
        ("sinh(x) + cos(x)", 1000, "too large"),
        ("log(x - 2)", 2, "undefined"),
        ("1/(x - 1/3)", sympy.Rational(1, 3), "undefined"),  # an exact zero, not a rounding one
        ("(x**1000)**5", sympy.Rational(1, 7), "too long"),  # 7**5000: 4225 digits
    ],
)
def test_bounded_value_refusals(text, point, kind):
    with pytest.raises(BoundError) as info:
        bounded_value(parse_expression(text), {x: sympy.sympify(point)})
    assert info.value.kind == kind


def test_bounded_value_is_not_fooled_by_underflow_or_units():
    assert bounded_value(parse_expression("1/x**2"), {x: sympy.Rational(1, 10**100)}) == pytest.approx(1e200)
    assert bounded_value(parse_expression("(-1)**x"), {x: sympy.Integer(10**9)}) == 1
    assert bounded_value(parse_expression("exp(-x)"), {x: sympy.Integer(10**6)}) == 0


# --------------------------------------------------------------------------- eigen


def test_dense_irrational_matrices_are_refused_before_any_work():
    # Before: SymPy's quartic formula on 12 distinct square roots ran for minutes.
    out = run_code(
        "from fmnist_tui.engine.calculus.tasks import EigenTask\n"
        "from fmnist_tui.engine.errors import ConfigError\n"
        "try:\n"
        "    EigenTask('[[sqrt(2),sqrt(3),sqrt(5),sqrt(7)],[sqrt(11),sqrt(13),sqrt(17),sqrt(19)],"
        "[sqrt(23),sqrt(29),sqrt(31),sqrt(37)],[1,2,3,4]]').matrix\n"
        "except ConfigError as exc:\n    print(exc.field, exc.message)\n"
    )
    assert out.startswith("matrix ") and "up to 3×3" in out and "4×4" in out


@pytest.mark.parametrize(
    "matrix, fragment",
    [
        ("[[sqrt(2+sqrt(5)), sqrt(3+sqrt(6)), sqrt(4+sqrt(7))], [sqrt(5+sqrt(8)), sqrt(6+sqrt(9)), "
         "sqrt(7+sqrt(10))], [sqrt(8+sqrt(11)), sqrt(9+sqrt(12)), sqrt(10+sqrt(13))]]", "too complex"),
        ("[[(1+10**-59)**33, 1], [1, (1+10**-58)**33]]", "too many digits"),
    ],
)
def test_matrices_beyond_exact_reach_are_config_errors(matrix, fragment):
    from fmnist_tui.engine.calculus.tasks import EigenTask

    with pytest.raises(ConfigError) as info:
        EigenTask(matrix)
    assert info.value.field == "matrix" and fragment in info.value.message


def test_long_coefficients_get_numeric_roots_that_still_verify():
    """Isolating CRootOf roots of a cubic with 30-digit coefficients is slow; 30 digits suffice."""
    import numpy as np

    from fmnist_tui.engine.calculus.eigen import LAMBDA, exact_eigen, matrix_floats, parse_matrix_input

    matrix = parse_matrix_input(
        "[[1242886303, 5659489757, 4588440356], [9372589818, 541284205, 4588440351], [1, 2, 3]]"
    )
    symbolic = exact_eigen(matrix)
    assert not symbolic.exact
    assert any("30-digit numeric roots" in note for note in symbolic.notes)
    expected = sorted(np.linalg.eigvals(matrix_floats(matrix)), key=lambda c: c.real)
    assert [p.numeric for p in symbolic.pairs] == pytest.approx(expected, rel=1e-9)
    p = symbolic.polynomial.expression
    for pair in symbolic.pairs:  # roots of det(A − λI) to 30 digits: the Newton step is tiny
        at = {LAMBDA: pair.value}
        step = sympy.N(p.subs(at), 60) / sympy.N(sympy.diff(p, LAMBDA).subs(at), 60)
        assert abs(complex(step)) < 1e-25 * max(1.0, abs(pair.numeric))
