"""A table as data (headers, rows of text, alignment, notes), and its Markdown and rich forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

MARKDOWN_ALIGN = {"l": ":---", "r": "---:", "c": ":---:"}
RICH_JUSTIFY = {"l": "left", "r": "right", "c": "center"}


@dataclass(frozen=True)
class Table:
    """Cells are already formatted text; `align` has "l", "r" or "c" per column."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: str = ""
    notes: Sequence[str] = field(default_factory=tuple)  # sentences shown under the table

    @property
    def alignment(self) -> str:
        return self.align or "l" * len(self.headers)

    def markdown(self) -> str:
        text = markdown_table(self.headers, self.rows, self.alignment)
        return "\n\n".join([text, *self.notes])

    def rich(self, **options: Any):
        """A `rich.table.Table` (imported here only: the engine never needs rich)."""
        from rich.table import Table as RichTable

        table = RichTable(**options)
        for header, align in zip(self.headers, self.alignment):
            table.add_column(header, justify=RICH_JUSTIFY[align])
        for row in self.rows:
            table.add_row(*row)
        return table


def escape_cell(value: Any) -> str:
    """Make any value safe inside a Markdown table cell (pipes and newlines would break rows)."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], align: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table; `align` holds "l", "r" or "c" per column."""
    align = align or ["l"] * len(headers)
    lines = [
        "| " + " | ".join(escape_cell(h) for h in headers) + " |",
        "| " + " | ".join(MARKDOWN_ALIGN[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(escape_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
