"""Analytics by looping over records: the aggregates the SQL adapter's ``GROUP BY`` computes.

:class:`LoopedAnalytics` is an :class:`~sessionkit.ports.AnalyticsReader`
over any source of a tenant's records: a subclass says where they come from
(``_rows``). The in-memory store reads its tables
(:class:`~sessionkit.adapters.memory.InMemoryStore`), the Django store its
repositories (every row of the tenant, built into records), so the three
adapters answer from one definition of each figure besides the SQL one,
which the contract suite holds to the same answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from sessionkit.adapters._session_match import matches
from sessionkit.model.analytics import (
    ClientBookings,
    CountBy,
    KeyCount,
    PaymentTotal,
    RevenueBy,
    StatusCount,
    TimingCount,
)
from sessionkit.model.analytics_use import AttendanceTotal, UsageTotal
from sessionkit.model.attendance import (
    AttendanceOverride,
    Presence,
    attended_within,
    held_span,
    intervals_of,
)
from sessionkit.model.booking import OFFERED, WAITLISTED, Booking
from sessionkit.model.payment import CANCELLED, MANUAL, OPEN_PAYMENT_STATUSES, PENDING, Payment
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.model.usage import Subscription, UsageEntry
from sessionkit.ports import (
    ATTENDANCE_OVERRIDES,
    BOOKINGS,
    PAYMENTS,
    PRESENCE,
    RESCHEDULES,
    SESSIONS,
    SUBSCRIPTIONS,
    USAGE,
    Kind,
)

__all__ = ["LoopedAnalytics"]


def _waiting(payment: Payment, booking: Booking | None, at: datetime) -> bool:
    """Whether ``payment`` only fixed a price for a booking waiting for a seat at ``at``.

    A waitlisted booking's payment, and an offer's not claimed yet (no intent
    asked; a manual one is claimed by being marked paid): it asks for no
    money until the seat is the participant's, so no figure counts it. Once
    the offer or the place ran out it is a cancelled payment, job or no job.
    """
    return (
        booking is not None
        and not booking.expired_at(at)
        and payment.status == PENDING
        and payment.intent_ref is None
        and payment.due is None
        and (
            booking.status == WAITLISTED
            or (booking.status == OFFERED and payment.provider != MANUAL)
        )
    )


def _in_window(at: datetime, start_from: datetime | None, start_to: datetime | None) -> bool:
    return (start_from is None or at >= start_from) and (start_to is None or at < start_to)


def _counted(booking: Booking, statuses: Collection[str], at: datetime) -> bool:
    """Whether ``booking`` is in ``statuses`` and has not run out by ``at``."""
    return booking.status in statuses and not booking.expired_at(at)


class LoopedAnalytics:
    """An :class:`~sessionkit.ports.AnalyticsReader` that loops over a tenant's records.

    Subclasses implement :meth:`_rows`; they may override :meth:`_sessions`
    to filter the sessions in scope at their source.
    """

    def _rows(self, kind: Kind[Any], tenant: str) -> Iterable[Any]:
        """Return every stored record of ``kind`` of ``tenant``."""
        raise NotImplementedError

    def _sessions(self, tenant: str, scope: SessionQuery) -> Iterator[Session]:
        needle = None if scope.search is None else scope.search.casefold()
        rows: Iterable[Session] = self._rows(SESSIONS, tenant)
        return (s for s in rows if matches(s, scope, needle))

    def _keyed(
        self,
        tenant: str,
        scope: SessionQuery,
        by: CountBy | None,
        seats: Collection[str],
        at: datetime,
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
                if session is not None and _counted(booking, seats, at):
                    yield str(booking.participant), session

    def status_counts(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        seat_statuses: Collection[str],
        at: datetime,
    ) -> list[StatusCount]:
        """Return how many sessions in ``scope`` have each status, per group of ``by``."""
        keyed = self._keyed(tenant, scope, by, seat_statuses, at)
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
        at: datetime,
    ) -> list[KeyCount]:
        """Return, per group, how many sessions in ``scope`` were moved by a request."""
        requests: Iterable[RescheduleRequest] = self._rows(RESCHEDULES, tenant)
        # Approved at the start the session already had: nothing moved (as max_reschedules).
        moved = {
            r.session_id
            for r in requests
            if r.status in moved_statuses and r.new_start != r.session_start
        }
        # One count per group membership: a session once per resource, a booking per participant.
        counted = Counter(
            key for key, s in self._keyed(tenant, scope, by, seat_statuses, at) if s.id in moved
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
        at: datetime,
    ) -> list[PaymentTotal]:
        """Return count and exact sums of payments per group of ``by``, currency and status.

        An open payment whose booking ran out by ``at`` is counted CANCELLED;
        one that only waits for a seat (:func:`_waiting`) is no payment yet.
        """
        sums: dict[tuple[str | None, str, str], list[Any]] = {}
        payments: Iterable[Payment] = self._rows(PAYMENTS, tenant)
        booked: Iterable[Booking] = self._rows(BOOKINGS, tenant)
        bookings = {b.id: b for b in booked}
        for p in payments:
            if not _in_window(p.session_start, start_from, start_to):
                continue
            status = p.status
            booking = bookings.get(p.booking_id)
            if _waiting(p, booking, at):
                continue
            if status in OPEN_PAYMENT_STATUSES and booking is not None and booking.expired_at(at):
                status = CANCELLED
            key = _payment_key(p, by, status)
            entry = sums.setdefault(
                (key, p.currency, status), [0, Decimal(0), Decimal(0), Decimal(0)]
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
        at: datetime,
        no_show: Collection[tuple[str, str]] = (),
    ) -> list[ClientBookings]:
        """Return per participant their bookings in ``statuses`` of sessions in the window.

        Bookings run out by ``at`` are left out, whatever their stored status.
        """
        found: dict[str, list[Booking]] = {}
        bookings: Iterable[Booking] = self._rows(BOOKINGS, tenant)
        for b in bookings:
            if _counted(b, statuses, at) and _in_window(b.session_start, start_from, start_to):
                found.setdefault(str(b.participant), []).append(b)
        missed: set[str] = set()
        if no_show and found:
            sessions: Iterable[Session] = self._rows(SESSIONS, tenant)
            wanted = set(no_show)
            missed = {s.id for s in sessions if (s.lifecycle, s.status) in wanted}
        return [_client(client, mine, missed) for client, mine in found.items()]

    def attendance_totals(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        booked_statuses: Collection[str],
        attendee_kinds: Collection[str] = (),
        cancelled: Collection[tuple[str, str]] = (),
    ) -> list[AttendanceTotal]:
        """Return one total per group of ``by``, session in ``scope`` and participant.

        A session whose ``(lifecycle, status)`` is one of ``cancelled`` expected
        nobody: neither its bookings nor its resources make records there.
        """
        chosen = {s.id: s for s in self._sessions(tenant, scope)}
        off = set(cancelled)
        expecting = {i for i, s in chosen.items() if (s.lifecycle, s.status) not in off}
        presence: dict[tuple[str, str], list[Presence]] = {}
        records: Iterable[Presence] = self._rows(PRESENCE, tenant)
        for record in records:
            if record.session_id in chosen:
                presence.setdefault((record.session_id, str(record.participant)), []).append(record)
        told: dict[tuple[str, str], AttendanceOverride] = {}
        overrides: Iterable[AttendanceOverride] = self._rows(ATTENDANCE_OVERRIDES, tenant)
        for override in overrides:
            if override.session_id in chosen:
                told[(override.session_id, str(override.participant))] = override
        people = set(presence) | set(told)
        bookings: Iterable[Booking] = self._rows(BOOKINGS, tenant)
        people.update(
            (b.session_id, str(b.participant))
            for b in bookings
            if b.session_id in expecting and b.status in booked_statuses
        )
        people.update(
            (i, str(r)) for i in expecting for r in chosen[i].resources if r.kind in attendee_kinds
        )
        found: list[AttendanceTotal] = []
        for session_id, participant in people:
            session = chosen[session_id]
            total = _attendance(
                session, participant, presence.get((session_id, participant), []), told
            )
            found.extend(attrs.evolve(total, key=key) for key in _keys(session, participant, by))
        return found

    def usage_totals(self, tenant: str, *, subscriber: str | None) -> list[UsageTotal]:
        """Return per subscription (of ``subscriber``, or all) and period its ledger counts."""
        subscriptions: Iterable[Subscription] = self._rows(SUBSCRIPTIONS, tenant)
        mine = {
            s.id: s for s in subscriptions if subscriber is None or str(s.subscriber) == subscriber
        }
        counted: dict[tuple[str, str], list[int]] = {}
        entries: Iterable[UsageEntry] = self._rows(USAGE, tenant)
        for entry in entries:
            if entry.subscription_id in mine:
                tally = counted.setdefault((entry.subscription_id, entry.period), [0, 0])
                tally[0 if entry.active else 1] += 1
        found = [
            _usage(mine[sub_id], period, used, returned)
            for (sub_id, period), (used, returned) in counted.items()
        ]
        seen = {sub_id for sub_id, _period in counted}
        found.extend(_usage(s, None, 0, 0) for sub_id, s in mine.items() if sub_id not in seen)
        return found


def _payment_key(payment: Payment, by: RevenueBy | None, status: str) -> str | None:
    if by is None:
        return None
    if by == "provider":
        return payment.provider
    if by == "client":
        return str(payment.participant)
    return status


def _keys(session: Session, participant: str, by: CountBy | None) -> list[str | None]:
    if by is None:
        return [None]
    if by == "kind":
        return [session.lifecycle]
    if by == "resource":
        return [str(r) for r in session.resources]
    return [participant]


def _attendance(
    session: Session,
    participant: str,
    presence: list[Presence],
    told: dict[tuple[str, str], AttendanceOverride],
) -> AttendanceTotal:
    """Sum one participant's presence in ``session`` as the SQL statement does (see there)."""
    stays = intervals_of(presence)
    override = told.get((session.id, participant))
    span = session.span
    found = [s for s in stays if s.joined < span.end and (s.left is None or s.left > span.start)]
    last = found[-1].left if found else None
    return AttendanceTotal(
        key=None,
        session_id=session.id,
        participant=participant,
        session_status=session.status,
        start=session.start,
        end=session.end,
        first_join=max(found[0].joined, span.start) if found else None,
        last_leave=last if last is not None and last < span.end else None,
        attended=attended_within(stays, session.span),
        override_status=None if override is None else override.status,
        override_minutes=None if override is None else override.minutes,
        session_lifecycle=session.lifecycle,
        held_end=held_span(session).end,
    )


def _usage(subscription: Subscription, period: str | None, used: int, returned: int) -> UsageTotal:
    return UsageTotal(
        subscription_id=subscription.id,
        subscriber=str(subscription.subscriber),
        credits=subscription.credits,
        per=subscription.per,
        tz=subscription.tz,
        starts=subscription.starts,
        ends=subscription.ends,
        period=period,
        used=used,
        reversed=returned,
    )


def _client(client: str, bookings: list[Booking], missed: set[str]) -> ClientBookings:
    starts = [b.session_start for b in bookings]
    sessions = {b.session_id for b in bookings}
    return ClientBookings(
        client=client,
        bookings=len(bookings),
        sessions=len(sessions),
        first_session=min(starts),
        last_session=max(starts),
        no_shows=len(sessions & missed),
    )
