"""The reschedule repository: the generic one plus the pending, history and due reads.

Writes are the generic repository's: the unique constraint on ``(tenant,
pending_session_id)`` refuses a second pending request for a session
(``DuplicateReschedule``, key ``"pending"``) however the writers race, and the
versioned ``UPDATE`` refuses a stale answer, so a request is answered once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy.reschedule_rows import reschedules_table
from sessionkit.model.reschedule import PENDING, RescheduleRequest

__all__ = ["SqlAlchemyRescheduleRepository"]

R = reschedules_table


class SqlAlchemyRescheduleRepository(SqlRepository[RescheduleRequest]):
    """The :class:`~sessionkit.ports.RescheduleRepository` of a SQL unit of work."""

    def pending_for(self, tenant: str, session_id: str) -> RescheduleRequest | None:
        """Return the session's pending request, or ``None``."""
        found = self._load(
            self._unit.db(), [R.c.tenant == tenant, R.c.pending_session_id == session_id]
        )
        return found[0] if found else None

    def for_session(self, tenant: str, session_id: str) -> list[RescheduleRequest]:
        """Return the session's requests (any status), oldest first (by creation, then id)."""
        return self._load(
            self._unit.db(),
            [R.c.tenant == tenant, R.c.session_id == session_id],
            order_by=(R.c.created_at, R.c.id),
        )

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many requests (any status) each session has; none: left out."""
        wanted = list(dict.fromkeys(session_ids))
        found: dict[str, int] = {}
        connection = self._unit.db().connection()
        for chunk in chunks(wanted):
            statement = (
                select(R.c.session_id, func.count())
                .where(R.c.tenant == tenant, R.c.session_id.in_(chunk))
                .group_by(R.c.session_id)
            )
            found.update((i, int(n)) for i, n in connection.execute(statement))
        return {session_id: found[session_id] for session_id in wanted if session_id in found}

    def due(self, tenant: str | None, *, before: datetime, limit: int) -> list[RescheduleRequest]:
        """Return pending requests whose deadline is at or before ``before``, earliest first."""
        if limit <= 0:
            return []
        statement = select(R).where(R.c.status == PENDING, R.c.deadline <= before)
        if tenant is not None:
            statement = statement.where(R.c.tenant == tenant)
        statement = statement.order_by(R.c.deadline, R.c.tenant, R.c.id).limit(limit)
        rows = self._unit.db().connection().execute(statement).mappings()
        make = self.sql.from_row
        return [make(row) for row in rows]
