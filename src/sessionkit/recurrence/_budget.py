"""The contract every candidate generator follows, and the :class:`Budget` it spends from.

A leaf below the generators (``_arithmetic``, ``_general``) and the facade
(``_candidates``) that re-exports them, so they share it without an import cycle.

The cost of one expansion is the same whichever generator serves the rule:

* every rule period of the stretch it covers costs 1, charged by the generator
  with :func:`charge_periods` before it looks at any of them, in chunks of at
  most :data:`CHUNK_PERIODS` (never more than one past what is left, so the
  refusal comes after a small window's worth of work, not a chunk's);
* every candidate date the generator hands on costs 1, charged by ``expand`` as
  it receives it, so a call that stops early (its window is full) has paid for
  everything it examined and nothing it did not;
* every local year after the first costs ``YEAR_COST`` (charged by the clock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Final, NoReturn

from sessionkit.errors import ExpansionLimitExceeded, InvalidValue
from sessionkit.errors._base import check_int, shown
from sessionkit.recurrence._plan import Plan

__all__ = ["CHUNK_PERIODS", "Budget", "Candidates", "charge_periods", "check_candidates"]

CHUNK_PERIODS: Final = 4096
"""The most periods a generator charges (and then examines) at once."""


def check_candidates(value: object) -> int:
    """Return ``value``, an expansion budget (``max_candidates``); refuse what is no count >= 1."""
    value = check_int(value, name="max_candidates", expected="an integer >= 1")
    if value < 1:
        raise InvalidValue(
            f"max_candidates must be >= 1, got {shown(value)}", value=value, expected=">= 1"
        )
    return value


class Budget:
    """Counts the candidate cost one expansion incurs; raises past the limit."""

    __slots__ = ("describe", "left", "limit")

    def __init__(self, limit: int, describe: Callable[[], str]) -> None:
        self.left = limit
        self.limit = limit
        self.describe = describe

    def spend(self, n: int) -> None:
        """Count ``n`` more; raise once past the limit."""
        self.left -= n
        if self.left < 0:
            self.overdrawn()

    def overdrawn(self) -> NoReturn:
        """Raise the error for a budget spent past its limit (``left`` already negative)."""
        raise ExpansionLimitExceeded(self.describe(), self.limit, examined=self.limit - self.left)


def charge_periods(budget: Budget, first: int, last: int) -> int:
    """Charge the next chunk of periods, ``first`` up to at most ``last``; return how many.

    Periods are numbered from DTSTART's (0). A chunk is at most
    :data:`CHUNK_PERIODS` long and at most one longer than the budget has left,
    so a rule that needs more is refused having charged ``limit + 1``.
    """
    n = min(CHUNK_PERIODS, budget.left + 1, last - first + 1)
    budget.spend(n)
    return n


Candidates = Callable[[Plan, timedelta, timedelta, Budget], Iterator[timedelta]]
"""A candidate generator: wall times in ``[lo, hi)`` (and at or after DTSTART), ascending.

It charges the periods from the one containing ``lo`` (DTSTART's, if ``lo`` is
earlier) to the last one starting before ``hi`` with :func:`charge_periods`.
"""
