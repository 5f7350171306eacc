"""What the calculus results (a Jacobian, eigenpairs) are made of, and their two forms.

A result reads as `Section`s: a title and its parts (text `Line`s, `Formula`s, `Table`s
and `Bullets`), built once from the run's summary by `render.jacobian` and `render.eigen`.
Two thin adapters show them: `markdown_document` writes summary.md (formulas as LaTeX),
`rich_sections` feeds the headless command and the screens (formulas as Unicode drawings).
Numbers are formatted here, once: `number`, `error`, `tolerance_text`.

No Textual, argparse or TensorFlow. rich and SymPy are imported inside the functions that
need them: the engine writes Markdown with neither, and the UI loads SymPy in a thread.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

from .table import Table

MINUS = "−"
VERDICTS = {True: "✓ match", False: "✗ mismatch"}
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


# --------------------------------------------------------------------------- the parts


@dataclass(frozen=True)
class Line:
    """A line of text; `style` "note" is an explanation (dim on a terminal), "strong" a finding (bold).

    `code` spans, as Markdown writes them, are highlighted on a terminal.
    """

    text: str
    style: str = ""


@dataclass(frozen=True)
class Formula:
    """Math: LaTeX for Markdown; on a terminal its Unicode `drawing`, or `text` where that does not fit."""

    latex: str
    text: str
    drawing: str = ""  # multi-line Unicode; made only where the SymPy objects are at hand
    strong: bool = False  # the exact answer (green on a terminal)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


Part = Union[Line, Formula, Table, Bullets]


@dataclass(frozen=True)
class Section:
    title: str
    parts: tuple[Part, ...]


# --------------------------------------------------------------------------- numbers


def number(value: Any, digits: int = 10) -> str:
    """A real or complex number, compactly (5, −0.5, 1 + 2i, −i); JSON's {"re", "im"} too.

    Anything that is not a number is shown as it is (a summary may hold anything).
    """
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        re_, im = value.get("re"), value.get("im")
        if _is_number(re_) and _is_number(im):
            return number(complex(re_, im), digits)
        return f"{re_} + {im}i"
    if not _is_number(value):
        return str(value)
    try:
        c = complex(value)
    except OverflowError:  # an integer beyond float range
        return str(value)
    if c.imag == 0:
        return _real(c.real, digits)
    im = abs(c.imag)
    im_text = "" if im == 1 else _real(im, digits)
    if c.real == 0:
        return f"{MINUS if c.imag < 0 else ''}{im_text}i"
    return f"{_real(c.real, digits)} {MINUS if c.imag < 0 else '+'} {im_text}i"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, complex)) and not isinstance(value, bool)


def _real(x: float, digits: int) -> str:
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"  # the sign reads as a minus; an exponent keeps its hyphen, as errors do
    return MINUS + text[1:] if text.startswith("-") else text


def error(value: Any) -> str:
    """An error or residual: 1.23e-16; "—" when there is none."""
    if value is None:
        return "—"
    if not _is_number(value) or isinstance(value, complex):
        return str(value)
    try:
        x = float(value)
    except OverflowError:
        return str(value)
    return f"{x:.2e}" if math.isfinite(x) else str(x)


def tolerance_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def exact_text(text: Any) -> str:
    """SymPy's text of an exact number with i for the imaginary unit and a real minus sign."""
    return re.sub(r"\bI\b", "i", str(text)).replace("-", MINUS)


def vector_text(values: Iterable[Any], digits: int = 10) -> str:
    """(a, b, …): text entries as they are, numbers through `number`."""
    return "(" + ", ".join(v if isinstance(v, str) else number(v, digits) for v in values) + ")"


def latex_number(value: Any, digits: int = 10) -> str:
    return number(value, digits).replace(MINUS, "-")


def latex_matrix(rows: Sequence[Sequence[str]]) -> str:
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}"


def subscript(i: Any) -> str:
    return str(i).translate(SUBSCRIPTS)


def superscript(n: Any) -> str:
    return str(n).translate(SUPERSCRIPTS)


def rows_of(value: Any) -> list[list[Any]]:
    """A summary's matrix as rows; anything else as no rows."""
    if not isinstance(value, list):
        return []
    return [row if isinstance(row, list) else [row] for row in value]


def mapping(value: Any) -> Mapping[str, Any]:
    """A summary's object, or an empty one where it holds something else."""
    return value if isinstance(value, Mapping) else {}


def notes_section(notes: Any) -> list[Section]:
    """The run's notes, if any, as the last section."""
    items = tuple(str(n) for n in notes) if isinstance(notes, list) else ()
    return [Section("Notes", (Bullets(items),))] if items else []


# --------------------------------------------------------------------------- drawings


def bracket_matrix(rows: Sequence[Sequence[str]]) -> str:
    """A matrix of strings drawn with Unicode brackets, columns right-aligned."""
    if not rows or not rows[0]:
        return "[]"
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    if len(lines) == 1:
        return f"[{lines[0]}]"
    out = []
    for i, line in enumerate(lines):
        left, right = ("⎡", "⎤") if i == 0 else (("⎣", "⎦") if i == len(lines) - 1 else ("⎢", "⎥"))
        out.append(f"{left}{line}{right}")
    return "\n".join(out)


def labelled_block(label: str, block: str) -> str:
    """`label` before a multi-line block, on its middle line (as SymPy centres a matrix)."""
    lines = block.split("\n")
    middle = (len(lines) - 1) // 2
    pad = " " * len(label)
    return "\n".join((label if i == middle else pad) + line for i, line in enumerate(lines)).rstrip()


def pretty_line(*parts: Any) -> str:
    """Text and SymPy objects side by side on a common baseline, drawn by SymPy's pretty printer."""
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    printer = PrettyPrinter({"use_unicode": True, "wrap_line": False})
    # The brackets and ⋅ come from a global switch that defaults to ASCII when stdout is not a
    # terminal (as under Textual); sympy.pretty flips it the same way.
    previous = pretty_use_unicode(True)
    try:
        forms = [prettyForm(part) if isinstance(part, str) else printer._print(part) for part in parts]
        rendered = prettyForm(*stringPict.next(*forms)).render(wrap_line=False)
    finally:
        pretty_use_unicode(previous)
    return "\n".join(line.rstrip() for line in rendered.split("\n"))


def draw(label: str, shape: Any) -> str:
    """`label` and a SymPy object drawn side by side; "" without the object (a summary has none)."""
    return pretty_line(label, shape) if shape is not None else ""


# --------------------------------------------------------------------------- Markdown


def markdown_document(title: str, summary: Mapping[str, Any], build: Callable[[], list[Section]],
                      verdict: Mapping[bool, str]) -> str:
    """summary.md: the title, the run's status, the sections and the verdict.

    Copes with any summary (running, cancelled, failed, or damaged): a summary must always
    be writable, so what cannot be rendered is named instead.
    """
    lines = markdown_header(title, summary)
    try:
        lines += markdown_sections(build())
    except Exception as exc:
        lines += [f"(Could not render the details: {exc})", ""]
        return "\n".join(lines)
    if isinstance(summary.get("match"), bool):
        match = summary["match"]
        lines += [f"**{VERDICTS[match]}**: {verdict[match]}.", ""]
    return "\n".join(lines)


def markdown_header(title: str, summary: Mapping[str, Any]) -> list[str]:
    status = summary.get("status", "unknown")
    meta = [f"**Status:** {status}"]
    if summary.get("run_id"):
        meta.append(f"**Run:** `{summary['run_id']}`")
    seconds = summary.get("seconds_total")
    if _is_number(seconds) and math.isfinite(seconds):
        meta.append(f"**Time:** {seconds:.2f} s")
    lines = [f"# {title}", "", " · ".join(meta), ""]
    if summary.get("error"):
        lines += [f"> **Error:** {summary['error']}", ">", f"> {summary.get('hint') or ''}".rstrip(), ""]
    return lines


def markdown_sections(sections: Sequence[Section]) -> list[str]:
    lines: list[str] = []
    for section in sections:
        lines += [f"## {section.title}", ""]
        for part in section.parts:
            lines += [markdown_part(part), ""]
    return lines


def markdown_part(part: Part) -> str:
    if isinstance(part, Table):
        return part.markdown()
    if isinstance(part, Formula):
        return f"```math\n{part.latex}\n```" if part.latex else part.text
    if isinstance(part, Bullets):
        return "\n".join(f"- {item}" for item in part.items)
    return part.text


# --------------------------------------------------------------------------- rich


def rich_sections(sections: Sequence[Section]):
    """All sections as one rich renderable, each under a rule with its title."""
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    parts: list[Any] = []
    for k, section in enumerate(sections):
        if k:
            parts.append(Text(""))
        parts.append(Rule(Text(section.title, style="bold"), align="left", style="blue"))
        parts.extend(rich_part(part) for part in section.parts)
    return Group(*parts)


LINE_STYLES = {"note": "dim", "strong": "bold", "": ""}


def rich_part(part: Part):
    from rich.text import Text

    if isinstance(part, Table):
        return rich_table(part)
    if isinstance(part, Formula):
        return Math(part.drawing or part.text, part.text, style="bold green" if part.strong else "bold")
    if isinstance(part, Bullets):
        return Text("\n".join(f"• {item}" for item in part.items))
    return rich_line(part)


def rich_line(line: Line):
    from rich.text import Text

    text = Text(style=LINE_STYLES.get(line.style, ""))
    for k, piece in enumerate(line.text.split("`")):  # odd pieces are inside `code` spans
        text.append(piece, style="bold cyan" if k % 2 else "")
    return text


CELL_STYLES = {"✓": "green", "✗": "bold red"}


def rich_table(table: Table):
    """A compact rich table; cells are plain text (never markup), ✓ green and ✗ red."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    out = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for k, (header, align) in enumerate(zip(table.headers, table.alignment)):
        justify = {"l": "left", "r": "right", "c": "center"}[align]
        # numbers never wrap; a long exact value or basis folds rather than widen the table
        wrap = {"overflow": "fold"} if align == "l" and k else {"no_wrap": True}
        out.add_column(header, justify=justify, **wrap)
    for row in table.rows:
        out.add_row(*(Text(str(cell), style=CELL_STYLES.get(str(cell), "")) for cell in row))
    return out


class Math:
    """Drawn math that never wraps mid-formula: where it is wider than the space, its
    one-line text is shown instead (which may wrap)."""

    def __init__(self, drawing: str, text: str, style: str = "bold") -> None:
        self.drawing = drawing
        self.text = text
        self.style = style

    def __rich_console__(self, console: Any, options: Any):
        from rich.cells import cell_len
        from rich.segment import Segment
        from rich.text import Text

        lines = self.drawing.split("\n")
        if max((cell_len(line) for line in lines), default=0) <= options.max_width:
            # Segments, not Text: nothing may strip the alignment spaces of a multi-line formula.
            style = console.get_style(self.style) if self.style else None
            for line in lines:
                yield Segment(line, style)
                yield Segment.line()
        else:
            yield Text(self.text, style=self.style)
