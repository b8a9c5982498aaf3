"""The analytics reader: aggregates a store computes itself (``GROUP BY``), handed out by the unit.

Analytics own no records: :data:`ANALYTICS` is a *reader kind*, a
:class:`~sessionkit.ports.Kind` whose repository is an :class:`AnalyticsReader`
over the other kinds' records. A unit of work hands it out like any
repository (``uow.repository(ANALYTICS)``, or ``uow.analytics``); an adapter
that does not compute analytics raises ``UnsupportedKind`` for it, as for any
kind it does not store, so outside adapters keep working unchanged.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

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
from sessionkit.model.query import SessionQuery
from sessionkit.ports._storage import Kind

__all__ = ["ANALYTICS", "AnalyticsReader"]


class AnalyticsReader(Protocol):
    """Aggregates over one tenant's sessions, bookings, payments, requests, presence and usage.

    ``scope`` is a :class:`~sessionkit.model.query.SessionQuery` whose filters
    (window on the start, statuses, resources, series, group, own fields,
    title search, extras) pick the sessions; its order and paging are
    ignored. Each method answers in one or two statements; rows come in no
    particular order (the services sort them). ``key`` is ``None`` when
    ``by`` is ``None``.
    """

    def status_counts(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        seat_statuses: Collection[str],
        at: datetime,
    ) -> list[StatusCount]:
        """Return how many sessions in ``scope`` have each status, per group of ``by``.

        ``by="participant"`` counts bookings in ``seat_statuses`` that take
        their seats at ``at`` (a hold or offer whose ``hold_expires_at`` is at
        or before it does not, whatever its stored status:
        :meth:`~sessionkit.model.booking.Booking.takes_seats`), keyed
        ``"kind:id"`` of the participant; ``"resource"`` keys ``"kind:id"`` of
        the resource; ``"kind"`` the session's lifecycle.
        """
        ...

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
        """Return, per group, how many sessions in ``scope`` a request in ``moved_statuses`` moved.

        A request approved at the start the session already had moved nothing
        and does not count (as for ``max_reschedules``).

        Grouped as :meth:`status_counts` groups (a participant's count is of
        their seat bookings in such sessions); groups with none are left out.
        """
        ...

    def timing(self, tenant: str, scope: SessionQuery, *, now: datetime) -> list[TimingCount]:
        """Return how many sessions in ``scope`` have each status and ended by ``now`` or not."""
        ...

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

        Payments of sessions starting in ``[start_from, start_to)`` (either
        bound ``None``: open). ``by="client"`` keys ``"kind:id"`` of the
        participant. An open payment (PENDING, AUTHORIZED) whose booking ran
        out by ``at`` (:meth:`~sessionkit.model.booking.Booking.expired_at`)
        counts as CANCELLED, as the expiry job leaves it.
        """
        ...

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
        """Return per participant their bookings in ``statuses`` of sessions starting in the window.

        Only those not run out by ``at``
        (:meth:`~sessionkit.model.booking.Booking.expired_at`), whatever their
        stored status.

        With how many there are, in how many distinct sessions, the earliest
        and latest session start, and in how many distinct sessions whose
        ``(lifecycle, status)`` is one of ``no_show``.
        """
        ...

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

        The participants of a session are whoever has presence in it, a
        teacher's override, a booking in ``booked_statuses``, or is one of
        its resources of a kind in ``attendee_kinds`` (expected there); a
        session whose ``(lifecycle, status)`` is one of ``cancelled`` expected
        nobody, so only presence and overrides put people in it. Each total
        sums that participant's presence (aggregates, never the event rows)
        and carries the override. ``by="participant"`` keys the participant,
        ``"resource"`` each resource of the session, ``"kind"`` its lifecycle.
        """
        ...

    def usage_totals(self, tenant: str, *, subscriber: str | None) -> list[UsageTotal]:
        """Return per subscription (of ``subscriber``, or all) and period its ledger counts.

        A subscription without entries comes once, with ``period`` ``None``.
        """
        ...


ANALYTICS: Kind[AnalyticsReader] = Kind("analytics", object)
"""The reader kind of analytics: ``uow.repository(ANALYTICS)`` is an :class:`AnalyticsReader`."""
