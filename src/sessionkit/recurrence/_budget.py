"""The contract every candidate generator follows, and the :class:`Budget` it spends from.

A leaf below the generators (``_arithmetic``, ``_general``) and the facade
(``_candidates``) that re-exports them, so they share it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.recurrence._plan import Plan

__all__ = ["Budget", "Candidates"]


class Budget:
    """Counts the candidate periods one expansion examines; raises past the limit."""

    __slots__ = ("describe", "left", "limit")

    def __init__(self, limit: int, describe: Callable[[], str]) -> None:
        self.left = limit
        self.limit = limit
        self.describe = describe

    def spend(self, n: int) -> None:
        """Count ``n`` more candidate periods; raise once past the limit."""
        self.left -= n
        if self.left < 0:
            raise ExpansionLimitExceeded(
                self.describe(), self.limit, examined=self.limit - self.left
            )


Candidates = Callable[[Plan, timedelta, timedelta, Budget], Iterator[timedelta]]
"""A candidate generator: wall times in ``[lo, hi)`` (and at or after DTSTART), ascending."""
