"""The Jacobian screen: SymPy's exact Jacobian of f at a point against GradientTape's."""

from __future__ import annotations

from fmnist_tui.engine.calculus.tasks import JacobianConfig
from fmnist_tui.render.jacobian import jacobian_headline, jacobian_sections

from .calculus_base import CalculusScreen


class JacobianScreen(CalculusScreen):

    HELP = """\
## Jacobian

Differentiates f at a point two ways — exactly with SymPy, and with TensorFlow's
`tf.GradientTape` in float64 — and compares them entry by entry.

* **Expression**: one expression, e.g. `3*x**2 + 2*x + 3`, or a list `[x*y, sin(x) + y**2]`.
  A one-variable expression is applied *elementwise* to the point (f: Rⁿ → Rⁿ, so the
  Jacobian is diagonal: the original exercise, J = diag(6x + 2) → (8, 20) at (1, 3)).
* **Point**: comma-separated numbers such as `1,3`, `1/2, 2` or `0, pi/4`; one per variable
  unless the expression is elementwise.
* **Variables** (optional): the column order, e.g. `x,y`; default: the expression's
  variables sorted by name.
* **Tolerance**: an entry matches when |autodiff − exact| ≤ tolerance · max(1, |exact|).

Allowed: `+ - * / **`, numbers, `pi`, `E`, and `sin cos tan asin acos atan sinh cosh tanh
exp log ln sqrt abs`; anything else (other names, attributes, `__import__`) is refused and
explained under the field. The result shows the function, the symbolic Jacobian, its exact
value, `tape.jacobian` and `tape.gradient` (and why the gradient is the column sums), the
verification table, the errors and the ✓/✗ badge. Each run is saved in `runs/<run-id>/`.

Keys: **s** or **Enter** compute · **c** cancel · **↑/↓ PgUp/PgDn** scroll the result ·
**Esc** home · **?** help · **q** quit
"""

    SETTINGS = ("jacobian.expr", "jacobian.at", "jacobian.vars", "jacobian.tolerance")
    CONFIG = JacobianConfig
    TASK = "jacobian"
    TASK_TITLE = "Jacobian"
    SECTIONS, HEADLINE = jacobian_sections, jacobian_headline
    INTRO = """\
[b]The original exercise[/b]

y = 3x² + 2x + 3 applied to x = (1, 3): its Jacobian is diag(6x + 2), so at (1, 3) it is \
diag(8, 20) — checked there with [b]tf.GradientTape[/b].

Press [b]s[/b] (or Enter in a field) to compute it exactly with SymPy and with autodiff, \
and compare. Edit the fields for any other function."""
