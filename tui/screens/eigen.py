"""The Eigen screen: exact eigenpairs (SymPy) of a square matrix against tf.linalg's."""

from __future__ import annotations

from fmnist_tui.engine.calculus.tasks import EigenConfig
from fmnist_tui.render.eigen import eigen_headline, eigen_sections

from .calculus_base import CalculusScreen


class EigenScreen(CalculusScreen):

    HELP = """\
## Eigen

Finds the eigenpairs of a square matrix two ways — exactly with SymPy, from the
characteristic polynomial det(A − λI), and numerically with `tf.linalg.eigh` (symmetric A)
or `tf.linalg.eig` (otherwise) — and checks each numeric pair: its residual ‖Av − λv‖, its
distance to the exact eigenvalue and its angle to the exact eigenspace.

* **Matrix**: nested lists, up to 6×6, real entries: `[[3,2],[2,3]]` (the original
  exercise: λ = 5 with v₁ = v₂ and λ = 1 with v₁ = −v₂, from λ² − 6λ + 5), `[[0,-1],[1,0]]`
  (a rotation: complex λ = ±i), `[[1,1],[0,1]]` (defective: λ = 1 twice, one eigenvector).
  Entries may be fractions or expressions such as `1/2`, `sqrt(2)`, `pi/4`.
* **Tolerance**: for eigenvalues and residuals, relative to the size of A (looser, and
  explained, for defective eigenvalues, which floating point can only find to about √ε).

The result shows A, det(A − λI) expanded and factored, the exact eigenvalues with their
algebraic and geometric multiplicities and eigenspaces, the numeric pairs with residuals,
the ✓/✗ badge and notes on complex, repeated and defective cases. Each run is saved in
`runs/<run-id>/`.

Keys: **s** or **Enter** compute · **c** cancel · **↑/↓ PgUp/PgDn** scroll the result ·
**Esc** home · **?** help · **q** quit
"""

    SETTINGS = ("eigen.matrix", "eigen.tolerance")
    CONFIG = EigenConfig
    TASK = "eigen"
    TASK_TITLE = "Eigen"
    SECTIONS, HEADLINE = eigen_sections, eigen_headline
    INTRO = """\
[b]The original exercise[/b]

A = [[3, 2], [2, 3]]: det(A − λI) = λ² − 6λ + 5 = (λ − 5)(λ − 1), so λ = 5 with \
eigenvectors v₁ = v₂, and λ = 1 with v₁ = −v₂.

Press [b]s[/b] (or Enter in the field) to compute the eigenpairs exactly with SymPy and \
numerically with [b]tf.linalg[/b], and compare. Try [b][[0,-1],[1,0]][/b] (complex) or \
[b][[1,1],[0,1]][/b] (defective)."""
