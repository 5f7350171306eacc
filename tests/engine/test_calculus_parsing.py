"""The whitelist parser: valid math is built into SymPy, everything else is rejected."""

import time

import pytest
import sympy

from fmnist_tui.engine.calculus.parsing import (
    parse_expression,
    parse_expressions,
    parse_matrix,
    parse_number,
    parse_variables,
    parse_vector,
)
from fmnist_tui.engine.errors import ExpressionError

x, y = sympy.symbols("x y", real=True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3*x**2 + 2*x + 3", 3 * x**2 + 2 * x + 3),
        ("3*x^2 + 2*x + 3", 3 * x**2 + 2 * x + 3),
        ("sin(x) + cos(y)", sympy.sin(x) + sympy.cos(y)),
        ("exp(-x) * log(y)", sympy.exp(-x) * sympy.log(y)),
        ("sqrt(x) + abs(y)", sympy.sqrt(x) + sympy.Abs(y)),
        ("0.1 * x", sympy.Rational(1, 10) * x),
        ("x ** 0.5", sympy.sqrt(x)),
        ("pi * E", sympy.pi * sympy.E),
        ("-x + +y", -x + y),
        ("ln(x)", sympy.log(x)),
    ],
)
def test_valid_expressions(text, expected):
    assert sympy.simplify(parse_expression(text) - expected) == 0


def test_lists_and_tuples():
    assert parse_expressions("[x*y, sin(x) + y**2]") == ([x * y, sympy.sin(x) + y**2], True)
    assert parse_expressions("x*y, y") == ([x * y, y], True)
    assert parse_expressions("x") == ([x], False)


def test_decimals_are_exact():
    assert parse_number("0.1") == sympy.Rational(1, 10)
    assert parse_number("1/2") == sympy.Rational(1, 2)
    assert parse_number("2.5e-3") == sympy.Rational(1, 400)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('ls')", "Function '__import__' is not allowed"),
        ("x.__class__", "attribute access"),
        ("().__class__.__bases__", "attribute access"),
        ("lambda: 1", "lambda"),
        ("[x for x in y]", "comprehensions"),
        ("", "empty"),
        ("   ", "empty"),
        ("(x + 1", "never closed"),
        ("[x, y", "never closed"),
        ("x + 1)", "not valid math"),
        ("9**9**9", "exponent"),
        ("2**10**10", "exponent"),
        ("10**400", "too large"),
        ("exp(exp(100))", "too large"),
        ("1e999999999", "out of range"),
        ("'abc'", "strings"),
        ("x[0]", "indexing"),
        ("f(x)", "Function 'f' is not allowed"),
        ("eval('1')", "Function 'eval' is not allowed"),
        ("sin(x, y)", "exactly one argument"),
        ("sin(x=1)", "Keyword"),
        ("sin + 1", "is a function"),
        ("pi(2)", "constant"),
        ("__x + 1", "not allowed"),
        ("x_y", "not a valid variable name"),
        ("x | y", "'|'"),
        ("x // y", "'//'"),
        ("x % y", "'%'"),
        ("x < y", "comparisons"),
        ("x if y else 1", "if"),
        ("{1: 2}", "dictionaries"),
        ("*x", "not valid math"),
        ("2x", "not valid math"),
        ("1/0", "divides by zero"),
        ("log(0)", "undefined"),
        ("3j", "Complex"),
        ("True", "not allowed"),
        ("None", "not allowed"),
        ("x" + "+x" * 300, "too long"),
        ("sin(" * 45 + "x" + ")" * 45, "nested"),
        ("1" * 80, "too long"),
        ("x := 1", "not valid math"),
        ("[[x]]", "list"),
    ],
)
def test_rejected(text, fragment):
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse_expressions(text)
    assert time.perf_counter() - started < 1.0
    message = info.value.message
    assert fragment.lower() in message.lower(), message
    assert info.value.hint  # always says what to do


def test_error_message_lists_allowed_functions():
    with pytest.raises(ExpressionError) as info:
        parse_expression("__import__('os')")
    assert "sin" in info.value.hint and "cos" in info.value.hint


def test_too_many_variables():
    with pytest.raises(ExpressionError, match="too many variables"):
        parse_expression("+".join(f"v{i}" for i in range(11)))


def test_points():
    assert parse_vector("1,3") == [1, 3]
    assert parse_vector("1 3") == [1, 3]
    assert parse_vector("(1/2, sqrt(2))") == [sympy.Rational(1, 2), sympy.sqrt(2)]
    assert parse_vector("[2]") == [2]
    assert parse_vector("pi/4") == [sympy.pi / 4]
    with pytest.raises(ExpressionError, match="numbers only"):
        parse_vector("x, 1")
    with pytest.raises(ExpressionError, match="empty"):
        parse_vector("")


def test_variables():
    assert parse_variables("x,y") == ["x", "y"]
    assert parse_variables("x y z") == ["x", "y", "z"]
    for bad, fragment in [("x,x", "twice"), ("sin", "function"), ("__a", "not allowed"), ("", "empty"), ("pi", "constant")]:
        with pytest.raises(ExpressionError, match=fragment):
            parse_variables(bad)


@pytest.mark.parametrize("text", ["[[3,2],[2,3]]", "3 2; 2 3", "3, 2; 2, 3", "[3 2; 2 3]", "3 2\n2 3", "((3, 2), (2, 3))"])
def test_matrix_forms(text):
    assert parse_matrix(text) == [[3, 2], [2, 3]]


def test_matrix_entries_exact():
    assert parse_matrix("1/2, 0.25; sqrt(2), -1") == [[sympy.Rational(1, 2), sympy.Rational(1, 4)], [sympy.sqrt(2), -1]]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[[1, 2], [3]]", "ragged"),
        ("1 2; 3", "ragged"),
        ("[[1, 2, 3], [4, 5, 6]]", "not square"),
        ("[1, 2]", "not square"),
        ("[[1, 2], [3, 4]", "never closed"),
        ("", "empty"),
        ("[[a, 1], [1, 1]]", "numbers only"),
        ("; ".join([" ".join(["1"] * 7)] * 7), "largest supported size is 6"),
        ("1 2; ; 3 4", "empty"),
        ("[[[1]]]", "list"),
        ("[[1, __import__('os')], [1, 1]]", "not allowed"),
    ],
)
def test_matrix_rejected(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_matrix(text)
    assert fragment.lower() in info.value.message.lower(), info.value.message
