"""The in-memory storage adapter: every storage port, thread-safe, in process memory.

Not a test double: use it in notebooks, scripts and small apps that need no
database. It raises the same errors a database adapter does and passes the
same contract suite (:mod:`sessionkit.testing.contract`).

Every kind is kept in one journalled table type; :class:`MemoryRepository`
stores any :class:`~sessionkit.ports.Kind` with no registration, and a kind
with its own reads registers a subclass with :func:`register` (sessions and
series do).

>>> from sessionkit.adapters.memory import InMemoryStore
>>> store = InMemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.series.active()
[]
"""

from __future__ import annotations

from sessionkit.adapters.memory._analytics import InMemoryAnalytics
from sessionkit.adapters.memory._attendance import (
    InMemoryOverrideRepository,
    InMemoryPresenceRepository,
)
from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.adapters.memory._journal import InMemoryJournalRepository
from sessionkit.adapters.memory._payments import InMemoryPaymentRepository
from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.adapters.memory._reschedules import InMemoryRescheduleRepository
from sessionkit.adapters.memory._series import InMemorySeriesRepository
from sessionkit.adapters.memory._sessions import InMemorySessionRepository
from sessionkit.adapters.memory._store import InMemoryStore, InMemoryUnitOfWork
from sessionkit.adapters.memory._usage import (
    InMemoryCounterRepository,
    InMemorySessionCodeRepository,
    InMemorySubscriptionRepository,
    InMemoryUsageRepository,
)

__all__ = [
    "InMemoryAnalytics",
    "InMemoryBookingRepository",
    "InMemoryJournalRepository",
    "InMemoryCounterRepository",
    "InMemorySessionCodeRepository",
    "InMemorySubscriptionRepository",
    "InMemoryUsageRepository",
    "InMemoryOverrideRepository",
    "InMemoryPresenceRepository",
    "InMemoryPaymentRepository",
    "InMemoryRescheduleRepository",
    "InMemorySeriesRepository",
    "InMemorySessionRepository",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "MemoryRepository",
    "register",
]
