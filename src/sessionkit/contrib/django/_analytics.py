"""Analytics on the Django store: the looped aggregates over the tenant's rows.

The SQL adapter aggregates in the database; here each figure reads the
tenant's rows of the kinds it needs through their repositories (one query
per kind, rows built into records as every read builds them) and counts in
Python, with the definitions the in-memory store uses
(:class:`~sessionkit.adapters._looped_analytics.LoopedAnalytics`), which the
contract suite holds to the SQL adapter's answers. The sessions in a figure's
scope are picked by the database, as ``kit.queries`` picks them; the other
kinds' cost grows with the tenant's rows, not with the figure's scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from sessionkit.adapters._looped_analytics import LoopedAnalytics
from sessionkit.contrib.django._sessions import DjangoSessionRepository
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import SESSIONS, Kind

if TYPE_CHECKING:
    from sessionkit.contrib.django.store import DjangoUnitOfWork

__all__ = ["DjangoAnalytics"]


class DjangoAnalytics(LoopedAnalytics):
    """The :class:`~sessionkit.ports.AnalyticsReader` of a Django unit of work."""

    def __init__(self, uow: DjangoUnitOfWork, kind: Kind[Any]) -> None:
        self.kind = kind
        self._uow = uow

    def _rows(self, kind: Kind[Any], tenant: str) -> Iterator[Any]:
        repository = self._uow.repository(kind)
        for row in repository.rows(tenant).iterator(chunk_size=2_000):
            yield repository.from_row(row)

    def _sessions(self, tenant: str, scope: SessionQuery) -> Iterator[Session]:
        # Picked by the database as kit.queries picks them: a search of own fields lowers
        # their text with its lower(), which Python's lower() differs from beyond ASCII.
        # The store registers it for SESSIONS, which no kind of the host's may take.
        repository = cast("DjangoSessionRepository", self._uow.repository(SESSIONS))
        for row in repository.filtered(tenant, scope).iterator(chunk_size=2_000):
            yield repository.from_row(row)
