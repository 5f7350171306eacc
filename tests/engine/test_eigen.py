"""Eigenpairs: SymPy's exact answer against tf.linalg.eigh / eig."""

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from fmnist_tui.engine.calculus.eigen import LAMBDA, compute_eigen, parse_matrix_input
from fmnist_tui.engine.errors import ConfigError, ExpressionError


def _pairs(result):
    return {p.value: p for p in result.symbolic.pairs}


def _parallel(u, v):
    u = np.array([complex(sympy.N(e)) for e in u])
    v = np.array([complex(e) for e in v])
    return abs(np.vdot(u, v)) / (np.linalg.norm(u) * np.linalg.norm(v))


def test_original_example():
    result = compute_eigen("[[3, 2], [2, 3]]")
    poly = result.symbolic.polynomial
    assert sympy.expand(poly.expression - (LAMBDA**2 - 6 * LAMBDA + 5)) == 0
    assert poly.factored == (LAMBDA - 1) * (LAMBDA - 5)
    pairs = _pairs(result)
    assert set(pairs) == {1, 5}
    v5, v1 = pairs[5].eigenvectors[0], pairs[1].eigenvectors[0]
    assert v5[0] == v5[1]  # v1 = v2
    assert v1[0] == -v1[1]  # v1 = −v2
    assert all(p.algebraic_multiplicity == p.geometric_multiplicity == 1 for p in pairs.values())
    assert result.numeric.method == "eigh"
    assert sorted(c.real for c in result.numeric.values) == pytest.approx([1, 5], abs=1e-12)
    for check in result.verification.checks:
        exact_vec = result.symbolic.pairs[check.exact_index].eigenvectors[0]
        assert _parallel(exact_vec, check.vector) == pytest.approx(1, abs=1e-12)
    assert max(result.verification.residuals) < 1e-12
    assert result.verification.match


@pytest.mark.parametrize(
    "text, eigenvalues, method, note",
    [
        ("[[0, -1], [1, 0]]", {sympy.I: (1, 1), -sympy.I: (1, 1)}, "eig", "complex eigenvalues"),
        ("[[1, 1], [0, 1]]", {1: (2, 1)}, "eig", "defective"),
        ("[[2, 0], [0, 2]]", {2: (2, 2)}, "eigh", "2-dimensional eigenspace"),
        ("[[1, 0, 0], [0, 1, 0], [0, 0, 1]]", {1: (3, 3)}, "eigh", "3-dimensional eigenspace"),
        ("[[2, -1, 0], [-1, 2, -1], [0, -1, 2]]", {2: (1, 1), 2 - sympy.sqrt(2): (1, 1), 2 + sympy.sqrt(2): (1, 1)}, "eigh", "symmetric"),
        ("[[2, 1], [-1, 0]]", {1: (2, 1)}, "eig", "defective"),
        ("[[2, 1, 0], [0, 2, 1], [0, 0, 2]]", {2: (3, 1)}, "eig", "Jordan block"),
        ("4 1; 2 3", {2: (1, 1), 5: (1, 1)}, "eig", "not symmetric"),
        ("[[1/2, 0.25], [0.25, 1/2]]", {sympy.Rational(1, 4): (1, 1), sympy.Rational(3, 4): (1, 1)}, "eigh", "symmetric"),
        ("[[5]]", {5: (1, 1)}, "eigh", "symmetric"),
    ],
)
def test_cases(text, eigenvalues, method, note):
    result = compute_eigen(text)
    pairs = _pairs(result)
    assert {sympy.nsimplify(k) for k in pairs} == set(eigenvalues)
    for value, (alg, geo) in eigenvalues.items():
        pair = next(p for k, p in pairs.items() if sympy.simplify(k - value) == 0)
        assert (pair.algebraic_multiplicity, pair.geometric_multiplicity) == (alg, geo)
        assert len(pair.eigenvectors) == geo
    assert result.numeric.method == method
    assert result.verification.match, result.verification
    assert any(note in n for n in result.verification.notes), result.verification.notes


def test_defective_numeric_vectors_nearly_parallel():
    result = compute_eigen("[[1, 1], [0, 1]]")
    v1, v2 = (np.array(c.vector) for c in result.verification.checks)
    assert abs(np.vdot(v1, v2)) / (np.linalg.norm(v1) * np.linalg.norm(v2)) > 1 - 1e-12
    assert "nearly parallel" in " ".join(result.verification.notes)


def test_rotation_eigenvectors_complex():
    result = compute_eigen("[[0, -1], [1, 0]]")
    assert sorted(c.imag for c in result.numeric.values) == pytest.approx([-1, 1])
    assert result.verification.max_vector_error < 1e-12


def test_quintic_falls_back_to_crootof():
    result = compute_eigen("[[0,1,0,0,0],[0,0,1,0,0],[0,0,0,1,0],[0,0,0,0,1],[-1,1,0,0,0]]")  # x^5 - x + 1
    assert result.verification.match
    assert any("CRootOf" in n for n in result.verification.notes)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[[1, 2], [3]]", "ragged"),
        ("[[1, 2, 3], [4, 5, 6]]", "not square"),
        ("[[sqrt(-1), 0], [0, 1]]", "not real"),
        ("; ".join([" ".join(["1"] * 7)] * 7), "6×6"),
        ("[[x, 1], [1, 1]]", "numbers only"),
    ],
)
def test_bad_matrices(text, fragment):
    with pytest.raises(ConfigError) as info:
        parse_matrix_input(text)
    assert info.value.field == "matrix"
    assert fragment in info.value.message


def test_bad_matrix_is_expression_error():
    with pytest.raises(ExpressionError):
        parse_matrix_input("[[1, 2], [3, 4]")


@st.composite
def symmetric_matrices(draw):
    n = draw(st.integers(1, 4))
    entries = {}
    for i in range(n):
        for j in range(i, n):
            entries[i, j] = entries[j, i] = draw(st.integers(-9, 9))
    return [[entries[i, j] for j in range(n)] for i in range(n)]


@settings(max_examples=15, deadline=None)
@given(symmetric_matrices())
def test_random_symmetric_matrices(rows):
    result = compute_eigen(str(rows))
    scale = max(1.0, float(np.linalg.norm(np.array(rows, dtype=float), 2)))
    assert result.numeric.method == "eigh"
    assert max(result.verification.residuals) < 1e-12 * scale
    assert all(abs(c.imag) == 0 for c in result.numeric.values)
    assert sum(p.algebraic_multiplicity for p in result.symbolic.pairs) == len(rows)
    assert result.verification.match, (rows, result.verification)
