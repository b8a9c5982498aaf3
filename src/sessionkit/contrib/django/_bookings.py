"""Bookings in Django: seats and doubles checked under a lock on the session's row.

Every write of a booking in play first locks its session's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway),
then reads the session's bookings: two writers racing for the last seat take
turns, and the second sees the first's booking, so a session never holds more
seats than its capacity and a participant never has two bookings in play in
one session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Q,
    Subquery,
    Value,
    When,
)

from sessionkit.contrib.django._booking_starts import by_start
from sessionkit.contrib.django._mapping import (
    booking_fields,
    booking_from_record,
    session_from_record,
)
from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.models import BookingRecord, SessionRecord, SessionResource
from sessionkit.errors import AlreadyBooked, CapacityExceeded
from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    HELD,
    OFFERED,
    WAITLISTED,
    BookableSession,
    Booking,
    Seating,
    SessionOrder,
    in_session_order,
    keeps_its_seats,
    seats_owed,
    seats_taken,
    stamped_at,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import SESSIONS, add_settled_by_reading
from sessionkit.timespan import TimeSpan

__all__ = ["DjangoBookingRepository"]


def _after_in_order(after: SessionOrder) -> Q:
    """The rows after ``after`` in a session's order: unplaced last, position, creation, id.

    For rows annotated ``sk_id``, the id compared by code point.
    """
    position, created_at, booking_id = after
    later = Q(created_at__gt=created_at) | Q(created_at=created_at, sk_id__gt=booking_id)
    if position is None:
        return Q(position__isnull=True) & later
    return Q(position__isnull=True) | Q(position__gt=position) | (Q(position=position) & later)


class DjangoBookingRepository(DjangoRepository[Booking, BookingRecord]):
    """The :class:`~sessionkit.ports.BookingRepository` of a Django unit of work."""

    model = BookingRecord

    def to_fields(self, record: Booking) -> dict[str, Any]:
        """Return the :class:`BookingRecord` field values of ``record``."""
        return booking_fields(record)

    def from_row(self, row: BookingRecord) -> Booking:
        """Return the booking a row holds."""
        return booking_from_record(row)

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Return the lookups of the ``idempotency`` key."""
        return {"idempotency_key": value[0]}

    # ------------------------------------------------------------------ writes

    def _session_row(self, tenant: str, session_id: str, *, lock: bool) -> SessionRecord:
        rows = SessionRecord.objects.using(self.using).filter(tenant=tenant, record_id=session_id)
        if lock:
            self._uow.refuse_stale_counts()
            rows = rows.select_for_update()
        row = rows.first()
        if row is None:
            raise self.kind.parents.get("session_id", SESSIONS).missing(session_id, tenant)
        return row

    def check(self, record: Booking, fields: dict[str, Any]) -> None:
        """Refuse a missing session, a second booking in play, and seats past the capacity.

        An update adding no seats (:func:`~sessionkit.model.booking.keeps_its_seats`) is
        not held to the capacity.
        """
        session = self._session_row(record.tenant, record.session_id, lock=record.active)
        fields["session_row_id"] = session.pk
        if not record.active:
            return
        others = [
            self.from_row(row)
            for row in self.rows(record.tenant).filter(
                session_ref=record.session_id, status__in=sorted(ACTIVE_BOOKING_STATUSES)
            )
        ]
        for other in others:
            if other.id != record.id and other.participant == record.participant:
                raise AlreadyBooked(
                    session_id=record.session_id,
                    participant=str(record.participant),
                    booking_id=other.id,
                    status=other.status,
                )
        at = stamped_at(record)
        stored = next((other for other in others if other.id == record.id), None)
        if not record.takes_seats(at) or keeps_its_seats(stored, record):
            return  # a booking keeps the seats it took, though the capacity was lowered since
        taken = seats_taken(others, at, excluding=record.id)
        if taken + record.seats > session.capacity:
            raise CapacityExceeded(
                session_id=record.session_id,
                capacity=session.capacity,
                taken=taken,
                asked=record.seats,
            )

    def lock_session(self, tenant: str, session_id: str) -> Session:
        """Lock the session's row until the unit of work ends and return it; ``SessionNotFound``."""
        self._uow.require_open()
        return session_from_record(self._session_row(tenant, session_id, lock=True))

    def add_settled(self, booking: Booking) -> bool:
        """Store ``booking`` if its session needs no settling (see the protocol); whether it did."""
        return add_settled_by_reading(self, booking)

    def lock_participant(self, tenant: str, participant: ResourceRef) -> None:
        """Serialise writers booking for ``participant`` (a transaction advisory lock on PostgreSQL)."""  # noqa: E501
        self._uow.require_open()
        if self._uow.vendor != "postgresql":
            return  # SQLite serialises writers already
        self._uow.refuse_stale_counts()
        digest = hashlib.blake2b(f"{tenant}\x00{participant}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        with connections[self.using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])

    # ------------------------------------------------------------------ reads

    def for_session(
        self,
        tenant: str,
        session_id: str,
        *,
        statuses: Iterable[str] | None = None,
        after: SessionOrder | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the session's bookings (in ``statuses``) by position, creation, id.

        Ordered, continued after ``after`` and cut to ``limit`` in the query.
        """
        rows = self.rows(tenant).filter(session_ref=session_id)
        if statuses is not None:
            rows = rows.filter(status__in=list(statuses))
        if after is not None:
            rows = rows.annotate(sk_id=self._exact("record_id")).filter(_after_in_order(after))
        unplaced = Case(When(position__isnull=True, then=1), default=0)
        rows = rows.order_by(unplaced, "position", "created_at", self._exact("record_id").asc())
        if limit is not None:
            rows = rows[:limit]
        return [self.from_row(row) for row in rows]

    def for_sessions(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, list[Booking]]:
        """Return the bookings (in ``statuses``) of those sessions, by session id, in order.

        One query per 500 sessions.
        """
        wanted = sorted(set(session_ids))
        chosen = None if statuses is None else sorted(set(statuses))
        found: dict[str, list[Booking]] = {}
        unplaced = Case(When(position__isnull=True, then=1), default=0)
        for start in range(0, len(wanted), 500):
            rows = self.rows(tenant).filter(session_ref__in=wanted[start : start + 500])
            if chosen is not None:
                rows = rows.filter(status__in=chosen)
            rows = rows.order_by(
                "session_ref", unplaced, "position", "created_at", self._exact("record_id").asc()
            )
            for row in rows:
                found.setdefault(row.session_ref, []).append(self.from_row(row))
        return found

    def _in_play(self, tenant: str, session_ids: Iterable[str]) -> dict[str, list[Booking]]:
        """The sessions' bookings taking seats or waiting for them, by session id."""
        return self.for_sessions(tenant, session_ids, statuses=ACTIVE_BOOKING_STATUSES)

    def seats_taken(
        self, tenant: str, session_ids: Iterable[str], *, at: datetime
    ) -> dict[str, int]:
        """Return the seats taken at ``at`` per session id (sessions with none left out)."""
        found: dict[str, int] = {}
        for session_id, bookings in self._in_play(tenant, session_ids).items():
            taken = seats_taken(bookings, at)
            if taken:
                found[session_id] = taken
        return found

    def seating(
        self, tenant: str, session_id: str, *, at: datetime, participant: ResourceRef | None = None
    ) -> Seating:
        """Return the seats taken at ``at`` and the run-out, waiting and participant's bookings."""
        rows = in_session_order(
            self.from_row(row)
            for row in self.rows(tenant).filter(
                session_ref=session_id, status__in=sorted(ACTIVE_BOOKING_STATUSES)
            )
        )
        return Seating(
            taken=seats_taken(rows, at),
            lapsed=tuple(b for b in rows if b.expired_at(at)),
            waiting=tuple(b for b in rows if b.waiting_at(at)),
            mine=tuple(b for b in rows if b.participant == participant and not b.expired_at(at)),
        )

    def counts(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Return how many bookings (in ``statuses``, if given) each session has.

        A session with none is left out of the mapping (read a missing id as 0).
        """
        wanted = list(dict.fromkeys(session_ids))
        rows = self.rows(tenant).filter(session_ref__in=wanted)
        if statuses is not None:
            rows = rows.filter(status__in=list(statuses))
        counted = {
            entry["session_ref"]: entry["n"]
            for entry in rows.values("session_ref").annotate(n=Count("pk")).order_by()
        }
        return {session_id: counted[session_id] for session_id in wanted if session_id in counted}

    def bookable(
        self,
        tenant: str,
        *,
        window: TimeSpan,
        at: datetime,
        seats: int = 1,
        resource: ResourceRef | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
        closed: Collection[tuple[str, str]] = (),
        known: Collection[tuple[str, str]] | None = None,
    ) -> list[BookableSession]:
        """Return busy sessions in ``window`` after ``at`` with ``seats`` free, by start then id."""
        self._uow.require_open()
        rows = SessionRecord.objects.using(self.using).filter(
            tenant=tenant, busy=True, start_at__gte=window.start, start_at__lt=window.end
        )
        rows = rows.filter(start_at__gt=at)
        for lifecycle, status in closed:
            rows = rows.exclude(lifecycle=lifecycle, status=status)
        if known is not None:
            # One WHEN per lifecycle, as the SQL store's: an OR of the pairs nests one
            # level per pair, and SQLite refuses an expression 1,000 deep.
            kept: dict[str, list[str]] = {}
            for lifecycle, status in sorted(set(known)):
                kept.setdefault(lifecycle, []).append(status)
            if not kept:
                return []
            yes: BooleanField[bool, bool] = BooleanField()
            rows = rows.filter(
                Case(
                    *(
                        When(lifecycle=lifecycle, then=ExpressionWrapper(Q(status__in=s), yes))
                        for lifecycle, s in kept.items()
                    ),
                    default=Value(False),
                    output_field=yes,
                )
            )
        if resource is not None:
            occupying = SessionResource.objects.using(self.using).filter(
                tenant=tenant, resource=str(resource)
            )
            rows = rows.filter(pk__in=Subquery(occupying.values("session_id")))
        if after is not None:
            rows = rows.filter(start_at__gte=after[0])
        sessions = [
            (s.start_at, s.record_id, s)
            for s in rows
            if after is None or (s.start_at, s.record_id) > after
        ]
        sessions.sort(key=lambda entry: (entry[0], entry[1]))
        taken_by = self._in_play(tenant, [entry[1] for entry in sessions])
        found: list[BookableSession] = []
        for start, session_id, row in sessions:
            placed = taken_by.get(session_id, ())
            taken = seats_taken(placed, at)
            free = row.capacity - taken - seats_owed(placed, capacity=row.capacity)
            if free < seats:
                continue
            found.append(
                BookableSession(
                    session_id=session_id,
                    title=row.title,
                    start=start.astimezone(UTC),
                    end=row.end_at.astimezone(UTC),
                    capacity=row.capacity,
                    taken=taken,
                    remaining=free,
                )
            )
            if limit is not None and len(found) >= limit:
                break
        return found if limit is None else found[: max(limit, 0)]

    def by_key(self, tenant: str, idempotency_key: str) -> Booking | None:
        """Return the booking made with ``idempotency_key``, or ``None``."""
        row = self.rows(tenant).filter(idempotency_key=idempotency_key).first()
        return None if row is None else self.from_row(row)

    def for_participant(
        self,
        tenant: str,
        participant: ResourceRef,
        *,
        window: TimeSpan | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the participant's bookings of sessions starting in ``window``, by start, id."""
        rows = self.rows(tenant).filter(participant=str(participant))
        rows = rows.alias(exact_id=self._exact("record_id"))
        return by_start(rows, self.from_row, window, statuses, after, limit)

    def for_tenant(
        self,
        tenant: str,
        *,
        window: TimeSpan | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the tenant's bookings of sessions starting in ``window``, by start, id.

        A range of the ``sk_booking_tenant_start`` index, paged in the query.
        """
        rows = self.rows(tenant).alias(exact_id=self._exact("record_id"))
        return by_start(rows, self.from_row, window, statuses, after, limit)

    def expiring(self, tenant: str | None, *, before: datetime, limit: int) -> list[Booking]:
        """Return the bookings that ran out by ``before`` (``Booking.runs_out_at``), earliest first.

        Held and offered ones, and waitlist places once their session started.
        Those running out together by tenant, then id, each compared by code
        point, as the memory and SQLAlchemy stores order them: by the
        database's collation, a capped batch took other bookings first.
        """
        self._uow.require_open()
        if limit <= 0:
            return []
        rows = BookingRecord.objects.using(self.using).filter(
            Q(status__in=[HELD, OFFERED], hold_expires_at__lte=before)
            | Q(status=WAITLISTED, session_start__lte=before)
        )
        if tenant is not None:
            rows = rows.filter(tenant=tenant)
        runs_out = Case(
            When(status=WAITLISTED, then=F("session_start")), default=F("hold_expires_at")
        )
        ordered = rows.annotate(runs_out=runs_out).order_by(
            "runs_out", self._exact("tenant").asc(), self._exact("record_id").asc()
        )
        return [self.from_row(row) for row in ordered[:limit]]

    def next_position(self, tenant: str, session_id: str) -> int:
        """Return the waitlist position after the session's last one (1 for the first)."""
        positions = self.rows(tenant).filter(session_ref=session_id, position__isnull=False)
        last = positions.order_by("-position").values_list("position", flat=True).first()
        return (last or 0) + 1
