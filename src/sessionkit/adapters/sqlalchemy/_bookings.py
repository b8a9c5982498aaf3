"""The booking repository: seats counted and capped by the database, under a lock on the session.

Capacity cannot be a constraint (it is a sum over rows, judged at an instant,
with holds that lapse by themselves), so every write that puts a booking in
play first locks its session's row and then counts, in the same transaction:

- PostgreSQL and MySQL/MariaDB: ``SELECT ... FOR UPDATE`` of the session row
  (several sessions in id order, tenants in order, so two writers cannot
  deadlock). The count that follows runs in READ COMMITTED (the isolation of
  the store's own units), so it sees every booking the previous lock holder
  committed. A unit joined to the host's transaction runs in the host's
  level: there every lock of a session or participant is refused first
  (``InvalidValue``) where the count would read an older snapshot (see
  :meth:`~._unit.SqlAlchemyUnitOfWork.refuse_stale_counts`).
- SQLite: every transaction starts with ``BEGIN IMMEDIATE`` and already holds
  the database's write lock; ``FOR UPDATE`` is not rendered.

The checks mirror the in-memory repository, in its order: a taken id or
idempotency key (``DuplicateBooking``, so a replayed command racing its
original is recognised as such, not as a full session), a second booking in
play for the participant (``AlreadyBooked``), the seats taken at the
booking's instant, :func:`~sessionkit.model.booking.stamped_at`, plus its own
past the capacity (``CapacityExceeded``), a missing session
(``SessionNotFound``).

A booking costs few round trips: a session the unit of work already locked
(``lock_session``, as every booking command does first, its statement also
bounding the transaction's lock waits on PostgreSQL) is not locked again in
the same transaction, and one new booking is one ``INSERT ... SELECT`` that
runs the checks itself, inserting nothing when one fails; only then, and for
batches and updates, are the capacities and seats taken read (one
statement) and the taken ids and keys and the participants' bookings in
play (another), to raise the error. The statements are built once per
shape, not per call (:mod:`~._booking_statements`): building and
re-rendering them cost more than the database's answers. The lock and the
single insert go to the driver's cursor beneath Core (:mod:`~._direct`)
unless something watches Core's statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sessionkit.adapters.sqlalchemy import _booking_statements as sql
from sessionkit.adapters.sqlalchemy import _direct as direct
from sessionkit.adapters.sqlalchemy._backend import PARTICIPANT
from sessionkit.adapters.sqlalchemy._booking_reads import SqlBookingReads
from sessionkit.adapters.sqlalchemy._booking_statements import bind, shape
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._kind import SqlKind, SqlUnit
from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.adapters.sqlalchemy._versioned import savepoint
from sessionkit.adapters.sqlalchemy.mapping import session_from_row
from sessionkit.errors import AlreadyBooked, CapacityExceeded, DuplicateBooking
from sessionkit.model.booking import (
    Booking,
    keeps_its_seats,
    seats_taken,
    stamped_at,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import Kind, UniqueKey

__all__ = ["SqlAlchemyBookingRepository"]


class SqlAlchemyBookingRepository(SqlBookingReads):
    """The :class:`~sessionkit.ports.BookingRepository`: the generic one plus seats and reads.

    ``add``, ``add_many`` and ``update`` lock the sessions of the bookings they
    put in play and count their seats before writing; see the module docstring.
    """

    def __init__(self, kind: Kind[Any], sql: SqlKind[Booking], unit: SqlUnit) -> None:
        super().__init__(kind, sql, unit)
        self._scope: object | None = None
        """The transaction (or SAVEPOINT) ``_held`` belongs to."""
        self._held: set[tuple[str, str]] = set()
        self._kept: str | None = None
        """The booking an update writes again with the seats it kept (see :meth:`update`)."""

    # ------------------------------------------------------------------ locks

    def _locked(self, db: Db) -> set[tuple[str, str]]:
        """Return the (tenant, session id) rows this repository locked in the open transaction.

        Keyed by the innermost transaction (a unit joined to a host's session
        is a SAVEPOINT, whose rollback releases its locks on PostgreSQL): a
        commit, a rollback or another savepoint starts an empty set, so a lock
        is only ever skipped while it is certainly held.
        """
        self._unit.core()  # begin the transaction, so that it can be told apart from the next
        scope = db.get_nested_transaction() or db.get_transaction()
        if scope is not self._scope or scope is None or not scope.is_active:
            self._scope = scope
            self._held = set()
        return self._held

    def lock_session(self, tenant: str, session_id: str) -> Session:
        """Lock the session's row until the unit of work ends and return it; ``SessionNotFound``."""
        # The transaction's lock waits are bounded before this statement (Unit.db): a
        # bound it set itself would come too late for the lock on its table, which
        # PostgreSQL takes when it parses the statement (an ALTER TABLE queued behind a
        # long transaction would hold every booking up, whatever the store's timeout).
        db = self._unit.db()
        self._unit.refuse_stale_counts()
        row = direct.run(
            self._unit.core(), sql.SESSION_FOR_UPDATE, {"tenant": tenant, "session_id": session_id}
        ).row
        if row is None:
            raise self.kind.parents["session_id"].missing(session_id, tenant)
        self._locked(db).add((tenant, session_id))
        return session_from_row(row)

    def lock_participant(self, tenant: str, participant: ResourceRef) -> None:
        """Queue writers booking for ``participant`` on a lock of the backend's own.

        PostgreSQL: a transaction-scoped advisory lock; MySQL/MariaDB: a named
        lock (``GET_LOCK``); SQLite: nothing more, ``BEGIN IMMEDIATE`` already
        serialises writers. The name is kept apart from resource names, so it
        never queues behind a teacher or room of the same name.
        """
        db = self._unit.db()
        self._unit.refuse_stale_counts()
        self._unit.backend.lock(db, tenant, [f"{PARTICIPANT}{participant}"])

    def _lock(self, db: Db, tenant: str, session_ids: Iterable[str]) -> None:
        """Lock the sessions' rows (missing ones are skipped) until the transaction ends.

        Rows this unit already locked in the transaction are not asked for
        again. The others are sorted before they are locked (PostgreSQL locks
        above the sort; MySQL walks the primary key in order), so writers
        wanting overlapping sets of sessions queue instead of deadlocking.
        """
        held = self._locked(db)
        wanted = sorted({i for i in session_ids if (tenant, i) not in held})
        if not wanted:
            return
        self._unit.refuse_stale_counts()
        connection = self._unit.core()
        for chunk in chunks(wanted):
            params = bind({"tenant": tenant}, "s", chunk)
            locked = connection.execute(sql.locking(shape(chunk)), params).scalars()
            held.update((tenant, session_id) for session_id in locked)

    # ------------------------------------------------------------------ seat checks

    @staticmethod
    def _seats(
        db: Db,
        tenant: str,
        session_ids: Sequence[str],
        at: datetime,
        excluding: str | None,
    ) -> dict[str, tuple[int, int]]:
        """Return ``(capacity, seats taken at at)`` of the stored sessions among ``session_ids``."""
        found: dict[str, tuple[int, int]] = {}
        connection = db.connection()
        for chunk in chunks(session_ids):
            params = bind({"tenant": tenant, "at": at}, "s", chunk)
            if excluding is not None:
                params["excluding"] = excluding
            statement = sql.seat_counts(shape(chunk), excluding is not None)
            # int(): MySQL sums integers as DECIMAL.
            found.update((i, (c, int(n))) for i, c, n in connection.execute(statement, params))
        return found

    def _related(
        self, db: Db, tenant: str, records: Sequence[Booking], *, duplicates: bool
    ) -> list[Booking]:
        """Return the stored bookings that may refuse ``records``, earliest created first.

        Those in play for a record's participant in its session and, with
        ``duplicates``, those holding a record's id or idempotency key: one
        ``UNION ALL`` per :data:`~._booking_statements.GROUP` records.
        """
        found: dict[str, Booking] = {}
        connection = db.connection()
        make = self.sql.from_row
        for begin in range(0, len(records), sql.GROUP):
            group = records[begin : begin + sql.GROUP]
            active = [r for r in group if r.active]
            keys = {r.idempotency_key for r in group if r.idempotency_key is not None}
            lists = {
                "i": sorted({r.id for r in group}) if duplicates else [],
                "k": sorted(keys) if duplicates else [],
                "s": sorted({r.session_id for r in active}),
                "p": sorted({r.participant.id for r in active}),
            }
            if not (lists["i"] or lists["k"] or lists["s"]):
                continue
            params: dict[str, Any] = {"tenant": tenant}
            for name, values in lists.items():
                bind(params, name, values)
            statement = sql.related_rows(*(shape(values) for values in lists.values()))
            for row in connection.execute(statement, params).mappings():
                found.setdefault(row["id"], make(row))
        return sorted(found.values(), key=lambda b: (b.created_at, b.id))

    def _judge(
        self,
        db: Db,
        tenant: str,
        records: Sequence[Booking],
        related: Sequence[Booking],
        *,
        replacing: bool,
        first: Callable[[Booking], None] | None = None,
        seated: bool = False,
    ) -> None:
        """Raise the error of the first record that may not be written, in the memory's order.

        ``records`` are judged in order, each against the stored bookings
        (``related``, see :meth:`_related`) and the records before it (a
        batch): ``first(record)`` (the duplicate checks of an insert),
        ``AlreadyBooked``, ``CapacityExceeded``, then ``SessionNotFound``. On
        an update (``replacing``, one record) the record's own stored row is
        left out; with ``seated`` it is not held to the capacity (it keeps
        seats it took). Capacities and seats come from one read per instant.
        """
        wanted = {(r.session_id, r.participant) for r in records if r.active}
        in_play: dict[tuple[str, ResourceRef], Booking] = {}
        for booking in related:
            pair = (booking.session_id, booking.participant)
            if booking.active and pair in wanted:
                in_play.setdefault(pair, booking)
        sessions = sorted({r.session_id for r in records})
        excluding = records[0].id if replacing else None
        capacities: dict[str, int] = {}
        counted: dict[tuple[str, datetime], int] = {}

        def count_at(at: datetime) -> None:
            for session_id, (capacity, taken) in self._seats(
                db, tenant, sessions, at, excluding
            ).items():
                capacities[session_id] = capacity
                counted[session_id, at] = taken

        if records:
            count_at(stamped_at(records[0]))
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
                if record.takes_seats(at) and capacity is not None and not seated:
                    if (record.session_id, at) not in counted:
                        count_at(at)
                    mine = [b for b in earlier if b.session_id == record.session_id]
                    taken_at = counted[record.session_id, at] + seats_taken(mine, at)
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
            if len(batch) == 1 and self._inserted(db, batch[0]):
                return
        super().add_many(batch)

    def add_settled(self, booking: Booking) -> bool:
        """Store ``booking`` if its session needs no settling; return whether it did.

        One ``INSERT ... SELECT`` (:func:`~._booking_statements.insert_checked`
        with ``settled``) that also inserts nothing while the session has a
        run-out hold or offer or anyone waiting, so a booking command that
        finds its session settled sends no read before it. On MySQL/MariaDB a
        taken id or key is a unique violation in the statement's SAVEPOINT,
        answered ``False`` like every other refusal.
        """
        if not booking.active:
            return False
        db = self._unit.db()
        self._lock(db, booking.tenant, [booking.session_id])  # held already, as a rule
        try:
            return self._inserted(db, booking, settled=True)
        except DuplicateBooking:
            return False  # MySQL/MariaDB only: elsewhere a taken key inserts no row

    def _inserted(self, db: Db, record: Booking, *, settled: bool = False) -> bool:
        """Insert one booking if every check passes, in one statement; return whether it did.

        The common case of a booking command: the checks ride in the
        ``INSERT ... SELECT`` itself (:func:`~._booking_statements.insert_checked`),
        so a booking costs one statement instead of a SAVEPOINT, two reads, the
        insert and a RELEASE. A refusal inserts nothing, and :meth:`add_many`
        then takes the long way, which finds and raises the error (in the
        memory's order) or, if the database changed meanwhile, writes the row
        after all. On MySQL/MariaDB a taken key is still a unique violation, so
        there the statement keeps its SAVEPOINT and the usual translation.
        """
        backend = self._unit.backend.name
        at = stamped_at(record)
        takes_seats = record.active and record.takes_seats(at)
        statement = sql.insert_checked(backend, record.active, takes_seats, settled)
        params = self.sql.values(record)
        params["at"] = at
        connection = self._unit.core()
        if backend != "mysql":
            return direct.run(connection, statement, params).rowcount == 1
        with savepoint(db, partial(self._refused, db, [record], False)):
            return direct.run(connection, statement, params).rowcount == 1

    def _before_insert(self, db: Db, batch: Sequence[Booking]) -> None:
        """Refuse taken ids and keys, doubles and full sessions (the sessions are locked)."""
        for tenant in sorted({b.tenant for b in batch}):
            mine = [b for b in batch if b.tenant == tenant]
            related = self._related(db, tenant, mine, duplicates=True)
            ids = {b.id for b in mine}
            stored = {b.id: b for b in related if b.id in ids}
            owners = [
                (key, self._holders(db, tenant, key, mine, related)) for key in self.kind.unique
            ]
            taken = partial(self._not_taken, stored, owners)
            self._judge(db, tenant, mine, related, replacing=False, first=taken)

    def _holders(
        self,
        db: Db,
        tenant: str,
        key: UniqueKey,
        records: Sequence[Booking],
        related: Sequence[Booking],
    ) -> dict[Any, Booking]:
        """Return the stored bookings holding ``key`` values of ``records``, by value.

        The idempotency key's holders are among ``related`` already; any other
        key is read as the generic repository reads it.
        """
        if key.fields != ("idempotency_key",):
            return self._owners(db, tenant, key, records)
        wanted = {key.value(r) for r in records} - {None}
        return {value: b for b in related if (value := key.value(b)) in wanted}

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

        An update that adds no seats (the stored booking took as many at the
        update's instant: a confirm, a move with its session) is not held to
        the capacity, so a session whose capacity was lowered below its booked
        seats keeps them. That is found out only when the count refuses it:
        the write's SAVEPOINT is rolled back, the stored row (the session still
        locked) read, and the update written again without the seat check.
        """
        if not record.active:
            return super().update(record, expected_version=expected_version)
        db = self._unit.db()
        self._lock(db, record.tenant, [record.session_id])
        try:
            return super().update(record, expected_version=expected_version)
        except CapacityExceeded:
            stored = self._fetch(db, record.tenant, [record.id]).get(record.id)
            if not keeps_its_seats(stored, record):
                raise
        self._kept = record.id
        try:
            return super().update(record, expected_version=expected_version)
        finally:
            self._kept = None

    def _before_children(self, db: Db, new: Booking) -> None:
        """Refuse an updated booking in play that doubles its participant or overfills its session."""  # noqa: E501
        if not new.active:
            return
        related = self._related(db, new.tenant, [new], duplicates=False)
        self._judge(db, new.tenant, [new], related, replacing=True, seated=self._kept == new.id)
