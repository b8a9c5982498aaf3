"""The values expansion works with: :class:`Occurrence` and the expansion :class:`Plan`.

A leaf of the recurrence package: it imports no other recurrence module, so
the rule, the expansion stages and :class:`~sessionkit.recurrence.Recurrence`
can all import it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from sessionkit.timespan import TimeSpan
from sessionkit.zones import RecurrenceDisambiguate

__all__ = ["MAX_CANDIDATES", "YEAR_COST", "Occurrence", "Plan"]

MAX_CANDIDATES: Final = 100_000
"""Default cap on the candidate cost of one expansion (see :class:`~sessionkit.limits.Limits`).

Every rule period and every candidate date examined costs 1, and every local
year whose DST transitions are worked out costs :data:`YEAR_COST`.
"""
YEAR_COST: Final = 250
"""The candidate cost of one local year visited (working out its transitions takes milliseconds)."""


class Occurrence(NamedTuple):
    """One occurrence of a recurrence.

    ``span`` is its real time (UTC, lasting exactly the recurrence's duration);
    ``local_start`` the aware start in the recurrence's zone; ``key`` the
    original local start as a naive wall-clock time (the RFC 5545 RECURRENCE-ID),
    which stays the occurrence's identity when it is later moved or cancelled.
    It is a NamedTuple so that a million of them can be built per second.
    """

    span: TimeSpan
    local_start: datetime
    key: datetime


class Plan(NamedTuple):
    """Everything about a recurrence that expansion needs, computed once per Recurrence.

    The rule's parts come flattened, with the BYxxx defaults that RFC 5545
    takes from DTSTART filled in (``byday`` as ``(weekday, ordinal)`` pairs);
    ``fast`` names the arithmetic candidate path, or is ``None`` for dateutil;
    ``never`` says no day can ever match (e.g. ``BYMONTH=2;BYMONTHDAY=30``).
    A NamedTuple because one is built per Recurrence: a frozen attrs class with
    this many fields costs several microseconds more to build.
    """

    freq: str
    interval: int
    rule_count: int | None  # not "count", which tuple already has
    until: datetime | None
    wkst: int
    start_d: timedelta
    start: datetime
    zone: ZoneInfo
    disambiguate: RecurrenceDisambiguate
    duration: timedelta
    byday: tuple[tuple[int, int | None], ...]
    byhour: tuple[int, ...]
    byminute: tuple[int, ...]
    bysecond: tuple[int, ...]
    bymonth: tuple[int, ...]
    bymonthday: tuple[int, ...]
    byyearday: tuple[int, ...]
    byweekno: tuple[int, ...]
    bysetpos: tuple[int, ...]
    fast: str | None
    never: bool
    tod: timedelta
    ex_instants: frozenset[datetime]
    ex_days: frozenset[date]
    describe: Callable[[], str]
    """Returns the rule as RFC 5545 text, for error messages (formatted only when needed)."""
