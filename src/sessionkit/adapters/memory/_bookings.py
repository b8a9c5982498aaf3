"""Bookings in memory: indexes by session and participant, and the seat checks on every write."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.adapters.memory._table import Index, Table
from sessionkit.errors import AlreadyBooked, CapacityExceeded
from sessionkit.model.booking import (
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
from sessionkit.ports import BOOKINGS, add_settled_by_reading
from sessionkit.timespan import TimeSpan

__all__ = ["InMemoryBookingRepository"]


class _Grouped(Index[Booking]):
    """Bookings grouped by a key of theirs (a session, a participant), per tenant."""

    def __init__(self, by_session: bool) -> None:
        self._by_session = by_session
        self.groups: dict[tuple[str, object], dict[str, Booking]] = {}

    def key(self, row: Booking) -> tuple[str, object]:
        return (row.tenant, row.session_id if self._by_session else row.participant)

    def insert(self, row: Booking) -> None:
        self.groups.setdefault(self.key(row), {})[row.id] = row

    def remove(self, row: Booking) -> None:
        key = self.key(row)
        group = self.groups[key]
        del group[row.id]
        if not group:
            del self.groups[key]

    def of(self, tenant: str, value: object) -> Iterable[Booking]:
        return self.groups.get((tenant, value), {}).values()


class InMemoryBookingRepository(MemoryRepository[Booking]):
    """The :class:`~sessionkit.ports.BookingRepository` of an in-memory unit of work.

    Units of work on the store are serialised, so the seat checks in
    :meth:`check` see every other writer's committed bookings.
    """

    @classmethod
    def indexes(cls) -> dict[str, Index[Booking]]:
        """Return the by-session and by-participant indexes."""
        return {"session": _Grouped(by_session=True), "participant": _Grouped(by_session=False)}

    def _group(self, name: str) -> _Grouped:
        index = self.table.named[name]
        assert isinstance(index, _Grouped)
        return index

    def check(self, table: Table[Booking], record: Booking) -> None:
        """Refuse a second booking in play per participant and session, and seats past capacity.

        An update that adds no seats (:func:`~sessionkit.model.booking.keeps_its_seats`)
        is not held to the capacity: a session whose capacity was lowered below
        its booked seats keeps them, and they can still be confirmed or moved.
        """
        if not record.active:
            return
        others = list(self._group("session").of(record.tenant, record.session_id))
        for other in others:
            if other.id != record.id and other.participant == record.participant and other.active:
                raise AlreadyBooked(
                    session_id=record.session_id,
                    participant=str(record.participant),
                    booking_id=other.id,
                    status=other.status,
                )
        at = stamped_at(record)
        stored = table.get(record.tenant, record.id)
        if not record.takes_seats(at) or keeps_its_seats(stored, record):
            return
        session = self._session(record.tenant, record.session_id)
        if session is None:
            return  # the generic parent check reports the missing session
        taken = seats_taken(others, at, excluding=record.id)
        if taken + record.seats > session.capacity:
            raise CapacityExceeded(
                session_id=session.id, capacity=session.capacity, taken=taken, asked=record.seats
            )

    def _session(self, tenant: str, session_id: str) -> Session | None:
        sessions: Table[Session] = self._uow.table(BOOKINGS.parents["session_id"])
        return sessions.get(tenant, session_id)

    def lock_session(self, tenant: str, session_id: str) -> Session:
        """Return the session (the store's lock already serialises units of work)."""
        session = self._session(tenant, session_id)
        if session is None:
            raise BOOKINGS.parents["session_id"].missing(session_id, tenant)
        return session

    def add_settled(self, booking: Booking) -> bool:
        """Store ``booking`` if its session needs no settling (see the protocol); whether it did."""
        return add_settled_by_reading(self, booking)

    def lock_participant(self, tenant: str, participant: ResourceRef) -> None:
        """Do nothing: the store's lock already serialises units of work."""

    def for_session(
        self,
        tenant: str,
        session_id: str,
        *,
        statuses: Iterable[str] | None = None,
        after: SessionOrder | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the session's bookings (in ``statuses``) by position, creation, id."""
        wanted = None if statuses is None else frozenset(statuses)
        rows = self._group("session").of(tenant, session_id)
        found = in_session_order(
            (b for b in rows if wanted is None or b.status in wanted), after=after
        )
        return found if limit is None else found[:limit]

    def for_sessions(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, list[Booking]]:
        """Return the bookings (in ``statuses``) of those sessions, by session id, in order."""
        found: dict[str, list[Booking]] = {}
        wanted = None if statuses is None else list(statuses)
        for session_id in dict.fromkeys(session_ids):
            mine = self.for_session(tenant, session_id, statuses=wanted)
            if mine:
                found[session_id] = mine
        return found

    def seats_taken(
        self, tenant: str, session_ids: Iterable[str], *, at: datetime
    ) -> dict[str, int]:
        """Return the seats taken at ``at`` per session id (sessions with none left out)."""
        group = self._group("session")
        found: dict[str, int] = {}
        for session_id in dict.fromkeys(session_ids):
            taken = seats_taken(group.of(tenant, session_id), at)
            if taken:
                found[session_id] = taken
        return found

    def seating(
        self, tenant: str, session_id: str, *, at: datetime, participant: ResourceRef | None = None
    ) -> Seating:
        """Return the seats taken at ``at`` and the run-out, waiting and participant's bookings."""
        group = self._group("session")
        rows = in_session_order(b for b in group.of(tenant, session_id) if b.active)
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
        wanted = None if statuses is None else frozenset(statuses)
        group = self._group("session")
        found: dict[str, int] = {}
        for session_id in dict.fromkeys(session_ids):
            count = sum(
                1 for b in group.of(tenant, session_id) if wanted is None or b.status in wanted
            )
            if count:
                found[session_id] = count
        return found

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
        sessions: Table[Session] = self._uow.table(BOOKINGS.parents["session_id"])
        group = self._group("session")
        found: list[BookableSession] = []
        shut = frozenset(closed)
        kept = None if known is None else frozenset(known)
        for session in sessions.of(tenant).values():
            start = session.start
            if (
                not session.busy
                or (session.lifecycle, session.status) in shut
                or (kept is not None and (session.lifecycle, session.status) not in kept)
                or not window.start <= start < window.end
                or start <= at
                or (resource is not None and resource not in session.resources)
                or (after is not None and (start, session.id) <= after)
            ):
                continue
            placed = group.of(tenant, session.id)
            taken = seats_taken(placed, at)
            free = session.capacity - taken - seats_owed(placed, capacity=session.capacity)
            if free >= seats:
                found.append(
                    BookableSession(
                        session_id=session.id,
                        title=session.title,
                        start=start,
                        end=session.end,
                        capacity=session.capacity,
                        taken=taken,
                        remaining=free,
                    )
                )
        found.sort(key=lambda b: (b.start, b.session_id))
        return found if limit is None else found[: max(limit, 0)]

    def by_key(self, tenant: str, idempotency_key: str) -> Booking | None:
        """Return the booking made with ``idempotency_key``, or ``None``."""
        owner = self.table.unique["idempotency"].lookup(tenant, (idempotency_key,))
        return None if owner is None else self.table.get(tenant, owner)

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
        found = self._group("participant").of(tenant, participant)
        return _by_start(found, window, statuses, after, limit)

    def for_tenant(
        self,
        tenant: str,
        *,
        window: TimeSpan | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the tenant's bookings of sessions starting in ``window``, by start then id."""
        return _by_start(self.table.of(tenant).values(), window, statuses, after, limit)

    def expiring(self, tenant: str | None, *, before: datetime, limit: int) -> list[Booking]:
        """Return the bookings that ran out by ``before`` (``Booking.runs_out_at``), earliest first.

        Held and offered ones, and waitlist places once their session started.
        """
        table = self.table
        tenants = [tenant] if tenant is not None else sorted(table.rows)
        found = [b for t in tenants for b in table.of(t).values() if b.expired_at(before)]
        found.sort(key=lambda b: (b.runs_out_at or before, b.tenant, b.id))
        return found[:limit]

    def next_position(self, tenant: str, session_id: str) -> int:
        """Return the waitlist position after the session's last one (1 for the first)."""
        positions = [
            b.position for b in self._group("session").of(tenant, session_id) if b.position
        ]
        return max(positions, default=0) + 1


register(BOOKINGS, InMemoryBookingRepository)


def _by_start(
    bookings: Iterable[Booking],
    window: TimeSpan | None,
    statuses: Iterable[str] | None,
    after: tuple[datetime, str] | None,
    limit: int | None,
) -> list[Booking]:
    """One page of ``bookings``: sessions starting in ``window``, in ``statuses``, by start, id."""
    wanted = None if statuses is None else frozenset(statuses)
    rows = sorted(
        (
            b
            for b in bookings
            if (wanted is None or b.status in wanted)
            and (window is None or window.start <= b.session_start < window.end)
            and (after is None or (b.session_start, b.id) > after)
        ),
        key=lambda b: (b.session_start, b.id),
    )
    return rows if limit is None else rows[: max(limit, 0)]
