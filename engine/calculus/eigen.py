"""Eigenpairs of a small square matrix, two ways: exactly (SymPy) and numerically (tf.linalg).

The exact side gives the characteristic polynomial det(A − λI) (expanded and factored),
the eigenvalues with algebraic and geometric multiplicities, and a basis of each
eigenspace. The numeric side uses `tf.linalg.eigh` for symmetric matrices and
`tf.linalg.eig` otherwise. `verify` pairs the two (nearest first, aware of
multiplicities), checks residuals ‖Av − λv‖, compares eigenvectors up to scale (and
eigenspaces of dimension > 1 as subspaces), and explains complex, repeated and defective
cases in notes. TensorFlow is imported only inside `numeric_eigen`.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from fmnist_tui.render.calculus import exact_text

from ..errors import ConfigError, ExpressionError
from .parsing import (
    MAX_EXACT_DIGITS,
    MAX_MATRIX_SIZE,
    BoundError,
    abbreviate,
    exact_digits,
    in_field,
    parse_matrix,
    safe_complex,
)
from .results import SummarisedResult

DEFAULT_TOLERANCE = 1e-9
EPS = float(np.finfo(np.float64).eps)
LAMBDA = sympy.Symbol("lambda")
_MAX_EXACT_VECTOR_OPS = 60  # radicals bigger than this get numeric eigenvectors instead
#: Exact eigenvalues of irrational matrices (sqrt(2), pi, sin(1)…) come from radical formulas
#: whose size explodes with the matrix: a dense 4×4 of square roots did not finish in minutes,
#: and a 3×3 of 9 entries like sqrt(2 + sqrt(5)) took 20 s.
MAX_IRRATIONAL_SIZE = 3
MAX_IRRATIONAL_PARTS = 40
#: Irreducible factors of degree ≥ 3 get exact roots (CRootOf) only with coefficients this
#: short: isolating the roots of a sextic with 40-digit coefficients took minutes.
MAX_ROOTOF_DIGITS = 12


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class CharacteristicPolynomial:
    expression: Any  # det(A − λI), expanded, in the symbol `LAMBDA`
    factored: Any
    text: str
    factored_text: str
    pretty: str
    factored_pretty: str
    latex: str
    factored_latex: str


@dataclass(frozen=True)
class ExactEigenpair:
    value: Any  # SymPy number (radical, CRootOf or, in the last resort, Float)
    numeric: complex  # the value in double precision
    algebraic_multiplicity: int
    geometric_multiplicity: int
    eigenvectors: tuple[tuple[Any, ...], ...]  # a basis of the eigenspace (SymPy numbers)
    vectors_exact: bool  # False when the basis was computed numerically (messy radicals)
    numeric_vectors: tuple[tuple[complex, ...], ...]

    @property
    def defective(self) -> bool:
        return self.geometric_multiplicity < self.algebraic_multiplicity

    @property
    def text(self) -> str:
        return sympy.sstr(self.value)

    @property
    def latex(self) -> str:
        return sympy.latex(self.value)


@dataclass(frozen=True)
class SymbolicEigen:
    matrix: Any  # sympy.ImmutableMatrix
    polynomial: CharacteristicPolynomial
    pairs: tuple[ExactEigenpair, ...]  # sorted by real part, then imaginary part
    exact: bool  # False if the eigenvalues had to be approximated
    notes: tuple[str, ...]

    @property
    def symmetric(self) -> bool:
        return self.matrix == self.matrix.T


@dataclass(frozen=True)
class NumericEigen:
    method: str  # "eigh" or "eig"
    values: tuple[complex, ...]
    vectors: tuple[tuple[complex, ...], ...]  # eigenvectors (the columns of TF's result)
    seconds: float


@dataclass(frozen=True)
class PairCheck:
    """One numeric eigenpair, checked against the exact eigenvalue it was paired with."""

    index: int
    value: complex
    vector: tuple[complex, ...]
    exact_index: int  # into SymbolicEigen.pairs
    value_error: float
    residual: float  # ‖Av − λv‖ / ‖v‖
    vector_error: float  # sine of the angle between v and the exact eigenspace
    value_tolerance: float
    vector_tolerance: float
    ok: bool


@dataclass(frozen=True)
class EigenVerification:
    checks: tuple[PairCheck, ...]
    subspace_errors: tuple[float, ...]  # per exact eigenvalue: sine of the largest principal angle
    residuals: tuple[float, ...]
    max_residual: float
    max_value_error: float
    max_vector_error: float
    tolerance: float
    match: bool
    notes: tuple[str, ...]


@dataclass(frozen=True)
class EigenResult(SummarisedResult):
    matrix_text: str
    symbolic: SymbolicEigen
    numeric: NumericEigen
    verification: EigenVerification

    def summary_part(self) -> dict[str, Any]:
        return merge_summaries(symbolic_summary(self.symbolic), numeric_summary(self.symbolic, self.numeric, self.verification))


# --------------------------------------------------------------------------- input


def parse_matrix_input(text: str) -> Any:
    """Parse a square real matrix (≤ 6×6) into a `sympy.ImmutableMatrix`.

    Raises `FieldExpressionError` / `ConfigError` with field "matrix".
    """
    try:
        rows = parse_matrix(text, max_size=MAX_MATRIX_SIZE)
    except ExpressionError as exc:
        raise in_field("matrix", exc) from None
    for i, row in enumerate(rows, 1):
        for j, entry in enumerate(row, 1):
            try:
                c = safe_complex(entry)
            except ValueError as exc:
                raise ConfigError("matrix", f"Entry ({i}, {j}) = {entry} is not a finite number: {exc}.", "") from None
            if c.imag != 0:
                raise ConfigError(
                    "matrix", f"Entry ({i}, {j}) = {sympy.sstr(entry)} is not real.", "Use real entries."
                )
    _check_exact_cost(rows)
    return sympy.ImmutableMatrix(rows)


def _check_exact_cost(rows: list[list[Any]]) -> None:
    """Refuse a matrix whose exact eigenvalues SymPy could not find in bounded time and size."""
    n = len(rows)
    entries = [e for row in rows for e in row]
    irrational = [e for e in entries if not e.is_Rational]
    if irrational and n > MAX_IRRATIONAL_SIZE:
        raise ConfigError(
            "matrix",
            "Exact eigenvalues of a matrix with irrational entries (such as "
            f"{abbreviate(sympy.sstr(irrational[0]), 30)}) are computed up to {MAX_IRRATIONAL_SIZE}×{MAX_IRRATIONAL_SIZE}; this one is {n}×{n}.",
            "Use rational entries (decimals are fine) or a smaller matrix.",
        )
    parts = sum(1 for e in irrational for _ in sympy.preorder_traversal(e))
    if n > 1 and parts > MAX_IRRATIONAL_PARTS:
        raise ConfigError(
            "matrix",
            f"The irrational entries are too complex for exact eigenvalues ({parts} parts; "
            f"the limit is {MAX_IRRATIONAL_PARTS}).",
            "Use simpler entries, or rational approximations (decimals are fine).",
        )
    # The characteristic polynomial's coefficients hold about as many digits as all entries together.
    try:
        digits = sum(exact_digits(e) for e in entries) + math.log10(math.factorial(n))
    except BoundError as exc:
        raise ConfigError(
            "matrix", f"An entry of the matrix cannot be used exactly: {exc.reason}.", "Use smaller numbers."
        ) from None
    if digits > MAX_EXACT_DIGITS:
        raise ConfigError(
            "matrix",
            f"The entries hold too many digits for exact eigenvalues (about {digits:,.0f} in all; "
            f"the limit is {MAX_EXACT_DIGITS:,}).",
            "Use shorter numbers, e.g. decimals with fewer digits or a common denominator.",
        )


def matrix_floats(matrix: Any) -> np.ndarray:
    return np.array(
        [[float(sympy.N(matrix[i, j], 17)) for j in range(matrix.cols)] for i in range(matrix.rows)], dtype=np.float64
    )


# --------------------------------------------------------------------------- exact


def characteristic_polynomial(matrix: Any) -> CharacteristicPolynomial:
    """det(A − λI), expanded and factored (computed with the division-free Berkowitz method)."""
    n = matrix.rows
    expr = sympy.expand((-1) ** n * matrix.charpoly(LAMBDA).as_expr())
    try:
        factored = sympy.factor(expr, LAMBDA)
    except Exception:  # factoring over unusual coefficient domains can fail; keep it expanded
        factored = expr
    return CharacteristicPolynomial(
        expression=expr,
        factored=factored,
        text=sympy.sstr(expr),
        factored_text=sympy.sstr(factored),
        pretty=sympy.pretty(expr, use_unicode=True),
        factored_pretty=sympy.pretty(factored, use_unicode=True),
        latex=sympy.latex(expr),
        factored_latex=sympy.latex(factored),
    )


def _complex(value: Any) -> complex:
    c = complex(sympy.N(value, 30))
    # Radical forms of real roots (casus irreducibilis) leave rounding dust in the imaginary part.
    tiny = 1e-20 * max(1.0, abs(c))
    return complex(c.real if abs(c.real) > tiny else 0.0, c.imag if abs(c.imag) > tiny else 0.0)


def _sympy_float(x: complex) -> Any:
    x = complex(x)
    if x.imag == 0:
        return sympy.Float(x.real, 15)
    return sympy.Float(x.real, 15) + sympy.I * sympy.Float(x.imag, 15)


def _numeric_null_space(a: np.ndarray, value: complex, multiplicity: int) -> list[np.ndarray]:
    """A numeric basis of the null space of A − λI (for eigenvalues SymPy cannot handle exactly)."""
    if value.imag == 0:
        b = a - value.real * np.eye(a.shape[0])
    else:
        b = a.astype(np.complex128) - value * np.eye(a.shape[0])
    _, s, vh = np.linalg.svd(b)
    scale = max(1.0, float(np.linalg.norm(a, 2)))
    threshold = max(1e-10, math.sqrt(EPS)) * scale if multiplicity > 1 else math.inf
    dim = 1 if multiplicity == 1 else max(1, int(np.sum(s <= threshold)))
    return [vh[-k].conj() for k in range(1, dim + 1)]


def _is_zero(e: Any) -> bool:
    """A decisive zero test for row reduction: SymPy's own can run for minutes on radicals.

    Exact for rationals; otherwise the value at 50 significant digits is compared with 1e-30
    (entries are bounded and matrices at most 6×6, so a nonzero that small is implausible).
    """
    if e.is_Rational:
        return bool(e == 0)
    try:
        return abs(complex(sympy.N(e, 50))) < 1e-30
    except (TypeError, ValueError):
        return False


def _exact_vectors(matrix: Any, value: Any) -> list[tuple[Any, ...]] | None:
    if value.has(sympy.CRootOf) or sympy.count_ops(value) > _MAX_EXACT_VECTOR_OPS:
        return None
    n = matrix.rows
    shifted = matrix - value * sympy.eye(n)
    try:
        basis = shifted.nullspace(iszerofunc=_is_zero)
    except Exception:
        return None
    if not basis:
        return None  # SymPy's zero test failed on the radicals
    out = []
    for vec in basis:
        out.append(tuple(e if e.is_Rational or sympy.count_ops(e) > 12 else sympy.simplify(e) for e in vec))
    return out


def _numeric_roots(poly: Any) -> list[Any]:
    """30-digit roots of `poly`, as SymPy numbers.

    mpmath's polyroots judges convergence in absolute terms, so roots far from 1 in size
    (a matrix of entries like 1/3**200) would all come out as 0: λ is scaled first by a
    power of ten near the largest root (Fujiwara's bound), which makes them of order 1.
    """
    import mpmath

    ctx = mpmath.MPContext()  # private: polyroots changes its context's precision
    ctx.dps = 40
    coefficients = [ctx.mpmathify(complex(sympy.N(c, 45))) if not c.is_Rational else ctx.mpf(int(c.p)) / int(c.q)
                    for c in poly.all_coeffs()]
    lead, n = coefficients[0], len(coefficients) - 1
    logs = [(ctx.log10(abs(c / lead)) / k) for k, c in enumerate(coefficients[1:], 1) if c != 0]
    scale = ctx.mpf(10) ** int(ctx.nint(max(logs))) if logs else ctx.mpf(1)
    scaled = [c / lead / scale**k for k, c in enumerate(coefficients)]
    try:
        roots = ctx.polyroots(scaled, maxsteps=200, extraprec=2 * ctx.prec)
    except ctx.NoConvergence:  # badly conditioned: double precision is still a fair answer
        roots = [ctx.mpc(r) for r in np.roots([complex(c) for c in scaled])]
    return [_sympy_mp(ctx, ctx.mpc(r) * scale) for r in roots] if n else []


def _sympy_mp(ctx: Any, z: Any) -> Any:
    """An mpmath number as a 30-digit SymPy Float (complex: a + b·I)."""
    # Through text: SymPy reads only the global context's mpf directly, others via float.
    re_, im = (sympy.Float(ctx.nstr(part, 32), 30) for part in (z.real, z.imag))
    return re_ if z.imag == 0 else re_ + sympy.I * im


def _factor_roots(factor: Any) -> tuple[dict[Any, int], bool]:
    """The roots of one irreducible factor over ℚ with multiplicities, and whether they are exact."""
    if factor.degree() <= 2:
        return sympy.roots(factor, multiple=False), True
    if max(exact_digits(c) for c in factor.all_coeffs()) > MAX_ROOTOF_DIGITS:
        return {r: 1 for r in _numeric_roots(factor)}, False
    roots: dict[Any, int] = {}
    for r in factor.all_roots():
        roots[r] = roots.get(r, 0) + 1
    return roots, True


def _rational_roots_by_factor(expression: Any) -> tuple[dict[Any, int], bool] | None:
    """Roots with multiplicities, factor by factor over ℚ: radicals up to degree 2, CRootOf above.

    The flag is False if some roots had to be numeric (factors with long coefficients).
    Returns None if the polynomial does not have rational coefficients (e.g. sqrt(2) entries).
    """
    try:
        poly = sympy.Poly(expression, LAMBDA, domain="QQ")
        _, factors = poly.factor_list()
    except Exception:
        return None
    found: dict[Any, int] = {}
    exact = True
    for factor, mult in factors:
        roots, factor_exact = _factor_roots(factor)
        exact = exact and factor_exact
        for r, m in roots.items():
            found[r] = found.get(r, 0) + m * mult
    return found, exact


def _eigenvalues(expression: Any, n: int) -> tuple[dict[Any, int], bool, list[str]]:
    """The roots of det(A − λI) with multiplicities, whether they are exact, and notes saying how."""
    notes: list[str] = []
    by_factor = _rational_roots_by_factor(expression)
    if by_factor is not None:
        found, exact = by_factor
        if any(r.has(sympy.CRootOf) for r in found):
            notes.append(
                "Some eigenvalues are roots of an irreducible factor of degree ≥ 3; they are given exactly as "
                "CRootOf(p, k), the k-th root of p, rather than as (unwieldy) radicals."
            )
        if not exact:
            notes.append(
                f"Some eigenvalues are roots of an irreducible factor of degree ≥ 3 with coefficients longer than "
                f"{MAX_ROOTOF_DIGITS} digits; isolating them exactly (CRootOf) would take minutes, so they are "
                "30-digit numeric roots."
            )
        if sum(found.values()) == n:
            return found, exact, notes
    else:
        found = sympy.roots(sympy.Poly(expression, LAMBDA), multiple=False)
        if sum(found.values()) == n:
            return found, True, notes
        try:  # irrational coefficients: SymPy's own exact roots, when it has them
            found = {}
            for r in sympy.Poly(expression, LAMBDA).all_roots():
                found[r] = found.get(r, 0) + 1
        except Exception:
            found = {}
        if sum(found.values()) == n:
            notes.append(
                "The characteristic polynomial has no solution in radicals that SymPy can write down; "
                "eigenvalues are given as exact CRootOf objects (the k-th root of the polynomial)."
            )
            return found, True, notes
    found = {}
    roots = _numeric_roots(sympy.Poly(expression, LAMBDA))
    size = max((abs(_complex(r)) for r in roots), default=0.0)
    for r in roots:  # a multiple root comes out as a cluster about 1e-20 (relative) wide
        key = next((k for k in found if abs(_complex(k) - _complex(r)) <= 1e-20 * size), r)
        found[key] = found.get(key, 0) + 1
    notes.append(
        "SymPy could not find the eigenvalues exactly; they are 30-digit numeric roots of the "
        "characteristic polynomial."
    )
    return found, False, notes


def _pair(matrix: Any, a: np.ndarray, value: Any, mult: int, notes: list[str]) -> ExactEigenpair:
    """One eigenvalue with its eigenspace: exact if the value is, else from the SVD of A − λI."""
    numeric = _complex(value)
    vectors = None if value.has(sympy.Float) else _exact_vectors(matrix, value)
    if vectors is not None:
        numeric_vectors = [np.array([_complex(e) for e in v], dtype=np.complex128) for v in vectors]
        return ExactEigenpair(
            value=value,
            numeric=numeric,
            algebraic_multiplicity=mult,
            geometric_multiplicity=len(vectors),
            eigenvectors=tuple(vectors),
            vectors_exact=True,
            numeric_vectors=tuple(tuple(complex(x) for x in v) for v in numeric_vectors),
        )
    basis = _numeric_null_space(a, numeric, mult)
    notes.append(
        f"The eigenvectors of λ = {_short(value, numeric)} were computed numerically (SVD of A − λI), "
        "because its exact form is too unwieldy for an exact null space."
    )
    return ExactEigenpair(
        value=value,
        numeric=numeric,
        algebraic_multiplicity=mult,
        geometric_multiplicity=len(basis),
        eigenvectors=tuple(tuple(_sympy_float(x) for x in v) for v in basis),
        vectors_exact=False,
        numeric_vectors=tuple(tuple(complex(x) for x in v) for v in basis),
    )


def exact_eigen(matrix: Any) -> SymbolicEigen:
    """Characteristic polynomial, exact eigenvalues with multiplicities, eigenspace bases."""
    poly = characteristic_polynomial(matrix)
    found, exact, notes = _eigenvalues(poly.expression, matrix.rows)
    a = matrix_floats(matrix)
    pairs = [_pair(matrix, a, value, mult, notes) for value, mult in found.items()]
    pairs.sort(key=lambda p: (round(p.numeric.real, 12), round(p.numeric.imag, 12)))
    return SymbolicEigen(matrix=matrix, polynomial=poly, pairs=tuple(pairs), exact=exact, notes=tuple(notes))


# --------------------------------------------------------------------------- numeric


def numeric_eigen(matrix: Any) -> NumericEigen:
    """`tf.linalg.eigh` (symmetric) or `tf.linalg.eig` (otherwise), in float64/complex128."""
    from .._tf import tensorflow

    tf = tensorflow()
    a = matrix_floats(matrix)
    started = time.perf_counter()
    if matrix == matrix.T:
        method = "eigh"
        w, v = tf.linalg.eigh(tf.constant(a, dtype=tf.float64))
    else:
        method = "eig"
        w, v = tf.linalg.eig(tf.constant(a, dtype=tf.float64))
    values = np.asarray(w.numpy(), dtype=np.complex128)
    vectors = np.asarray(v.numpy(), dtype=np.complex128)
    seconds = time.perf_counter() - started
    return NumericEigen(
        method=method,
        values=tuple(complex(x) for x in values),
        vectors=tuple(tuple(complex(x) for x in vectors[:, k]) for k in range(vectors.shape[1])),
        seconds=seconds,
    )


# --------------------------------------------------------------------------- verification


def _short(value: Any, numeric: complex) -> str:
    """The exact value if it is short, else its numeric value (for notes and tables)."""
    text = sympy.sstr(value)
    return text if len(text) <= 40 else f"{_fmt_value(numeric)} (≈)"


def _fmt_value(c: complex) -> str:
    if c.imag == 0:
        return f"{c.real:.6g}"
    sign = "+" if c.imag >= 0 else "−"
    return f"{c.real:.6g} {sign} {abs(c.imag):.6g}i"


def _orthonormal(columns: np.ndarray, rank: int | None = None) -> np.ndarray:
    u, s, _ = np.linalg.svd(columns, full_matrices=False)
    if rank is None:
        rank = int(np.sum(s > 1e-12 * max(1.0, float(s[0]) if s.size else 1.0)))
    return u[:, : max(rank, 1)]


def verify(symbolic: SymbolicEigen, numeric: NumericEigen, tolerance: float = DEFAULT_TOLERANCE) -> EigenVerification:
    """Pair numeric with exact eigenvalues and check values, vectors and residuals."""
    a = matrix_floats(symbolic.matrix)
    n = a.shape[0]
    scale = max(1.0, float(np.linalg.norm(a, 2)))
    notes = [_method_note(numeric.method), *symbolic.notes]
    slots, order = _pair_order(symbolic, numeric.values)
    if len(slots) != len(numeric.values):
        notes.append(f"The numeric side returned {len(numeric.values)} eigenvalues for a {n}×{n} matrix.")
    limits = _limits(symbolic, tolerance, scale)
    bases = [
        _orthonormal(np.array(p.numeric_vectors, dtype=np.complex128).T, p.geometric_multiplicity)
        for p in symbolic.pairs
    ]
    vectors = [np.array(v, dtype=np.complex128) for v in numeric.vectors]
    residual_limit = max(tolerance, 100 * EPS) * scale
    paired = [slots[order[i]] if i < len(order) else 0 for i in range(len(numeric.values))]  # exact index
    checks = [
        _check_pair(i, lam, v, paired[i], a, symbolic, bases[paired[i]], limits, residual_limit)
        for i, (lam, v) in enumerate(zip(numeric.values, vectors))
    ]
    subspace_errors, subspace_ok = _check_eigenspaces(symbolic, vectors, checks, bases, limits, notes)
    notes += _complex_notes(symbolic)
    if any(p.algebraic_multiplicity == 1 for p in symbolic.pairs):
        notes.append("Eigenvectors are unique only up to scale and sign, so they are compared by angle, not entry by entry.")
    residuals = [c.residual for c in checks]
    return EigenVerification(
        checks=tuple(checks),
        subspace_errors=tuple(subspace_errors),
        residuals=tuple(residuals),
        max_residual=max(residuals, default=0.0),
        max_value_error=max((c.value_error for c in checks), default=0.0),
        max_vector_error=max([c.vector_error for c in checks] + subspace_errors, default=0.0),
        tolerance=tolerance,
        match=bool(checks) and all(c.ok for c in checks) and subspace_ok and len(numeric.values) == n,
        notes=tuple(notes),
    )


def _method_note(method: str) -> str:
    if method == "eigh":
        return "A is symmetric, so tf.linalg.eigh was used: real eigenvalues and orthonormal eigenvectors."
    return "A is not symmetric, so tf.linalg.eig was used (complex128 eigenvalues and eigenvectors)."


def _pair_order(symbolic: SymbolicEigen, values: tuple[complex, ...]) -> tuple[list[int], tuple[int, ...]]:
    """The exact eigenvalues repeated by algebraic multiplicity (the slots), and the slot each
    numeric value takes: the order with the smallest largest, then total, distance (n ≤ 6, so
    every order is tried). In slot order if the counts differ."""
    slots = [k for k, p in enumerate(symbolic.pairs) for _ in range(p.algebraic_multiplicity)]
    if len(slots) != len(values):
        return slots, tuple(range(len(slots)))
    exact_values = [symbolic.pairs[k].numeric for k in slots]

    def distance(order: tuple[int, ...]) -> tuple[float, float]:
        dists = [abs(values[i] - exact_values[order[i]]) for i in range(len(values))]
        return max(dists, default=0.0), sum(dists)

    return slots, min(itertools.permutations(range(len(slots))), key=distance)


@dataclass(frozen=True)
class _Limits:
    """Per exact eigenvalue: how far a numeric eigenvalue, and the angle of its vector, may be off."""

    value: tuple[float, ...]
    vector: tuple[float, ...]


def _limits(symbolic: SymbolicEigen, tolerance: float, scale: float) -> _Limits:
    """Looser for a defective eigenvalue (floating point finds it to about ε^(1/block)), and for
    a vector whose eigenvalue is close to another (the angle is sensitive to the gap)."""
    distinct = [p.numeric for p in symbolic.pairs]
    value: list[float] = []
    vector: list[float] = []
    for k, p in enumerate(symbolic.pairs):
        gaps = [abs(p.numeric - q) for j, q in enumerate(distinct) if j != k]
        gap = min(gaps) if gaps else math.inf
        if p.defective:
            block = p.algebraic_multiplicity - p.geometric_multiplicity + 1
            value.append(max(tolerance * scale, 100 * EPS ** (1.0 / block) * scale))
            vector.append(max(tolerance, 100 * EPS ** (1.0 / block)))
        else:
            value.append(tolerance * scale)
            vector.append(max(tolerance, 100 * EPS * scale / gap) if gap > 0 else tolerance)
    return _Limits(tuple(value), tuple(vector))


def _check_pair(index: int, lam: complex, v: np.ndarray, k: int, a: np.ndarray, symbolic: SymbolicEigen,
                basis: np.ndarray, limits: _Limits, residual_limit: float) -> PairCheck:
    """One numeric pair against exact eigenvalue k: |Δλ|, ‖Av − λv‖/‖v‖ and the angle to its eigenspace."""
    norm = float(np.linalg.norm(v)) or 1.0
    residual = float(np.linalg.norm(a @ v - lam * v)) / norm
    u = v / norm
    vector_error = float(np.linalg.norm(u - basis @ (basis.conj().T @ u)))
    value_error = abs(lam - symbolic.pairs[k].numeric)
    ok = value_error <= limits.value[k] and vector_error <= limits.vector[k] and residual <= residual_limit
    return PairCheck(
        index=index,
        value=lam,
        vector=tuple(complex(x) for x in v),
        exact_index=k,
        value_error=value_error,
        residual=residual,
        vector_error=vector_error,
        value_tolerance=limits.value[k],
        vector_tolerance=limits.vector[k],
        ok=ok,
    )


def _check_eigenspaces(symbolic: SymbolicEigen, vectors: list[np.ndarray], checks: list[PairCheck],
                       bases: list[np.ndarray], limits: _Limits, notes: list[str]) -> tuple[list[float], bool]:
    """Per exact eigenvalue, the error of its eigenspace, and whether all are within their limits.

    An eigenspace of dimension > 1 is compared as a subspace (any basis of it is valid);
    what is special about an eigenvalue (a larger eigenspace, a defect) is added to `notes`.
    """
    errors: list[float] = []
    all_ok = True
    for k, p in enumerate(symbolic.pairs):
        mine = [vectors[c.index] / (np.linalg.norm(vectors[c.index]) or 1.0) for c in checks if c.exact_index == k]
        if p.geometric_multiplicity > 1 and len(mine) >= p.geometric_multiplicity:
            err = _subspace_error(bases[k], mine, p.geometric_multiplicity)
            all_ok = all_ok and err <= limits.vector[k]
            notes.append(
                f"λ = {_short(p.value, p.numeric)} has algebraic multiplicity {p.algebraic_multiplicity} and a "
                f"{p.geometric_multiplicity}-dimensional eigenspace: any basis of it is valid, so the numeric "
                f"eigenvectors are compared as a subspace, by projection (largest principal angle: sin = {err:.2e})."
            )
        else:
            err = max((c.vector_error for c in checks if c.exact_index == k), default=0.0)
        errors.append(err)
        if p.defective:
            notes.append(_defective_note(p, mine, limits.value[k]))
    return errors, all_ok


def _subspace_error(basis: np.ndarray, unit_vectors: list[np.ndarray], dimension: int) -> float:
    """The sine of the largest principal angle between the exact eigenspace and the numeric vectors' span."""
    spanned = _orthonormal(np.array(unit_vectors).T, dimension)
    sv = np.linalg.svd(basis.conj().T @ spanned, compute_uv=False)
    return math.sqrt(max(0.0, 1.0 - float(min(sv)) ** 2))


def _defective_note(p: ExactEigenpair, unit_vectors: list[np.ndarray], value_limit: float) -> str:
    cosines = [abs(np.vdot(x, y)) for x, y in itertools.combinations(unit_vectors, 2)]
    parallel = f" (|cos| of the angle between them: {max(cosines):.12f})" if cosines else ""
    block = p.algebraic_multiplicity - p.geometric_multiplicity + 1
    return (
        f"λ = {_short(p.value, p.numeric)} is defective: algebraic multiplicity {p.algebraic_multiplicity} but geometric "
        f"multiplicity {p.geometric_multiplicity}, so A has no basis of eigenvectors (it is not "
        f"diagonalisable). The numeric eigenvectors for it are nearly parallel{parallel}, and "
        f"floating-point eigenvalues of a Jordan block of size up to {block} are only accurate to about "
        f"ε^(1/{block}) ≈ {EPS ** (1.0 / block):.1e}, so this eigenvalue is compared with tolerance "
        f"{value_limit:.1e}."
    )


def _complex_notes(symbolic: SymbolicEigen) -> list[str]:
    complex_pairs = [p for p in symbolic.pairs if abs(p.numeric.imag) > 0]
    if not complex_pairs:
        return []
    listed = ", ".join(_short(p.value, p.numeric) for p in complex_pairs)
    return [
        f"A has complex eigenvalues ({listed}): a real matrix that is not symmetric can rotate vectors, "
        "so no real direction is merely stretched. They come in conjugate pairs, and their eigenvectors "
        "are complex, compared up to a complex scale factor."
    ]


def compute_eigen(text: str, tolerance: float = DEFAULT_TOLERANCE) -> EigenResult:
    """Parse, solve both ways and verify (imports TensorFlow)."""
    matrix = parse_matrix_input(text)
    symbolic = exact_eigen(matrix)
    numeric = numeric_eigen(matrix)
    return EigenResult(str(text).strip(), symbolic, numeric, verify(symbolic, numeric, tolerance))


# --------------------------------------------------------------------------- summary parts


def json_number(c: complex) -> float | dict[str, float]:
    """A real number as a float, a complex one as {"re", "im"} (JSON has no complex type)."""
    c = complex(c)
    if c.imag == 0:
        return float(c.real)
    return {"re": float(c.real), "im": float(c.imag)}


def symbolic_summary(symbolic: SymbolicEigen) -> dict[str, Any]:
    m = symbolic.matrix
    poly = symbolic.polynomial
    return {
        "matrix": [[sympy.sstr(m[i, j]) for j in range(m.cols)] for i in range(m.rows)],
        "matrix_latex": sympy.latex(m, mat_delim="["),
        "size": m.rows,
        "symmetric": bool(symbolic.symmetric),
        "characteristic_polynomial": {
            "convention": "det(A − λI)",
            "string": poly.text,
            "factored": poly.factored_text,
            "pretty": poly.pretty,
            "factored_pretty": poly.factored_pretty,
            "latex": poly.latex,
            "factored_latex": poly.factored_latex,
        },
        "eigenvalues": {"exact_values": symbolic.exact, "exact": [_pair_summary(p) for p in symbolic.pairs]},
    }


def _pair_summary(p: ExactEigenpair) -> dict[str, Any]:
    summary = {
        "value": p.text,
        "latex": p.latex,
        "float": json_number(p.numeric),
        "algebraic_multiplicity": p.algebraic_multiplicity,
        "geometric_multiplicity": p.geometric_multiplicity,
        "defective": p.defective,
        "eigenvectors": [[sympy.sstr(e) for e in v] for v in p.eigenvectors],
        "eigenvectors_latex": [sympy.latex(sympy.ImmutableMatrix(v), mat_delim="[") for v in p.eigenvectors],
        "vectors_exact": p.vectors_exact,
    }
    relation = eigenvector_relation(p)
    if relation:
        summary["relation"] = relation
    return summary


def eigenvector_relation(p: ExactEigenpair) -> str | None:
    """For a 2×2 matrix's one-dimensional eigenspace, what every eigenvector (v₁, v₂) satisfies."""
    if len(p.eigenvectors) != 1 or len(p.eigenvectors[0]) != 2 or not p.vectors_exact:
        return None
    a, b = (sympy.nsimplify(x) if isinstance(x, float) else x for x in p.eigenvectors[0])
    if a == 0:
        return "v₁ = 0"
    if b == 0:
        return "v₂ = 0"
    ratio = sympy.simplify(a / b)
    if ratio == 1:
        return "v₁ = v₂"
    if ratio == -1:
        return "v₁ = −v₂"
    return f"v₁ = {exact_text(sympy.sstr(ratio))}·v₂"


def merge_summaries(symbolic_part: dict[str, Any], numeric_part: dict[str, Any]) -> dict[str, Any]:
    """Combine the two summary parts; the numeric eigenvalues go under eigenvalues.numeric."""
    out = dict(symbolic_part)
    numeric_part = dict(numeric_part)
    out["eigenvalues"] = {**out.get("eigenvalues", {}), "numeric": numeric_part.pop("eigenvalues_numeric", [])}
    out.update(numeric_part)
    return out


def numeric_summary(symbolic: SymbolicEigen, numeric: NumericEigen, verification: EigenVerification) -> dict[str, Any]:
    return {
        "method": f"tf.linalg.{numeric.method}",
        "numeric_seconds": round(numeric.seconds, 6),
        "eigenvalues_numeric": [
            {
                "value": json_number(c.value),
                "vector": [json_number(x) for x in c.vector],
                "paired_with": symbolic.pairs[c.exact_index].text if symbolic.pairs else None,
                "value_error": c.value_error,
                "residual": c.residual,
                "vector_error": c.vector_error,
                "value_tolerance": c.value_tolerance,
                "vector_tolerance": c.vector_tolerance,
                "ok": c.ok,
            }
            for c in verification.checks
        ],
        "residuals": list(verification.residuals),
        "max_residual": verification.max_residual,
        "max_value_error": verification.max_value_error,
        "max_vector_error": verification.max_vector_error,
        "tolerance": verification.tolerance,
        "match": verification.match,
        "notes": list(verification.notes),
    }
