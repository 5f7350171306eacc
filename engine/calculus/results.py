"""What the calculus results share: their part of summary.json, made once per result."""

from __future__ import annotations

from functools import cached_property
from typing import Any


class SummarisedResult:
    """A result (a frozen dataclass) that writes part of its run's summary.

    The part is made once: the front ends ask for it more than once (the sections, the
    headline), and printing a large formula takes a while. The cache is no dataclass field,
    so the journal never carries it.
    """

    def summary_part(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_summary(self) -> dict[str, Any]:
        return dict(self._summary)

    @cached_property
    def _summary(self) -> dict[str, Any]:
        return self.summary_part()
