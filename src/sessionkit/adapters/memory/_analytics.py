"""Analytics in memory: the same aggregates the SQL adapter's ``GROUP BY`` computes, by looping.

The reader owns no table; it reads the sessions, bookings, payments and
reschedule requests tables of its unit of work (inside the ``with`` block).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sessionkit.adapters.memory._query import matches
from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.model.analytics import (
    ClientBookings,
    CountBy,
    KeyCount,
    PaymentTotal,
    RevenueBy,
    StatusCount,
    TimingCount,
)
from sessionkit.model.booking import Booking
from sessionkit.model.payment import Payment
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.ports import ANALYTICS, BOOKINGS, PAYMENTS, RESCHEDULES, SESSIONS, Kind

__all__ = ["InMemoryAnalytics"]


def _in_window(at: datetime, start_from: datetime | None, start_to: datetime | None) -> bool:
    return (start_from is None or at >= start_from) and (start_to is None or at < start_to)


class InMemoryAnalytics(MemoryRepository[Any]):
    """The :class:`~sessionkit.ports.AnalyticsReader` of an in-memory unit of work.

    Only the reader's methods are meant to be called: the generic repository
    methods it inherits would manage an empty table of no kind's records.
    """

    def _rows(self, kind: Kind[Any], tenant: str) -> Iterable[Any]:
        self._uow.journal()  # inside the with block only
        return self._uow.table(kind).of(tenant).values()

    def _sessions(self, tenant: str, scope: SessionQuery) -> Iterator[Session]:
        needle = None if scope.search is None else scope.search.casefold()
        rows: Iterable[Session] = self._rows(SESSIONS, tenant)
        return (s for s in rows if matches(s, scope, needle))

    def _keyed(
        self, tenant: str, scope: SessionQuery, by: CountBy | None, seats: Collection[str]
    ) -> Iterator[tuple[str | None, Session]]:
        """Yield ``(key, session)`` once per group membership of each session in scope."""
        sessions = self._sessions(tenant, scope)
        if by is None:
            yield from ((None, s) for s in sessions)
        elif by == "kind":
            yield from ((s.lifecycle, s) for s in sessions)
        elif by == "resource":
            yield from ((str(r), s) for s in sessions for r in s.resources)
        else:
            chosen = {s.id: s for s in sessions}
            bookings: Iterable[Booking] = self._rows(BOOKINGS, tenant)
            for booking in bookings:
                session = chosen.get(booking.session_id)
                if session is not None and booking.status in seats:
                    yield str(booking.participant), session

    def status_counts(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        seat_statuses: Collection[str],
    ) -> list[StatusCount]:
        """Return how many sessions in ``scope`` have each status, per group of ``by``."""
        keyed = self._keyed(tenant, scope, by, seat_statuses)
        counted = Counter((key, s.status) for key, s in keyed)
        return [StatusCount(key, status, n) for (key, status), n in counted.items()]

    def rescheduled(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        seat_statuses: Collection[str],
        moved_statuses: Collection[str],
    ) -> list[KeyCount]:
        """Return, per group, how many sessions in ``scope`` were moved by a request."""
        requests: Iterable[RescheduleRequest] = self._rows(RESCHEDULES, tenant)
        moved = {r.session_id for r in requests if r.status in moved_statuses}
        # One count per group membership: a session once per resource, a booking per participant.
        counted = Counter(
            key for key, s in self._keyed(tenant, scope, by, seat_statuses) if s.id in moved
        )
        return [KeyCount(key, n) for key, n in counted.items()]

    def timing(self, tenant: str, scope: SessionQuery, *, now: datetime) -> list[TimingCount]:
        """Return how many sessions in ``scope`` have each status and ended by ``now`` or not."""
        counted = Counter((s.status, s.span.end <= now) for s in self._sessions(tenant, scope))
        return [TimingCount(status, ended, n) for (status, ended), n in counted.items()]

    def payment_totals(
        self,
        tenant: str,
        *,
        by: RevenueBy | None,
        start_from: datetime | None,
        start_to: datetime | None,
    ) -> list[PaymentTotal]:
        """Return count and exact sums of payments per group of ``by``, currency and status."""
        sums: dict[tuple[str | None, str, str], list[Any]] = {}
        payments: Iterable[Payment] = self._rows(PAYMENTS, tenant)
        for p in payments:
            if not _in_window(p.session_start, start_from, start_to):
                continue
            key = _payment_key(p, by)
            entry = sums.setdefault(
                (key, p.currency, p.status), [0, Decimal(0), Decimal(0), Decimal(0)]
            )
            entry[0] += 1
            entry[1] += p.amount.amount
            entry[2] += p.refunded
            entry[3] += p.refund_due
        return [
            PaymentTotal(key, currency, status, n, amount, refunded, due)
            for (key, currency, status), (n, amount, refunded, due) in sums.items()
        ]

    def client_bookings(
        self,
        tenant: str,
        *,
        statuses: Collection[str],
        start_from: datetime | None,
        start_to: datetime | None,
    ) -> list[ClientBookings]:
        """Return per participant their bookings in ``statuses`` of sessions in the window."""
        found: dict[str, list[Booking]] = {}
        bookings: Iterable[Booking] = self._rows(BOOKINGS, tenant)
        for b in bookings:
            if b.status in statuses and _in_window(b.session_start, start_from, start_to):
                found.setdefault(str(b.participant), []).append(b)
        return [_client(client, mine) for client, mine in found.items()]


def _payment_key(payment: Payment, by: RevenueBy | None) -> str | None:
    if by is None:
        return None
    if by == "provider":
        return payment.provider
    if by == "client":
        return str(payment.participant)
    return payment.status


def _client(client: str, bookings: list[Booking]) -> ClientBookings:
    starts = [b.session_start for b in bookings]
    return ClientBookings(
        client=client,
        bookings=len(bookings),
        sessions=len({b.session_id for b in bookings}),
        first_session=min(starts),
        last_session=max(starts),
    )


register(ANALYTICS, InMemoryAnalytics)
