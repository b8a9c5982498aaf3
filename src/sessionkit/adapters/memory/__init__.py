"""The in-memory storage adapter: every storage port, thread-safe, in process memory.

Not a test double: use it in notebooks, scripts and small apps that need no
database. It raises the same errors a database adapter does and passes the
same contract suite (:mod:`sessionkit.testing.contract`).

>>> from sessionkit.adapters.memory import InMemoryStore
>>> store = InMemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.series.active()
[]
"""

from __future__ import annotations

from sessionkit.adapters.memory._store import (
    InMemorySeriesRepository,
    InMemorySessionRepository,
    InMemoryStore,
    InMemoryUnitOfWork,
)

__all__ = [
    "InMemorySeriesRepository",
    "InMemorySessionRepository",
    "InMemoryStore",
    "InMemoryUnitOfWork",
]
