"""A safe, whitelist-based parser for user-entered math (expressions, points, matrices).

User text is never handed to `eval` or `sympify`. It is parsed with Python's `ast` module
in "eval" mode, and the tree is walked against a whitelist: number literals, variable
names, the binary operators ``+ - * / **`` (``^`` is accepted as a synonym of ``**``),
unary ``+``/``-``, calls of a fixed set of named functions, the constants ``pi`` and
``E``, and (where allowed) lists/tuples. SymPy objects are built from that tree by hand.

Limits keep hostile input cheap to reject: text length, AST node count, nesting depth,
the size of number literals, the magnitude of constant exponents (``9**9**9`` is refused
without being computed) and of every constant sub-expression (checked in floating point).
Every rejection is an `ExpressionError` whose message says what was wrong and whose hint
says what to do instead.

`bounded_value` decides, before anything is evaluated exactly, whether SymPy can evaluate an
expression at a point in bounded time and size (x**x**x**x at 3 would mean 3**(3**27)): it
walks the tree in 64-bit precision and refuses values beyond 1e300 and exact numbers beyond
MAX_EXACT_DIGITS digits. The parser applies it to constant powers as they are built.

SymPy is imported lazily, inside the functions that build objects.
"""

from __future__ import annotations

import ast
import cmath
import math
import re
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

from ..errors import ConfigError, ExpressionError

MAX_EXPRESSION_LENGTH = 500
MAX_MATRIX_TEXT_LENGTH = 1000
MAX_NODES = 300
MAX_DEPTH = 40
MAX_LITERAL_DIGITS = 60
MAX_EXPONENT = 1000
MAX_CONSTANT_MAGNITUDE = 1e300
MAX_VARIABLES = 10
MAX_NAME_LENGTH = 16
MAX_MATRIX_SIZE = 6

#: Whitelisted functions (name the user types -> SymPy attribute name). All take one argument.
FUNCTIONS: dict[str, str] = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "asin": "asin",
    "acos": "acos",
    "atan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "sqrt": "sqrt",
    "abs": "Abs",
}

#: Named constants (name -> SymPy attribute name).
CONSTANTS: dict[str, str] = {"pi": "pi", "E": "E"}

ALLOWED_FUNCTIONS_TEXT = ", ".join(FUNCTIONS)
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_EXPONENT_RE = re.compile(r"[eE]([+-]?[0-9_]+)$")

# Float implementations used to bound constant sub-expressions cheaply (no SymPy evalf).
_CMATH: dict[str, Any] = {
    "sin": cmath.sin,
    "cos": cmath.cos,
    "tan": cmath.tan,
    "asin": cmath.asin,
    "acos": cmath.acos,
    "atan": cmath.atan,
    "sinh": cmath.sinh,
    "cosh": cmath.cosh,
    "tanh": cmath.tanh,
    "exp": cmath.exp,
    "log": cmath.log,
    "sqrt": cmath.sqrt,
    "Abs": abs,
}

_OPERATOR_NAMES = {
    ast.BitXor: "^",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Not: "not",
}

_NODE_DESCRIPTIONS = {
    ast.Attribute: ("attribute access ('.name')", "Write plain math: numbers, variables, + - * / ** and functions."),
    ast.Subscript: ("indexing or slicing ('[...]' after a value)", "Write plain math; use brackets only around a whole list."),
    ast.Lambda: ("'lambda'", "Write the expression itself, e.g. 3*x**2 + 2*x + 3."),
    ast.ListComp: ("comprehensions ([… for …])", "Write each component out, e.g. [x*y, sin(x) + y**2]."),
    ast.SetComp: ("comprehensions ([… for …])", "Write each component out, e.g. [x*y, sin(x) + y**2]."),
    ast.DictComp: ("comprehensions ([… for …])", "Write each component out, e.g. [x*y, sin(x) + y**2]."),
    ast.GeneratorExp: ("comprehensions ([… for …])", "Write each component out, e.g. [x*y, sin(x) + y**2]."),
    ast.Compare: ("comparisons (<, ==, …)", "Enter an expression, not an equation or inequality."),
    ast.BoolOp: ("'and'/'or'", "Enter an arithmetic expression."),
    ast.IfExp: ("'if … else'", "Enter a single arithmetic expression."),
    ast.Dict: ("dictionaries ('{…}')", "Use [ ] for lists."),
    ast.Set: ("sets ('{…}')", "Use [ ] for lists."),
    ast.Starred: ("starred expressions ('*x')", "Write each item out."),
    ast.JoinedStr: ("strings", "Enter numbers and variables only, without quotes."),
    ast.NamedExpr: ("assignments (':=')", "Enter the expression only."),
    ast.Await: ("'await'", "Enter an arithmetic expression."),
    ast.Yield: ("'yield'", "Enter an arithmetic expression."),
    ast.YieldFrom: ("'yield'", "Enter an arithmetic expression."),
    ast.Slice: ("slices", "Enter an arithmetic expression."),
}


class FieldExpressionError(ConfigError, ExpressionError):
    """An `ExpressionError` that also names the form field / CLI option it came from.

    It is both a `ConfigError` (with `field`) and an `ExpressionError`, so front ends can
    catch either and still show the message next to the right input.
    """


def in_field(field: str, exc: ExpressionError) -> FieldExpressionError:
    if isinstance(exc, FieldExpressionError):
        return exc
    return FieldExpressionError(field, exc.message, exc.hint)


@dataclass(frozen=True)
class _Built:
    """A SymPy object plus, for constants, a float approximation used for bounds checks."""

    expr: Any
    approx: complex | None  # None when the expression has variables


class _Parser:
    def __init__(self, text: str, what: str, allow_lists: bool, allow_variables: bool, max_length: int):
        self.what = what
        self.allow_lists = allow_lists
        self.allow_variables = allow_variables
        self.max_length = max_length
        self.original = text
        self.source = ""
        self.variables: dict[str, Any] = {}

    # ----------------------------------------------------------------- entry point
    def parse(self) -> Any:
        text = self.original
        if not isinstance(text, str):
            raise ExpressionError(f"The {self.what} must be text, not {type(text).__name__}.", "")
        if "\x00" in text:
            raise ExpressionError(f"The {self.what} contains a NUL character.", "Remove control characters.")
        stripped = text.strip()
        if not stripped:
            raise ExpressionError(f"The {self.what} is empty.", self._example_hint())
        if len(stripped) > self.max_length:
            raise ExpressionError(
                f"The {self.what} is too long ({len(stripped)} characters; the limit is {self.max_length}).",
                "Shorten it.",
            )
        # `^` is the usual power sign in math; Python's ^ (xor) has no meaning here.
        self.source = stripped.replace("^", "**").replace("\n", " ").replace("\r", " ").replace("\t", " ")
        try:
            tree = ast.parse(self.source, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(self._syntax_message(exc), self._syntax_hint(exc)) from None
        except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
            raise ExpressionError(
                f"The {self.what} could not be read: {exc}.", "Simplify it: fewer nested brackets, shorter numbers."
            ) from None
        count = 0
        for node in ast.walk(tree):
            if not isinstance(node, (ast.expr_context, ast.operator, ast.unaryop)):
                count += 1
        if count > MAX_NODES:
            raise ExpressionError(
                f"The {self.what} is too complex ({count} parts; the limit is {MAX_NODES}).", "Simplify it."
            )
        return self._build_top(tree.body)

    def _example_hint(self) -> str:
        return {
            "matrix": "Enter a square matrix, e.g. [[3, 2], [2, 3]] or 3 2; 2 3.",
            "point": "Enter one number per variable, e.g. 1, 3.",
        }.get(self.what, "Enter an expression, e.g. 3*x**2 + 2*x + 3.")

    def _syntax_message(self, exc: SyntaxError) -> str:
        reason = (exc.msg or "invalid syntax").rstrip(".")
        if reason.startswith("invalid syntax"):
            reason = "invalid syntax"
        where = f" at column {exc.offset}" if exc.offset else ""
        return f"The {self.what} is not valid math{where}: {reason}."

    def _syntax_hint(self, exc: SyntaxError) -> str:
        msg = exc.msg or ""
        if "never closed" in msg or "does not match" in msg or "unmatched" in msg:
            return "Check that every ( and [ has a matching ) and ]."
        if re.search(r"\d[A-Za-z(]", self.source):
            return "Write multiplication explicitly, e.g. 2*x instead of 2x."
        return self._example_hint()

    # ----------------------------------------------------------------- the walk
    def _build_top(self, node: ast.AST) -> Any:
        if isinstance(node, (ast.List, ast.Tuple)):
            if not self.allow_lists:
                raise ExpressionError(
                    f"A list is not allowed here (the {self.what} must be a single value).",
                    self._example_hint(),
                )
            return self._build_list(node, 1)
        return self._build(node, 1).expr

    def _build_list(self, node: ast.List | ast.Tuple, depth: int) -> list[Any]:
        if depth > 3:
            raise ExpressionError(f"Lists in the {self.what} are nested too deeply.", self._example_hint())
        if not node.elts:
            raise ExpressionError(f"The {self.what} contains an empty list.", self._example_hint())
        items = []
        for elt in node.elts:
            if isinstance(elt, (ast.List, ast.Tuple)):
                items.append(self._build_list(elt, depth + 1))
            else:
                items.append(self._build(elt, depth + 1).expr)
        return items

    def _reject(self, node: ast.AST) -> ExpressionError:
        for kind, (label, hint) in _NODE_DESCRIPTIONS.items():
            if isinstance(node, kind):
                return ExpressionError(f"Not allowed in the {self.what}: {label}.", hint)
        if isinstance(node, (ast.List, ast.Tuple)):
            return ExpressionError(
                f"A list inside an arithmetic expression is not allowed in the {self.what}.",
                "Lists may only appear at the top level, e.g. [x*y, x + y].",
            )
        return ExpressionError(
            f"'{type(node).__name__}' is not allowed in the {self.what}.",
            "Use numbers, variables, + - * / ** and the functions " + ALLOWED_FUNCTIONS_TEXT + ".",
        )

    def _build(self, node: ast.AST, depth: int) -> _Built:
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"The {self.what} is nested too deeply (more than {MAX_DEPTH} levels).", "Simplify it."
            )
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.UAdd, ast.USub)):
                inner = self._build(node.operand, depth + 1)
                if isinstance(node.op, ast.UAdd):
                    return inner
                return self._checked(-inner.expr, None if inner.approx is None else -inner.approx)
            raise self._operator_error(node.op)
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise self._reject(node)

    def _operator_error(self, op: ast.AST) -> ExpressionError:
        symbol = _OPERATOR_NAMES.get(type(op), type(op).__name__)
        return ExpressionError(
            f"The operator '{symbol}' is not allowed in the {self.what}.",
            "Use + - * / and ** (or ^) for powers.",
        )

    def _constant(self, node: ast.Constant) -> _Built:
        import sympy

        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise ExpressionError(f"'{value}' is not allowed in the {self.what}.", "Use numbers.")
        if isinstance(value, (str, bytes)):
            raise ExpressionError(
                f"Strings are not allowed in the {self.what}.", "Enter numbers and variables only, without quotes."
            )
        if isinstance(value, complex):
            raise ExpressionError(
                f"Complex literals such as {ast.get_source_segment(self.source, node)} are not supported.",
                "Use real numbers.",
            )
        segment = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        digits = sum(ch.isdigit() for ch in segment)
        if digits > MAX_LITERAL_DIGITS:
            raise ExpressionError(
                f"The number {segment[:20]}… is too long ({digits} digits; the limit is {MAX_LITERAL_DIGITS}).",
                "Use a shorter number, or write it as a power such as 10**40.",
            )
        if isinstance(value, int):
            return _Built(sympy.Integer(value), complex(value))
        if isinstance(value, float):
            match = _EXPONENT_RE.search(segment)
            if match and abs(int(match.group(1))) > 300:
                raise ExpressionError(
                    f"The number {segment} is out of range (exponent beyond ±300).", "Use a smaller exponent."
                )
            if not math.isfinite(value):
                raise ExpressionError(f"The number {segment} is too large.", "Use a smaller number.")
            try:
                frac = Fraction(segment)
            except (ValueError, ZeroDivisionError):
                frac = Fraction(value)
            # Decimals become exact rationals: 0.1 means 1/10, not the nearest binary float.
            return _Built(sympy.Rational(frac.numerator, frac.denominator), complex(value))
        raise ExpressionError(f"'{value!r}' is not allowed in the {self.what}.", "Use numbers.")

    def _name(self, node: ast.Name) -> _Built:
        import sympy

        name = node.id
        if name in CONSTANTS:
            obj = getattr(sympy, CONSTANTS[name])
            return _Built(obj, complex(float(obj)))
        if name in FUNCTIONS:
            raise ExpressionError(
                f"'{name}' is a function and cannot be used as a variable.",
                f"Call it with an argument, e.g. {name}(x), or pick another variable name.",
            )
        self._check_variable_name(name)
        if not self.allow_variables:
            hint = "Use numbers only (e.g. 1/2, sqrt(2), pi/4)."
            if name == "e":
                hint = "Use E for Euler's number e, or exp(1)."
            raise ExpressionError(f"The {self.what} must contain numbers only; found the name '{name}'.", hint)
        if name not in self.variables:
            if len(self.variables) >= MAX_VARIABLES:
                raise ExpressionError(
                    f"The {self.what} uses too many variables (the limit is {MAX_VARIABLES}).", "Use fewer variables."
                )
            self.variables[name] = sympy.Symbol(name, real=True)
        return _Built(self.variables[name], None)

    def _check_variable_name(self, name: str) -> None:
        if name.startswith("_") or "__" in name:
            raise ExpressionError(
                f"The name '{name}' is not allowed.",
                "Variable names are letters and digits, starting with a letter (e.g. x, y2).",
            )
        if not _NAME_RE.match(name) or len(name) > MAX_NAME_LENGTH:
            raise ExpressionError(
                f"The name '{name}' is not a valid variable name.",
                f"Use letters and digits only, starting with a letter, at most {MAX_NAME_LENGTH} characters.",
            )

    def _binop(self, node: ast.BinOp, depth: int) -> _Built:
        op = node.op
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            hint = "Use + - * / and ** (or ^) for powers."
            if isinstance(op, ast.FloorDiv):
                hint = "Use / for division."
            symbol = _OPERATOR_NAMES.get(type(op), type(op).__name__)
            raise ExpressionError(f"The operator '{symbol}' is not allowed in the {self.what}.", hint)
        left = self._build(node.left, depth + 1)
        right = self._build(node.right, depth + 1)
        if isinstance(op, ast.Pow):
            return self._power(left, right)
        a, b = left.approx, right.approx
        approx = None
        if isinstance(op, ast.Add):
            expr = left.expr + right.expr
            approx = None if a is None or b is None else a + b
        elif isinstance(op, ast.Sub):
            expr = left.expr - right.expr
            approx = None if a is None or b is None else a - b
        elif isinstance(op, ast.Mult):
            expr = left.expr * right.expr
            approx = None if a is None or b is None else a * b
        else:
            if right.expr == 0:
                raise ExpressionError(f"The {self.what} divides by zero.", "Check the denominators.")
            expr = left.expr / right.expr
            if a is not None and b is not None:
                approx = a / b if b != 0 else complex(math.inf)
        return self._checked(expr, approx)

    def _power(self, base: _Built, exponent: _Built) -> _Built:
        import sympy

        e = exponent.approx
        if e is not None:
            if not cmath.isfinite(e) or abs(e) > MAX_EXPONENT:
                raise ExpressionError(
                    f"An exponent in the {self.what} is too large (|exponent| ≤ {MAX_EXPONENT} is allowed).",
                    "Use smaller powers.",
                )
        b = base.approx
        if b is not None and e is not None:
            magnitude = abs(b)
            if magnitude not in (0.0, 1.0) and abs(e) * abs(math.log10(magnitude)) > 300:
                raise ExpressionError(
                    f"A power in the {self.what} is too large (its result would exceed 1e300 in size).",
                    "Use smaller numbers.",
                )
            if magnitude == 0 and e.real <= 0:
                raise ExpressionError(f"The {self.what} raises 0 to a non-positive power.", "Check the exponents.")
        if b is not None and e is not None:
            # SymPy computes constant powers at once: ((1+10**-59)**1000)**1000 would never end.
            try:
                bounded_value(sympy.Pow(base.expr, exponent.expr, evaluate=False))
            except BoundError as exc:
                raise ExpressionError(
                    f"A power in the {self.what} cannot be computed exactly: {exc.reason}.",
                    "Use smaller exponents or shorter numbers.",
                ) from None
        expr = sympy.Pow(base.expr, exponent.expr)
        approx = None
        if b is not None and e is not None:
            try:
                approx = b**e if b != 0 else complex(0.0)
            except (OverflowError, ZeroDivisionError):
                approx = complex(math.inf)
        return self._checked(expr, approx)

    def _call(self, node: ast.Call, depth: int) -> _Built:
        import sympy

        func = node.func
        if not isinstance(func, ast.Name):
            for inner in ast.walk(func):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id not in FUNCTIONS:
                    raise ExpressionError(
                        f"Function '{inner.func.id}' is not allowed.", "Use one of: " + ALLOWED_FUNCTIONS_TEXT + "."
                    )
            if isinstance(func, ast.Attribute):
                raise self._reject(func)
            raise ExpressionError(
                f"Only named functions may be called in the {self.what}.",
                "Use one of: " + ALLOWED_FUNCTIONS_TEXT + ".",
            )
        name = func.id
        if name in CONSTANTS:
            raise ExpressionError(f"'{name}' is a constant, not a function.", f"Write {name}*(…) to multiply.")
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"Function '{name}' is not allowed.", "Use one of: " + ALLOWED_FUNCTIONS_TEXT + "."
            )
        if node.keywords:
            raise ExpressionError(f"Keyword arguments are not allowed ({name}(…=…)).", f"Write {name}(x).")
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(
                f"{name}() takes exactly one argument, got {len(node.args)}.", f"Write {name}(x)."
            )
        arg = self._build(node.args[0], depth + 1)
        target = FUNCTIONS[name]
        expr = getattr(sympy, target)(arg.expr)
        approx = None
        if arg.approx is not None:
            try:
                approx = complex(_CMATH[target](arg.approx))
            except (OverflowError, ValueError, ZeroDivisionError):
                approx = complex(math.inf)
        return self._checked(expr, approx)

    def _checked(self, expr: Any, approx: complex | None) -> _Built:
        if approx is not None:
            if cmath.isnan(approx):
                approx = complex(0.0)  # undefined values are diagnosed later, with context
            elif not cmath.isfinite(approx) or abs(approx) > MAX_CONSTANT_MAGNITUDE:
                import sympy

                if expr.has(sympy.zoo, sympy.nan) or (expr.is_number and expr.is_finite is False):
                    raise ExpressionError(
                        f"The {self.what} contains an undefined value ({expr}).",
                        "Check for division by zero or log(0).",
                    )
                raise ExpressionError(
                    f"A number in the {self.what} is too large (beyond 1e300).", "Use smaller numbers."
                )
        if getattr(expr, "is_Rational", False) and exact_digits(expr) > MAX_EXACT_DIGITS:
            raise ExpressionError(
                f"A number in the {self.what} is too long to hold exactly (more than {MAX_EXACT_DIGITS} digits).",
                "Use shorter numbers or smaller powers.",
            )
        if getattr(expr, "has", None) is not None:
            import sympy

            if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
                raise ExpressionError(
                    f"The {self.what} contains an undefined value ({expr}).", "Check for division by zero or log(0)."
                )
        return _Built(expr, approx)


# --------------------------------------------------------------------------- public API


def parse_expression(text: str, *, what: str = "expression", allow_lists: bool = True) -> Any:
    """Parse one expression, or a list of expressions, into SymPy objects.

    Returns a SymPy expression, or (for ``[a, b]`` or ``a, b``) a list of them.
    Variables become real `sympy.Symbol`s. Raises `ExpressionError`.
    """
    return _Parser(text, what, allow_lists, True, MAX_EXPRESSION_LENGTH).parse()


def parse_expressions(text: str, *, what: str = "expression") -> tuple[list[Any], bool]:
    """Parse an expression or a flat list of expressions; returns ``(components, is_list)``."""
    result = parse_expression(text, what=what, allow_lists=True)
    if isinstance(result, list):
        for i, item in enumerate(result, 1):
            if isinstance(item, list):
                raise ExpressionError(
                    f"Component {i} of the {what} is itself a list.",
                    "Give a flat list of expressions, e.g. [x*y, sin(x) + y**2].",
                )
        return result, True
    return [result], False


def parse_number(text: str, *, what: str = "number") -> Any:
    """Parse a constant (no variables), e.g. ``1/2``, ``sqrt(2)``, ``pi/4``."""
    return _Parser(text, what, False, False, MAX_EXPRESSION_LENGTH).parse()


def parse_vector(text: str, *, what: str = "point") -> list[Any]:
    """Parse a point: ``1, 3``, ``(1, 3)``, ``[1, 3]``, ``1 3`` or a single number ``2``.

    Entries are constants (exact SymPy numbers); variables are rejected.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"The {what} is empty.", "Enter one number per variable, e.g. 1, 3.")
    stripped = text.strip()
    if "," not in stripped and stripped[:1] not in "[(" and len(stripped.split()) > 1:
        stripped = ", ".join(stripped.split())
    result = _Parser(stripped, what, True, False, MAX_EXPRESSION_LENGTH).parse()
    if not isinstance(result, list):
        return [result]
    for i, item in enumerate(result, 1):
        if isinstance(item, list):
            raise ExpressionError(f"Entry {i} of the {what} is a list.", "Give a flat list of numbers, e.g. 1, 3.")
    return result


def parse_variables(text: str) -> list[str]:
    """Parse an explicit variable list: ``x,y`` or ``x y``; returns the names in order."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("The variable list is empty.", "Give names separated by commas, e.g. x,y.")
    body = text.strip()
    if body[:1] in "[(" and body[-1:] in "])":
        body = body[1:-1]
    names = [n for n in re.split(r"[\s,]+", body) if n]
    if not names:
        raise ExpressionError("The variable list is empty.", "Give names separated by commas, e.g. x,y.")
    if len(names) > MAX_VARIABLES:
        raise ExpressionError(
            f"Too many variables ({len(names)}; the limit is {MAX_VARIABLES}).", "Use fewer variables."
        )
    seen: set[str] = set()
    parser = _Parser("", "variable list", False, True, MAX_EXPRESSION_LENGTH)
    for name in names:
        if name in FUNCTIONS or name in CONSTANTS:
            kind = "function" if name in FUNCTIONS else "constant"
            raise ExpressionError(f"'{name}' is a {kind} name and cannot be a variable.", "Pick another name.")
        parser._check_variable_name(name)
        if name in seen:
            raise ExpressionError(f"The variable '{name}' is listed twice.", "List each variable once.")
        seen.add(name)
    return names


def parse_matrix(text: str, *, max_size: int = MAX_MATRIX_SIZE) -> list[list[Any]]:
    """Parse a square matrix of constants.

    Accepted forms: ``[[3, 2], [2, 3]]``, ``3 2; 2 3``, ``3, 2; 2, 3``, ``[3 2; 2 3]`` and
    rows on separate lines. Entries may be integers, decimals (made exact), fractions,
    ``sqrt(2)``, ``pi`` … Returns the rows as lists of SymPy numbers.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("The matrix is empty.", "Enter a square matrix, e.g. [[3, 2], [2, 3]] or 3 2; 2 3.")
    body = text.strip()
    if len(body) > MAX_MATRIX_TEXT_LENGTH:
        raise ExpressionError(
            f"The matrix text is too long ({len(body)} characters; the limit is {MAX_MATRIX_TEXT_LENGTH}).",
            "Shorten the entries.",
        )
    row_form = ";" in body or "\n" in body.strip()
    if row_form and body.startswith("[") and body.endswith("]") and not body.startswith("[["):
        body = body[1:-1].strip()
    rows = _nested_rows(body) if body[:1] in "[(" and not row_form else _text_rows(body)
    _check_square(rows, max_size)
    return rows


def _nested_rows(body: str) -> list[list[Any]]:
    """The rows of a matrix written as nested lists, [[3, 2], [2, 3]]."""
    rows = _Parser(body, "matrix", True, False, MAX_MATRIX_TEXT_LENGTH).parse()
    if not isinstance(rows, list):
        rows = [[rows]]
    elif all(not isinstance(r, list) for r in rows):
        rows = [rows]  # [1, 2] is a single row (and will fail the square check)
    for i, row in enumerate(rows, 1):
        if not isinstance(row, list):
            raise ExpressionError(
                f"Row {i} of the matrix is not a list.", "Write every row in brackets: [[3, 2], [2, 3]]."
            )
        for j, item in enumerate(row, 1):
            if isinstance(item, list):
                raise ExpressionError(
                    f"Entry ({i}, {j}) of the matrix is a list; matrices have two levels of brackets.",
                    "Write [[3, 2], [2, 3]].",
                )
    return rows


def _text_rows(body: str) -> list[list[Any]]:
    """The rows of a matrix written as text: rows split by ';' or newlines, entries by commas or spaces."""
    texts = [r.strip() for r in re.split(r"[;\n]", body)]
    if texts and texts[-1] == "":
        texts.pop()  # a trailing semicolon
    rows = []
    for i, row_text in enumerate(texts, 1):
        if not row_text:
            raise ExpressionError(f"Row {i} of the matrix is empty.", "Remove the extra ';' or blank line.")
        entries = [e.strip() for e in _split_top_level(row_text)] if "," in row_text else row_text.split()
        rows.append([_text_entry(entry, i, j) for j, entry in enumerate(entries, 1)])
    return rows


def _text_entry(entry: str, i: int, j: int) -> Any:
    if not entry:
        raise ExpressionError(f"Entry ({i}, {j}) of the matrix is empty.", "Remove the extra comma.")
    try:
        return _Parser(entry, "matrix", False, False, MAX_EXPRESSION_LENGTH).parse()
    except ExpressionError as exc:
        raise ExpressionError(
            f"Entry ({i}, {j}) '{entry}': {exc.message}",
            exc.hint + " Separate entries with commas if an entry contains spaces.",
        ) from None


def _check_square(rows: list[list[Any]], max_size: int) -> None:
    n = len(rows)
    if n == 0:
        raise ExpressionError("The matrix is empty.", "Enter a square matrix, e.g. [[3, 2], [2, 3]].")
    lengths = [len(r) for r in rows]
    if len(set(lengths)) != 1:
        raise ExpressionError(
            f"The matrix is ragged: its rows have {', '.join(map(str, lengths))} entries.",
            "Give every row the same number of entries.",
        )
    if lengths[0] != n:
        raise ExpressionError(
            f"The matrix is not square ({n}×{lengths[0]}); eigenvalues need an n×n matrix.",
            "Give as many rows as columns.",
        )
    if n > max_size:
        raise ExpressionError(
            f"The matrix is {n}×{n}; the largest supported size is {max_size}×{max_size}.",
            f"Exact eigenvalues are computed symbolically, which is only practical up to {max_size}×{max_size}.",
        )


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def safe_complex(expr: Any) -> complex:
    """Evaluate a constant SymPy expression in double precision without SymPy's evalf.

    Raises `ValueError` if it is undefined or overflows. Used to bound values before any
    arbitrary-precision evaluation (`evalf` of e.g. ``sin(exp(exp(100)))`` would not end).
    """
    import sympy

    def ev(e: Any) -> complex:
        if e.is_Integer or e.is_Rational or e.is_Float:
            return complex(float(e))
        if e is sympy.pi:
            return complex(math.pi)
        if e is sympy.E:
            return complex(math.e)
        if e is sympy.I:
            return 1j
        if e in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ValueError(f"undefined ({e})")
        if e.is_Add:
            return sum((ev(a) for a in e.args), complex(0.0))
        if e.is_Mul:
            out = complex(1.0)
            for a in e.args:
                out *= ev(a)
            return out
        if e.is_Pow:
            b, x = ev(e.base), ev(e.exp)
            if b == 0:
                if x.real > 0:
                    return complex(0.0)
                raise ValueError("division by zero (0 to a non-positive power)")
            if x.imag == 0 and float(x.real).is_integer() and b.imag == 0:
                return complex(float(b.real) ** int(x.real))
            return b**x
        name = type(e).__name__
        func = {"Abs": abs, "sign": lambda z: z / abs(z) if z != 0 else 0j}.get(name) or _CMATH.get(name)
        if func is not None and len(e.args) == 1:
            arg = ev(e.args[0])
            if name == "log" and arg == 0:
                raise ValueError("log(0) is undefined")
            return complex(func(arg))
        if e.is_number:
            return complex(e.evalf(17))  # e.g. re/im wrappers; bounded by the checks above
        raise ValueError(f"cannot evaluate {e}")

    try:
        value = ev(expr)
    except (OverflowError, ZeroDivisionError) as exc:
        raise ValueError(f"overflow or division by zero ({exc})") from None
    if not cmath.isfinite(value):
        raise ValueError("not finite")
    return value


# --------------------------------------------------------------------------- bounded exact evaluation
#
# SymPy evaluates numbers eagerly: substituting x = 3 into x**x**x**x computes 3**(3**27)
# exactly, which never ends (and ignores Ctrl-C). So before anything is evaluated exactly,
# the same tree is walked at 64-bit precision (mpmath, whose exponent range never
# overflows) while predicting the size of every exact number SymPy would build. A value
# beyond MAX_CONSTANT_MAGNITUDE, or an exact number longer than MAX_EXACT_DIGITS, is refused
# before it is computed: powers and exp-like functions are judged from the logarithm of
# their result, never by computing it.

#: Exact numbers longer than this (numerator plus denominator digits) are refused: Python
#: will not even print an int of more than 4300 digits, and their arithmetic gets slow.
MAX_EXACT_DIGITS = 4000
_MAX_LN = math.log(MAX_CONSTANT_MAGNITUDE)
_LOG10_2 = math.log10(2)


class BoundError(ValueError):
    """An exact evaluation was refused before it started.

    `kind` is "undefined" (log(0), division by zero), "too large" (a value beyond 1e300),
    "too long" (an exact number beyond MAX_EXACT_DIGITS digits) or "unsupported".
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class _Val:
    value: Any  # an mpmath mpf or mpc, 64-bit precision
    exact: Fraction | None  # the exact value, when SymPy would hold it as a rational
    digits: float  # about how many decimal digits SymPy's exact form of the value holds


def _int_digits(n: int) -> float:
    n = abs(n)
    return math.log10(n) if n > 1 else 0.0


def _fraction_digits(f: Fraction) -> float:
    return _int_digits(f.numerator) + _int_digits(f.denominator)


def abbreviate(text: str, limit: int = 60) -> str:
    """`text` for a one-line message: long integers cut to their first digits, at most `limit` characters."""
    text = re.sub(r"(\d{6})\d{4,}", r"\1…", text)  # a 300-digit number is not worth reading
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_text(expr: Any) -> str:
    import sympy

    return abbreviate(sympy.sstr(expr))


def _power_of_ten(ln_value: float) -> str:
    exponent = ln_value / math.log(10)
    return f"10^{exponent:.3g}" if abs(exponent) < 1e6 else f"10^({exponent:.3g})"


_THREAD_CONTEXTS = threading.local()


def _mp_context() -> Any:
    """A private mpmath context per thread (mpmath functions adjust their context's precision)."""
    ctx = getattr(_THREAD_CONTEXTS, "ctx", None)
    if ctx is None:
        import mpmath

        ctx = mpmath.MPContext()
        ctx.prec = 64
        _THREAD_CONTEXTS.ctx = ctx
    return ctx


# SymPy function name -> mpmath function name. All take one argument.
_MP_FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "exp": "exp", "log": "ln", "Abs": "fabs",
    "sign": "sign", "re": "re", "im": "im", "arg": "arg", "conjugate": "conj",
}
# Functions that grow like exp: a large real part (exp, sinh, cosh) or imaginary part (sin,
# cos, tan) of the argument means a value beyond 1e300, and mpmath takes minutes to say so.
_GROWS_WITH_REAL = {"exp", "sinh", "cosh"}
_GROWS_WITH_IMAG = {"sin", "cos", "tan"}


class _BoundedEvaluator:
    """Walks a SymPy tree at a point in 64-bit precision, predicting SymPy's exact sizes."""

    def __init__(self, point: Mapping[Any, Any]) -> None:
        self.ctx = _mp_context()
        self.memo: dict[Any, _Val] = {}
        self.point: dict[Any, _Val] = {}
        self.point = {symbol: self.eval(value) for symbol, value in point.items()}

    def eval(self, expr: Any) -> _Val:
        hit = self.memo.get(expr)
        if hit is not None:
            return hit
        try:
            val = self._eval(expr)
        except BoundError:
            raise
        except (ZeroDivisionError, ValueError):
            raise BoundError("undefined", f"division by zero in {_short_text(expr)}") from None
        self._check(expr, val)
        self.memo[expr] = val
        return val

    def _check(self, expr: Any, val: _Val) -> None:
        ctx, v = self.ctx, val.value
        if ctx.isnan(v) or ctx.isinf(v):
            raise BoundError("undefined", f"{_short_text(expr)} is undefined")
        if abs(v) > MAX_CONSTANT_MAGNITUDE:
            size = _power_of_ten(float(ctx.ln(abs(v))))
            raise BoundError("too large", f"{_short_text(expr)} is about {size}, beyond 1e300")
        if val.digits > MAX_EXACT_DIGITS:
            raise BoundError(
                "too long",
                f"the exact value of {_short_text(expr)} would have about {val.digits:,.0f} digits "
                f"(the limit is {MAX_EXACT_DIGITS:,})",
            )

    def _rational(self, f: Fraction) -> _Val:
        return _Val(self.ctx.mpf(f.numerator) / f.denominator, f, _fraction_digits(f))

    def _eval(self, e: Any) -> _Val:
        import sympy

        ctx = self.ctx
        if e.is_Symbol:
            if e in self.point:
                return self.point[e]
            raise BoundError("unsupported", f"no value was given for {e}")
        if e.is_Rational:
            return self._rational(Fraction(int(e.p), int(e.q)))
        if e.is_Float:
            return _Val(ctx.make_mpf(e._mpf_), None, 20.0)
        constants = {sympy.pi: ctx.pi, sympy.E: ctx.e, sympy.I: ctx.mpc(0, 1)}
        if e in constants:
            return _Val(+constants[e], None, 0.0)
        if e in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise BoundError("undefined", f"undefined ({e})")
        if e.is_Add or e.is_Mul:
            return self._fold(e)
        if e.is_Pow:
            return self._power(e)
        return self._function(e)

    def _fold(self, e: Any) -> _Val:
        vals = [self.eval(a) for a in e.args]
        if all(v.exact is not None for v in vals):
            total = Fraction(0) if e.is_Add else Fraction(1)
            for v in vals:
                total = total + v.exact if e.is_Add else total * v.exact
            return self._rational(total)
        value = vals[0].value
        for v in vals[1:]:
            value = value + v.value if e.is_Add else value * v.value
        # SymPy collects rational coefficients across terms, so sizes add up.
        return _Val(value, None, sum(v.digits for v in vals))

    def _power(self, e: Any) -> _Val:
        ctx = self.ctx
        b, x = self.eval(e.base), self.eval(e.exp)
        if b.value == 0:  # mpmath does not underflow: this is an exact zero
            if ctx.re(x.value) > 0:
                return _Val(ctx.mpf(0), None if b.exact is None else Fraction(0), b.digits + x.digits)
            raise BoundError("undefined", f"{_short_text(e)} raises 0 to a non-positive power (division by zero)")
        # Judge the result by its logarithm; computing 3**(3**27) first is what never ends.
        ln_size = float(ctx.re(x.value * ctx.ln(b.value)))
        if ln_size > _MAX_LN:
            raise BoundError("too large", f"{_short_text(e)} is about {_power_of_ten(ln_size)}, beyond 1e300")
        digits = b.digits * max(1.0, float(abs(x.value))) + x.digits
        if digits > MAX_EXACT_DIGITS:
            self._check(e, _Val(ctx.mpf(1), None, digits))
        if b.exact is not None and x.exact is not None and x.exact.denominator == 1:
            return self._rational(b.exact ** int(x.exact))
        return _Val(ctx.power(b.value, x.value), None, digits)

    def _function(self, e: Any) -> _Val:
        ctx = self.ctx
        name = type(e).__name__
        if name == "atan2" and len(e.args) == 2:
            y, x = (self.eval(a) for a in e.args)
            if ctx.im(y.value) != 0 or ctx.im(x.value) != 0:
                raise BoundError("unsupported", f"cannot evaluate {_short_text(e)}")
            return _Val(ctx.atan2(ctx.re(y.value), ctx.re(x.value)), None, y.digits + x.digits)
        if name not in _MP_FUNCTIONS or len(e.args) != 1:
            raise BoundError("unsupported", f"cannot evaluate {_short_text(e)}")
        arg = self.eval(e.args[0])
        part = ctx.re(arg.value) if name in _GROWS_WITH_REAL else ctx.im(arg.value)
        if (name in _GROWS_WITH_REAL or name in _GROWS_WITH_IMAG) and abs(part) > _MAX_LN:
            if name != "exp" or part > 0:  # exp of a large negative number is merely tiny
                size = _power_of_ten(float(abs(part)))
                raise BoundError("too large", f"{_short_text(e)} is about {size}, beyond 1e300")
        if name == "log" and arg.value == 0:
            raise BoundError("undefined", "log(0) is undefined")
        exact = _exact_function(name, arg.exact)
        if exact is not None:
            return self._rational(exact)
        return _Val(getattr(ctx, _MP_FUNCTIONS[name])(arg.value), None, arg.digits)


def _exact_function(name: str, value: Fraction | None) -> Fraction | None:
    """The functions SymPy evaluates to a rational at a rational argument (cheaply)."""
    if value is None:
        return None
    if name in ("Abs",):
        return abs(value)
    if name == "sign":
        return Fraction((value > 0) - (value < 0))
    if name in ("re", "conjugate"):
        return value
    if name == "im":
        return Fraction(0)
    return None


def bounded_value(expr: Any, point: Mapping[Any, Any] | None = None) -> complex:
    """The value of `expr` at `point` (symbol -> exact SymPy number), in double precision.

    Nothing is evaluated exactly. Raises `BoundError` if the value is undefined, or if SymPy
    could not evaluate it exactly in bounded time and size (a value beyond 1e300, an exact
    number beyond MAX_EXACT_DIGITS digits), so that after it returns, substituting the point
    into `expr` is safe.
    """
    return complex(_BoundedEvaluator(point or {}).eval(expr).value)


def exact_digits(expr: Any) -> float:
    """About how many decimal digits SymPy's exact form of the constant `expr` holds.

    The same estimate `bounded_value` uses; raises `BoundError` as it does, except for a
    rational, whose digits are simply counted.
    """
    if getattr(expr, "is_Rational", False):
        return _fraction_digits(Fraction(int(expr.p), int(expr.q)))
    return _BoundedEvaluator({}).eval(expr).digits
