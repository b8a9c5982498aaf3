"""The payment repository: the generic one plus the reads the payment commands and lists need.

Writes are the generic repository's: the database's constraints refuse a
second payment for a booking (``DuplicatePayment``, key ``"booking"``), a
provider reference another payment holds (key ``"intent"``) and a payment of
a missing booking (``BookingNotFound``), and the versioned ``UPDATE`` refuses
a stale one. Every read here is one statement, filtered, ordered and limited
by the database (see :mod:`.payment_rows` for the indexes behind them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy.payment_rows import payments_table
from sessionkit.model.payment import Payment
from sessionkit.model.session import ResourceRef

__all__ = ["SqlAlchemyPaymentRepository"]

P = payments_table


class SqlAlchemyPaymentRepository(SqlRepository[Payment]):
    """The :class:`~sessionkit.ports.PaymentRepository` of a SQL unit of work."""

    def _one(self, conditions: list[ColumnElement[bool]]) -> Payment | None:
        found = self._load(self._unit.db(), conditions)
        return found[0] if found else None

    def for_booking(self, tenant: str, booking_id: str) -> Payment | None:
        """Return the booking's payment, or ``None``."""
        return self._one([P.c.tenant == tenant, P.c.booking_id == booking_id])

    def by_intent(self, tenant: str, provider: str, intent_ref: str) -> Payment | None:
        """Return the payment the provider knows as ``intent_ref``, or ``None``."""
        return self._one(
            [P.c.tenant == tenant, P.c.provider == provider, P.c.intent_ref == intent_ref]
        )

    def for_bookings(self, tenant: str, booking_ids: Iterable[str]) -> dict[str, Payment]:
        """Return the payments of those bookings that have one, by booking id (an IN per chunk)."""
        wanted = list(dict.fromkeys(booking_ids))
        found: dict[str, Payment] = {}
        db = self._unit.db()
        for chunk in chunks(wanted):
            for payment in self._load(db, [P.c.tenant == tenant, P.c.booking_id.in_(chunk)]):
                found[payment.booking_id] = payment
        return {i: found[i] for i in wanted if i in found}

    def with_due(
        self, tenant: str | None, *, limit: int, now: datetime | None = None
    ) -> list[Payment]:
        """Return payments with a provider call due by ``now``, by ``due_at`` (``None``: all tenants).

        Ties go by tenant, then id; one range of the ``(due_since, tenant, id)`` index.
        """  # noqa: E501
        if limit <= 0:
            return []
        conditions: list[ColumnElement[bool]] = [P.c.due_since.is_not(None)]
        if now is not None:
            conditions.append(P.c.due_since <= now)
        if tenant is not None:
            conditions.append(P.c.tenant == tenant)
        statement = (
            select(P).where(*conditions).order_by(P.c.due_since, P.c.tenant, P.c.id).limit(limit)
        )
        return self._rows(statement)

    def query(
        self,
        tenant: str,
        *,
        statuses: Iterable[str] | None = None,
        participant: ResourceRef | None = None,
        session_ids: Iterable[str] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Payment]:
        """Return the tenant's payments matching every filter given, by session start then id.

        ``start_from`` / ``start_to`` bound the session's start (``[from,
        to)``); ``after`` is a keyset cursor ``(session_start, id)``. Filters,
        order and limit are the database's.
        """
        conditions: list[ColumnElement[bool]] = [P.c.tenant == tenant]
        for column, values in ((P.c.status, statuses), (P.c.session_id, session_ids)):
            if values is not None:
                wanted = sorted(set(values))
                if not wanted:
                    return []
                conditions.append(column.in_(wanted))
        if participant is not None:
            conditions += [
                P.c.participant_kind == participant.kind,
                P.c.participant_id == participant.id,
            ]
        if start_from is not None:
            conditions.append(P.c.session_start >= start_from)
        if start_to is not None:
            conditions.append(P.c.session_start < start_to)
        if after is not None:
            start, last_id = after
            conditions.append(
                or_(
                    P.c.session_start > start,
                    and_(P.c.session_start == start, P.c.id > last_id),
                )
            )
        statement = select(P).where(*conditions).order_by(P.c.session_start, P.c.id)
        if limit is not None:
            if limit <= 0:
                return []
            statement = statement.limit(limit)
        return self._rows(statement)

    def _rows(self, statement: Any) -> list[Payment]:
        rows = self._unit.db().connection().execute(statement).mappings()
        make = self.sql.from_row
        return [make(row) for row in rows]
