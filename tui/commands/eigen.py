"""`fmnist-tui run eigen`: eigenpairs of a square matrix, SymPy (exact) vs tf.linalg.

The derivation is built by `render.eigen` (as summary.md and the Eigen screen show it).
Imports neither TensorFlow, SymPy nor Textual at module level.
"""

from __future__ import annotations

import argparse

from fmnist_tui.render.eigen import VERDICT, eigen_sections

from . import add_setting_arguments, section_values
from .jacobian import EXIT_MISMATCH, CalculusRenderer, exit_code

__all__ = ["exit_code", "EXIT_MISMATCH"]

NAME = "eigen"
HELP = "check tf.linalg's eigenpairs of a square matrix against the exact characteristic polynomial"
EPILOG = """\
examples:
  fmnist-tui run eigen                                     # the original: [[3,2],[2,3]]
  fmnist-tui run eigen --matrix "[[3,2],[2,3]]"
  fmnist-tui run eigen --matrix "[[0,-1],[1,0]]"           # a rotation: complex eigenvalues ±i
  fmnist-tui run eigen --matrix "[[1,1],[0,1]]"            # defective: one eigenvector for λ = 1
  fmnist-tui run eigen --matrix "[[2,0,0],[0,3,4],[0,4,9]]" --tolerance 1e-12

The matrix is square, up to 6×6, with real entries: numbers, fractions such as 1/2, and
expressions such as sqrt(2) or pi/4. SymPy gives the characteristic polynomial
det(A − λI) (expanded and factored), the exact eigenvalues with their algebraic and
geometric multiplicities, and a basis of each eigenspace. The numeric side is
tf.linalg.eigh for a symmetric matrix and tf.linalg.eig otherwise; each numeric pair is
checked by its residual ‖Av − λv‖, its distance to the exact eigenvalue, and its angle to
the exact eigenspace. Complex, repeated and defective eigenvalues are explained.

exit status: 0 completed and matched (✓), 1 completed with a mismatch (✗) or failed,
2 invalid input (the message names the option), 130 cancelled (Ctrl-C).
Each run writes runs/<run-id>/summary.md (with LaTeX math) and summary.json.
"""

SETTING_SECTIONS = ("eigen",)


def add_arguments(parser: argparse.ArgumentParser, added: set[str] | None = None) -> None:
    add_setting_arguments(parser, "eigen", added)


def build_task(args: argparse.Namespace):
    from fmnist_tui.engine.calculus.tasks import EigenConfig, EigenTask

    return EigenTask.from_options(EigenConfig.parse(section_values(args, "eigen")).to_dict())


class Renderer(CalculusRenderer):
    SECTIONS, VERDICT = eigen_sections, VERDICT
