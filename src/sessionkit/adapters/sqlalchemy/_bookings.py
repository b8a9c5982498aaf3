"""The booking repository: seats counted and capped by the database, under a lock on the session.

Capacity cannot be a constraint (it is a sum over rows, judged at an instant,
with holds that lapse by themselves), so every write that puts a booking in
play first locks its session's row and then counts, in the same transaction:

- PostgreSQL and MySQL/MariaDB: ``SELECT ... FOR UPDATE`` of the session row
  (several sessions in id order, tenants in order, so two writers cannot
  deadlock). The count that follows runs in READ COMMITTED (the store's
  isolation on MySQL, PostgreSQL's default), so it sees every booking the
  previous lock holder committed.
- SQLite: every transaction starts with ``BEGIN IMMEDIATE`` and already holds
  the database's write lock; ``FOR UPDATE`` is not rendered.

The checks mirror the in-memory repository, in its order: a taken id or
idempotency key (``DuplicateBooking``, so a replayed command racing its
original is recognised as such, not as a full session), a second booking in
play for the participant (``AlreadyBooked``), the seats taken at the
booking's instant, :func:`~sessionkit.model.booking.stamped_at`, plus its own
past the capacity (``CapacityExceeded``), a missing session
(``SessionNotFound``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from sessionkit.adapters.sqlalchemy._backend import PARTICIPANT
from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy.booking_rows import bookings_table
from sessionkit.adapters.sqlalchemy.mapping import session_from_row
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.errors import AlreadyBooked, CapacityExceeded
from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    HELD,
    OFFERED,
    SEAT_STATUSES,
    Booking,
    seats_taken,
    stamped_at,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import UniqueKey
from sessionkit.timespan import TimeSpan

__all__ = ["SqlAlchemyBookingRepository"]

B = bookings_table
S = sessions_table

_SEATS = sorted(SEAT_STATUSES)
_ACTIVE = sorted(ACTIVE_BOOKING_STATUSES)
_EXPIRING = sorted((HELD, OFFERED))


def _taking_seats(at: datetime) -> list[ColumnElement[bool]]:
    """Rows whose bookings take seats at ``at`` (:meth:`Booking.takes_seats` in SQL)."""
    return [
        B.c.status.in_(_SEATS),
        or_(B.c.hold_expires_at.is_(None), B.c.hold_expires_at > at),
    ]


class SqlAlchemyBookingRepository(SqlRepository[Booking]):
    """The :class:`~sessionkit.ports.BookingRepository`: the generic one plus seats and reads.

    ``add``, ``add_many`` and ``update`` lock the sessions of the bookings they
    put in play and count their seats before writing; see the module docstring.
    """

    # ------------------------------------------------------------------ locks

    def lock_session(self, tenant: str, session_id: str) -> Session:
        """Lock the session's row until the unit of work ends and return it; ``SessionNotFound``."""
        statement = select(S).where(S.c.tenant == tenant, S.c.id == session_id).with_for_update()
        row = self._unit.db().execute(statement).mappings().first()
        if row is None:
            raise self.kind.parents["session_id"].missing(session_id, tenant)
        return session_from_row(row)

    def lock_participant(self, tenant: str, participant: ResourceRef) -> None:
        """Queue writers booking for ``participant`` on a lock of the backend's own.

        PostgreSQL: a transaction-scoped advisory lock; MySQL/MariaDB: a named
        lock (``GET_LOCK``); SQLite: nothing more, ``BEGIN IMMEDIATE`` already
        serialises writers. The name is kept apart from resource names, so it
        never queues behind a teacher or room of the same name.
        """
        self._unit.backend.lock(self._unit.db(), tenant, [f"{PARTICIPANT}{participant}"])

    @staticmethod
    def _lock(db: OrmSession, tenant: str, session_ids: Iterable[str]) -> None:
        """Lock the sessions' rows (missing ones are skipped) until the transaction ends.

        The rows are sorted before they are locked (PostgreSQL locks above the
        sort; MySQL walks the primary key in order), so writers wanting
        overlapping sets of sessions queue instead of deadlocking.
        """
        for chunk in chunks(sorted(set(session_ids))):
            statement = (
                select(S.c.id)
                .where(S.c.tenant == tenant, S.c.id.in_(chunk))
                .order_by(S.c.id)
                .with_for_update()
            )
            db.execute(statement).all()

    @staticmethod
    def _capacities(db: OrmSession, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return the sessions' capacities by id (missing sessions left out)."""
        capacities: dict[str, int] = {}
        for chunk in chunks(sorted(set(session_ids))):
            statement = select(S.c.id, S.c.capacity).where(S.c.tenant == tenant, S.c.id.in_(chunk))
            capacities.update((i, c) for i, c in db.execute(statement))
        return capacities

    # ------------------------------------------------------------------ seat checks

    @staticmethod
    def _taken(
        db: OrmSession,
        tenant: str,
        session_ids: Iterable[str],
        at: datetime,
        excluding: str | None = None,
    ) -> dict[str, int]:
        """Return the stored seats taken at ``at`` per session (one GROUP BY per chunk of ids)."""
        found: dict[str, int] = {}
        for chunk in chunks(sorted(set(session_ids))):
            statement = (
                select(B.c.session_id, func.sum(B.c.seats))
                .where(B.c.tenant == tenant, B.c.session_id.in_(chunk), *_taking_seats(at))
                .group_by(B.c.session_id)
            )
            if excluding is not None:
                statement = statement.where(B.c.id != excluding)
            # int(): MySQL sums integers as DECIMAL.
            found.update((i, int(n)) for i, n in db.execute(statement) if n)
        return found

    def _in_play(
        self, db: OrmSession, tenant: str, records: Sequence[Booking]
    ) -> dict[tuple[str, ResourceRef], Booking]:
        """Return the stored bookings in play of the records' (session, participant) pairs."""
        wanted = {(r.session_id, r.participant) for r in records if r.active}
        found: dict[tuple[str, ResourceRef], Booking] = {}
        if not wanted:
            return found
        sessions = sorted({s for s, _ in wanted})
        people = sorted({p.id for _, p in wanted})
        for chunk in chunks(sessions):
            conditions = [
                B.c.tenant == tenant,
                B.c.session_id.in_(chunk),
                B.c.status.in_(_ACTIVE),
                B.c.participant_id.in_(people),
            ]
            for booking in self._load(db, conditions, [B.c.created_at, B.c.id]):
                pair = (booking.session_id, booking.participant)
                if pair in wanted:
                    found.setdefault(pair, booking)
        return found

    def _judge(
        self,
        db: OrmSession,
        tenant: str,
        records: Sequence[Booking],
        capacities: dict[str, int],
        *,
        replacing: bool,
        first: Callable[[Booking], None] | None = None,
    ) -> None:
        """Raise the error of the first record that may not be written, in the memory's order.

        ``records`` are judged in order, each against the stored bookings and
        the records before it (a batch): ``first(record)`` (the duplicate
        checks of an insert), ``AlreadyBooked``, ``CapacityExceeded``, then
        ``SessionNotFound``. On an update (``replacing``) the record's own
        stored row is left out.
        """
        in_play = self._in_play(db, tenant, records)
        counted: dict[tuple[str, datetime], int] = {}
        earlier: list[Booking] = []
        for record in records:
            if first is not None:
                first(record)
            if record.active:
                pair = (record.session_id, record.participant)
                other = in_play.get(pair)
                if other is not None and other.id == record.id:
                    other = None  # its own stored row, on an update
                if other is None:
                    other = next(
                        (b for b in earlier if (b.session_id, b.participant) == pair), None
                    )
                if other is not None:
                    raise AlreadyBooked(
                        session_id=record.session_id,
                        participant=str(record.participant),
                        booking_id=other.id,
                        status=other.status,
                    )
                at = stamped_at(record)
                capacity = capacities.get(record.session_id)
                if record.takes_seats(at) and capacity is not None:
                    key = (record.session_id, at)
                    if key not in counted:
                        excluding = record.id if replacing else None
                        taken = self._taken(db, tenant, [record.session_id], at, excluding)
                        counted[key] = taken.get(record.session_id, 0)
                    mine = [b for b in earlier if b.session_id == record.session_id]
                    taken_at = counted[key] + seats_taken(mine, at)
                    if taken_at + record.seats > capacity:
                        raise CapacityExceeded(
                            session_id=record.session_id,
                            capacity=capacity,
                            taken=taken_at,
                            asked=record.seats,
                        )
            if record.session_id not in capacities:
                raise self.kind.parents["session_id"].missing(record.session_id, tenant)
            if record.active:
                earlier.append(record)

    # ------------------------------------------------------------------ write hooks

    def add_many(self, records: Sequence[Booking]) -> None:
        """Store new bookings in bulk, all or none, under locks on their sessions' rows.

        The locks are taken before the write's SAVEPOINT: PostgreSQL releases
        row locks taken inside a savepoint that is rolled back, and a command
        that is refused a seat still holds its session while it decides what
        to do instead (queue on the waitlist, say). Raises ``DuplicateBooking``,
        ``AlreadyBooked``, ``CapacityExceeded`` or ``SessionNotFound``.
        """
        batch = list(records)
        if batch:
            db = self._unit.db()
            for tenant in sorted({b.tenant for b in batch}):
                self._lock(db, tenant, {b.session_id for b in batch if b.tenant == tenant})
        super().add_many(batch)

    def _before_insert(self, db: OrmSession, batch: Sequence[Booking]) -> None:
        """Refuse taken ids and keys, doubles and full sessions (the sessions are locked)."""
        for tenant in sorted({b.tenant for b in batch}):
            mine = [b for b in batch if b.tenant == tenant]
            capacities = self._capacities(db, tenant, {b.session_id for b in mine})
            stored = self._fetch(db, tenant, [b.id for b in mine])
            owners = [(key, self._owners(db, tenant, key, mine)) for key in self.kind.unique]
            taken = partial(self._not_taken, stored, owners)
            self._judge(db, tenant, mine, capacities, replacing=False, first=taken)

    def _not_taken(
        self,
        stored: dict[str, Booking],
        owners: list[tuple[UniqueKey, dict[Any, Booking]]],
        record: Booking,
    ) -> None:
        """Raise ``DuplicateBooking`` if a stored booking holds the record's id or key."""
        existing = stored.get(record.id)
        if existing is not None:
            raise self.kind.taken(record, None, existing)
        for key, holders in owners:
            owner = holders.get(key.value(record))
            if owner is not None:
                raise self.kind.taken(record, key, owner)

    def update(self, record: Booking, *, expected_version: int) -> Booking:
        """Replace the stored booking, returning it with ``version + 1``.

        A booking in play locks its session first (before its own row, the
        order every writer takes), then is held to its seats and participant
        like a new one. Raises ``BookingNotFound``, ``ConcurrentModification``,
        ``DuplicateBooking``, ``AlreadyBooked``, ``CapacityExceeded`` or
        ``SessionNotFound``.
        """
        if record.active:
            self._lock(self._unit.db(), record.tenant, [record.session_id])
        return super().update(record, expected_version=expected_version)

    def _before_children(self, db: OrmSession, new: Booking) -> None:
        """Refuse an updated booking in play that doubles its participant or overfills its session."""  # noqa: E501
        if not new.active:
            return
        capacities = self._capacities(db, new.tenant, [new.session_id])
        self._judge(db, new.tenant, [new], capacities, replacing=True)

    # ------------------------------------------------------------------ reads

    def for_session(
        self, tenant: str, session_id: str, *, statuses: Iterable[str] | None = None
    ) -> list[Booking]:
        """Return the session's bookings (in ``statuses``, if given) by position, creation, id."""
        conditions = [B.c.tenant == tenant, B.c.session_id == session_id]
        if statuses is not None:
            wanted = sorted(set(statuses))
            if not wanted:
                return []
            conditions.append(B.c.status.in_(wanted))
        unplaced = case((B.c.position.is_(None), 1), else_=0)
        order = [unplaced, B.c.position, B.c.created_at, B.c.id]
        return self._load(self._unit.db(), conditions, order)

    def seats_taken(
        self, tenant: str, session_ids: Iterable[str], *, at: datetime
    ) -> dict[str, int]:
        """Return the seats taken at ``at`` per session id (sessions with none are left out)."""
        wanted = list(dict.fromkeys(session_ids))
        found = self._taken(self._unit.db(), tenant, wanted, at)
        return {i: found[i] for i in wanted if i in found}

    def counts(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Return how many bookings (in ``statuses``, if given) each session has; none left out."""
        wanted = list(dict.fromkeys(session_ids))
        chosen = None if statuses is None else sorted(set(statuses))
        found: dict[str, int] = {}
        db = self._unit.db()
        for chunk in chunks(wanted):
            conditions = [B.c.tenant == tenant, B.c.session_id.in_(chunk)]
            if chosen is not None:
                conditions.append(B.c.status.in_(chosen))
            statement = (
                select(B.c.session_id, func.count()).where(*conditions).group_by(B.c.session_id)
            )
            found.update((row[0], int(row[1])) for row in db.execute(statement))
        return {i: found[i] for i in wanted if i in found}

    def by_key(self, tenant: str, idempotency_key: str) -> Booking | None:
        """Return the booking made with ``idempotency_key``, or ``None``."""
        conditions = [B.c.tenant == tenant, B.c.idempotency_key == idempotency_key]
        found = self._load(self._unit.db(), conditions)
        return found[0] if found else None

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
        """Return the participant's bookings of sessions starting in ``window``, by start then id.

        One range of the agenda index; ``after`` (a ``(session_start, id)``
        keyset cursor) and ``limit`` are applied by the database.
        """
        conditions: list[ColumnElement[bool]] = [
            B.c.tenant == tenant,
            B.c.participant_kind == participant.kind,
            B.c.participant_id == participant.id,
        ]
        if statuses is not None:
            wanted = sorted(set(statuses))
            if not wanted:
                return []
            conditions.append(B.c.status.in_(wanted))
        if window is not None:
            conditions += [B.c.session_start >= window.start, B.c.session_start < window.end]
        if after is not None:
            start, last_id = after
            conditions.append(
                or_(
                    B.c.session_start > start,
                    and_(B.c.session_start == start, B.c.id > last_id),
                )
            )
        statement = select(B).where(*conditions).order_by(B.c.session_start, B.c.id)
        if limit is not None:
            if limit <= 0:
                return []
            statement = statement.limit(limit)
        return self._rows(statement)

    def expiring(self, tenant: str | None, *, before: datetime, limit: int) -> list[Booking]:
        """Return held and offered bookings whose hold ran out by ``before``, earliest first.

        ``tenant=None`` reads every tenant's (a system job); ties go by tenant, then id.
        """
        if limit <= 0:
            return []
        conditions = [
            B.c.status.in_(_EXPIRING),
            B.c.hold_expires_at.is_not(None),
            B.c.hold_expires_at <= before,
        ]
        if tenant is not None:
            conditions.append(B.c.tenant == tenant)
        statement = (
            select(B)
            .where(*conditions)
            .order_by(B.c.hold_expires_at, B.c.tenant, B.c.id)
            .limit(limit)
        )
        return self._rows(statement)

    def next_position(self, tenant: str, session_id: str) -> int:
        """Return the waitlist position after the session's last one (1 for the first)."""
        last = self._unit.db().scalar(
            select(func.max(B.c.position)).where(
                B.c.tenant == tenant, B.c.session_id == session_id, B.c.position != 0
            )
        )
        return (last or 0) + 1

    def _rows(self, statement: Any) -> list[Booking]:
        rows = self._unit.db().connection().execute(statement).mappings()
        make = self.sql.from_row
        return [make(row) for row in rows]
