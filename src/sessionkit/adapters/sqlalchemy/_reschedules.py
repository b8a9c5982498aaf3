"""The reschedule repository: the generic one plus the pending, history and due reads.

Writes are the generic repository's: the unique constraint on ``(tenant,
pending_session_id)`` refuses a second pending request for a session
(``DuplicateReschedule``, key ``"pending"``) however the writers race, and the
versioned ``UPDATE`` refuses a stale answer, so a request is answered once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

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
