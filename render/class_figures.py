"""How a classifier's per-class figures read: the confusion table, the per-class table, their colours.

Built once, from a `ClassesScored` event's data or a summary's model record
(`record_figures`), for the three front ends: the Markdown summary (`.markdown()`, full
class names everywhere), the headless output (`.rich()`, predicted classes abbreviated so
the table fits a terminal) and the Confusion tab (the same cells and styles in a
DataTable, with each class's precision, recall and F1 beside its row). Each count is
shaded by its share of its row: the diagonal (correct predictions) in green, mistakes in
red, stronger as the share grows. Styles are rich style strings; the adapters apply them.
No Textual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from fmnist_tui.engine.class_figures import CLASS_NAMES

from .table import RICH_JUSTIFY, Table

#: Predicted-class column headers where full names would not fit (same order as CLASS_NAMES).
SHORT_NAMES = ("Tee", "Trou", "Pull", "Drss", "Coat", "Sndl", "Shrt", "Snkr", "Bag", "Boot")
CORNER = "true ↓ predicted →"
SHORT_CORNER = "true ↓ pred. →"
NO_VALUE = "—"
SCORE_KEYS = ("precision", "recall", "f1")  # in a per-class record
SCORE_HEADERS = ("precision", "recall", "F1")
BESIDE_HEADERS = ("prec.", "recall", "F1")  # the scores beside the matrix, kept narrow
ROWS_NOTE = "Rows: true class; columns: predicted class; the diagonal counts the correct predictions."
SHORT_COLUMNS_NOTE = "Columns abbreviate the rows' class names, in the same order."
SCORES_NOTE = (
    "Precision: of the images predicted as the class, the share that are it; recall: of the class's "
    "images, the share predicted as it; F1: their harmonic mean; support: the class's test images."
)

# The colour scale (RGB): a count's background goes from BASE towards the diagonal's or the
# mistakes' colour with its share of the row. Mistakes rarely pass a quarter of a row, so
# their scale saturates there and rises steeply (square root) so that 1% still shows.
BASE = (38, 38, 38)
CORRECT = (46, 160, 67)
MISTAKEN = (215, 48, 39)
MISTAKE_SATURATION = 0.25


# --------------------------------------------------------------------------- colours

def share_level(count: int, row_total: int, diagonal: bool) -> float:
    """How strongly a count is shaded, 0 to 1, from its share of its row."""
    if count <= 0 or row_total <= 0:
        return 0.0
    share = count / row_total
    if diagonal:
        return min(1.0, share)
    return min(1.0, math.sqrt(share / MISTAKE_SATURATION))


def _blend(level: float, target: tuple[int, int, int]) -> tuple[int, int, int]:
    return tuple(round(b + (t - b) * level) for b, t in zip(BASE, target))  # type: ignore[return-value]


def _hex(rgb: Sequence[int]) -> str:
    return "#" + "".join(f"{value:02x}" for value in rgb)


def share_style(count: int, row_total: int, diagonal: bool) -> str:
    """A count's rich style: a background by its share of the row, text legible on it.

    Zero is dim and unshaded, so the cells that matter stand out.
    """
    if count <= 0:
        return "dim"
    background = _blend(max(share_level(count, row_total, diagonal), 0.15), CORRECT if diagonal else MISTAKEN)
    luminance = 0.2126 * background[0] + 0.7152 * background[1] + 0.0722 * background[2]
    text = "#000000" if luminance > 140 else "#ffffff"
    return f"{text} on {_hex(background)}"


def legend_cells() -> list[tuple[str, str]]:
    """(text, style) pieces of a one-line key to the colour scale."""
    samples = [(" correct ", 1, 1, True), (" 50% ", 1, 2, True), (" 1% ", 1, 100, False), (" 5% ", 1, 20, False),
               (" 25%+ mistaken ", 1, 4, False)]
    cells = [("row share: ", "dim")]
    for text, count, total, diagonal in samples:
        cells += [(text, share_style(count, total, diagonal)), (" ", "")]
    return cells[:-1]


# --------------------------------------------------------------------------- tables

@dataclass(frozen=True)
class ShadedTable(Table):
    """A `Table` whose cells also carry a rich style each (`styles`, row by row; "" for none)."""

    styles: Sequence[Sequence[str]] = ()

    def style(self, row: int, column: int) -> str:
        try:
            return self.styles[row][column]
        except IndexError:
            return ""

    def rich(self, **options: Any):
        from rich.table import Table as RichTable
        from rich.text import Text

        table = RichTable(**options)
        for header, align in zip(self.headers, self.alignment):
            table.add_column(header, justify=RICH_JUSTIFY[align])
        for index, row in enumerate(self.rows):
            table.add_row(*[Text(cell, style=self.style(index, column)) for column, cell in enumerate(row)])
        return table


def class_name(index: int) -> str:
    return CLASS_NAMES[index] if 0 <= index < len(CLASS_NAMES) else str(index)


def short_name(index: int) -> str:
    return SHORT_NAMES[index] if 0 <= index < len(SHORT_NAMES) else str(index)


def score_text(value: Any) -> str:
    """A precision, recall or F1 with three decimals; "—" for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return NO_VALUE
    return f"{value:.3f}"


def _diagonal(matrix: Sequence[Sequence[int]]) -> tuple[int, int, str]:
    """(correct, total, accuracy as text) of a confusion matrix."""
    total = sum(sum(row) for row in matrix)
    correct = sum(row[i] for i, row in enumerate(matrix) if i < len(row))
    return correct, total, f"{correct / total:.4f}" if total else NO_VALUE


def diagonal_note(matrix: Sequence[Sequence[int]]) -> str:
    """ "8,812 of 10,000 test images on the diagonal (accuracy 0.8812)."."""
    correct, total, accuracy = _diagonal(matrix)
    return f"{correct:,} of {total:,} test images on the diagonal (accuracy {accuracy})."


def confusion_caption(epoch: int, matrix: Sequence[Sequence[int]]) -> str:
    """ "epoch 3 · 8,812 of 10,000 correct (accuracy 0.8812)": above the Confusion tab's table."""
    correct, total, accuracy = _diagonal(matrix)
    return f"epoch {epoch} · {correct:,} of {total:,} correct (accuracy {accuracy})"


def confusion_table(matrix: Sequence[Sequence[int]], short_columns: bool = False) -> ShadedTable:
    """Counts with class names: rows true, columns predicted; each count shaded by its row share."""
    rows, styles = [], []
    for true, counts in enumerate(matrix):
        total = sum(counts)
        rows.append([class_name(true), *[str(count) for count in counts]])
        styles.append(["bold", *[share_style(count, total, true == predicted)
                                 for predicted, count in enumerate(counts)]])
    columns = [short_name(i) if short_columns else class_name(i) for i in range(len(matrix))]
    corner = SHORT_CORNER if short_columns else CORNER
    return ShadedTable([corner, *columns], rows, "l" + "r" * len(matrix),
                       notes=(diagonal_note(matrix), ROWS_NOTE, *([SHORT_COLUMNS_NOTE] if short_columns else [])),
                       styles=styles)


def per_class_table(scores: Sequence[Mapping[str, Any]]) -> Table:
    """Precision, recall, F1 and support of every class, then their macro average."""
    rows = [[str(score.get("name") or class_name(index)), *_score_cells(score), _count_text(score.get("support"))]
            for index, score in enumerate(scores)]
    average = {key: _mean([score.get(key) for score in scores]) for key in SCORE_KEYS}
    supports = [score.get("support") for score in scores]
    total = sum(supports) if supports and all(_is_count(s) for s in supports) else None
    rows.append(["macro average", *_score_cells(average), _count_text(total)])
    return Table(["class", *SCORE_HEADERS, "support"], rows, "lrrrr", notes=(SCORES_NOTE,))


def confusion_with_scores(matrix: Sequence[Sequence[int]], scores: Sequence[Mapping[str, Any]]) -> ShadedTable:
    """The Confusion tab's table: the confusion table (predicted classes abbreviated), each
    row followed by its class's precision, recall and F1."""
    counts = confusion_table(matrix, short_columns=True)
    rows, styles = [], []
    for index, (row, style) in enumerate(zip(counts.rows, counts.styles)):
        score = scores[index] if index < len(scores) else {}
        rows.append([*row, *_score_cells(score)])
        styles.append([*style, "", "", "bold"])
    return ShadedTable([*counts.headers, *BESIDE_HEADERS], rows, counts.alignment + "rrr",
                       notes=counts.notes, styles=styles)


def _score_cells(score: Mapping[str, Any]) -> list[str]:
    return [score_text(score.get(key)) for key in SCORE_KEYS]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count_text(value: Any) -> str:
    return str(value) if _is_count(value) else NO_VALUE


def _mean(values: Sequence[Any]) -> float | None:
    """The mean, or None when any value is missing (an average of some classes would mislead)."""
    if not values or any(score_text(v) == NO_VALUE for v in values):
        return None
    return sum(values) / len(values)


# --------------------------------------------------------------------------- summaries

def record_figures(record: Any) -> tuple[list[list[int]], list[Mapping[str, Any]]] | None:
    """(confusion matrix, per-class scores) from a summary's model record; None when it has
    none (a summary written before they existed) or they are not a square matrix of counts."""
    if not isinstance(record, Mapping):
        return None
    matrix = record.get("confusion_matrix")
    if not isinstance(matrix, list) or not matrix:
        return None
    if not all(isinstance(row, list) and len(row) == len(matrix) and all(_is_count(c) and c >= 0 for c in row)
               for row in matrix):
        return None
    scores = record.get("per_class")
    if not isinstance(scores, list) or len(scores) != len(matrix) or not all(isinstance(s, Mapping) for s in scores):
        from fmnist_tui.engine.class_figures import per_class

        scores = per_class(matrix)
    return matrix, scores


# --------------------------------------------------------------------------- the Mistakes tab

def pair_text(true: int | None, predicted: int | None) -> str:
    """ "Shirt → T-shirt/top", "Shirt → any other class", "any class → Shirt"."""
    left = class_name(true) if true is not None else "any class"
    right = class_name(predicted) if predicted is not None else "any other class"
    return f"{left} → {right}"


def diagonal_choice(index: int) -> str:
    """What choosing a diagonal cell says: it counts correct predictions."""
    name = class_name(index)
    return f"{name} → {name} counts the correct predictions: there are no mistakes there."


def mistakes_heading(model_title: str, epoch: int, true: int | None, predicted: int | None,
                     count: int, page: int, pages: int) -> str:
    """ "Shirt → T-shirt/top, 37 images, page 2 of 4 · Keras fit, epoch 3" (page counts from 1).

    Without a filter: "all 1,153 mistakes, page 1 of 58 · …"; none: "Shirt → Bag: no mistakes · …".
    What is shown comes first: a narrow terminal cuts the end of the line.
    """
    where = f"{model_title}, epoch {epoch}"
    filtered = true is not None or predicted is not None
    if not count:
        what = f"{pair_text(true, predicted)}: no mistakes" if filtered else "no mistakes"
    elif filtered:
        what = f"{pair_text(true, predicted)}, {_plural(count, 'image')}, page {page} of {pages}"
    else:
        what = f"all {_plural(count, 'mistake')}, page {page} of {pages}"
    return f"{what} · {where}"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
