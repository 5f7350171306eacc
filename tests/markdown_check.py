"""Checks that Markdown tables survive a GitHub-flavoured parser (shared by report tests)."""

from __future__ import annotations

from markdown_it import MarkdownIt


def table_lines(markdown: str) -> list[str]:
    """Lines that look like table rows, outside fenced blocks."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("|"):
            lines.append(line)
    return lines


def rendered_rows(markdown: str) -> int:
    """Table rows (header and body) a GFM parser finds."""
    tokens = MarkdownIt("gfm-like").parse(markdown)
    return sum(1 for t in tokens if t.type == "tr_open")


def expected_rows(markdown: str) -> int:
    """Table-looking lines minus one delimiter row per table."""
    rows = table_lines(markdown)
    delimiters = [r for r in rows if set(r.replace(" ", "")) <= set("|:-")]
    return len(rows) - len(delimiters)
