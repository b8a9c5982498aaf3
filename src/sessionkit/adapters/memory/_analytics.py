"""Analytics in memory: the looped aggregates over the unit of work's tables.

The reader owns no table; it reads the sessions, bookings, payments,
reschedule requests, presence, overrides, subscriptions and usage tables of
its unit of work (inside the ``with`` block).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sessionkit.adapters._looped_analytics import LoopedAnalytics
from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.ports import ANALYTICS, Kind

__all__ = ["InMemoryAnalytics"]


class InMemoryAnalytics(MemoryRepository[Any], LoopedAnalytics):
    """The :class:`~sessionkit.ports.AnalyticsReader` of an in-memory unit of work.

    Only the reader's methods are meant to be called: the generic repository
    methods it inherits would manage an empty table of no kind's records.
    """

    def _rows(self, kind: Kind[Any], tenant: str) -> Iterable[Any]:
        self._uow.journal()  # inside the with block only
        return self._uow.table(kind).of(tenant).values()


register(ANALYTICS, InMemoryAnalytics)
