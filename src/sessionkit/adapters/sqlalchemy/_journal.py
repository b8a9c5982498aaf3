"""The journal repository: the generic one plus a tenant's history, by session, record or whole.

A history's filters are the statement's. ``actor`` is compared in the
column's own collation, exact on every database (``journal_rows``): in any
other, the ``(tenant, actor, at, seq, id)`` index could not be read for it.
Each history is a range of one index, ``(tenant, [session, record or
actor,] at, seq, id)``: the window bounds ``at``, and so does a cursor,
whose ``at`` is a lower bound too (the rest of it only sorts out ties).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy.journal_rows import journal_table
from sessionkit.model.journal import JournalEntry
from sessionkit.ports import JournalCursor

__all__ = ["SqlAlchemyJournalRepository"]

J = journal_table


class SqlAlchemyJournalRepository(SqlRepository[JournalEntry]):
    """The :class:`~sessionkit.ports.JournalRepository` of a SQL unit of work."""

    def history(
        self,
        tenant: str,
        *,
        session_id: str | None = None,
        subject: tuple[str, str] | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: JournalCursor | None = None,
        limit: int,
    ) -> list[JournalEntry]:
        """Return up to ``limit`` entries, oldest first (by at, seq, id), after ``after``."""
        if limit <= 0:
            return []
        statement = select(J).where(J.c.tenant == tenant)
        if session_id is not None:
            statement = statement.where(J.c.session_id == session_id)
        if subject is not None:
            statement = statement.where(J.c.subject == subject[0], J.c.subject_id == subject[1])
        if actor is not None:
            statement = statement.where(J.c.actor == actor)
        if since is not None:
            statement = statement.where(J.c.at >= since)
        if before is not None:
            statement = statement.where(J.c.at < before)
        if after is not None:
            at, seq, last = after
            statement = statement.where(
                J.c.at >= at,  # the range's start; the OR alone is a filter to some planners
                or_(
                    J.c.at > at,
                    and_(J.c.at == at, or_(J.c.seq > seq, and_(J.c.seq == seq, J.c.id > last))),
                ),
            )
        statement = statement.order_by(J.c.at, J.c.seq, J.c.id).limit(limit)
        rows = self._unit.db().connection().execute(statement).mappings()
        make = self.sql.from_row
        return [make(row) for row in rows]
