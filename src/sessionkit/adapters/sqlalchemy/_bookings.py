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

A booking costs few round trips: a session the unit of work already locked
(``lock_session``, as every booking command does first) is not locked again
in the same transaction; the capacities and the seats taken are one read,
and the taken ids and keys and the participants' bookings in play another.
The statements are built once per shape (numbered parameters up to
:data:`_FIXED` values), not per call: building and re-rendering them cost
more than the database's answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.sql.elements import BindParameter

from sessionkit.adapters.sqlalchemy._backend import PARTICIPANT
from sessionkit.adapters.sqlalchemy._kind import SqlKind, SqlUnit
from sessionkit.adapters.sqlalchemy._query import CHUNK, chunks
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
from sessionkit.ports import Kind, UniqueKey
from sessionkit.timespan import TimeSpan

__all__ = ["SqlAlchemyBookingRepository"]

B = bookings_table
S = sessions_table

_SEATS = sorted(SEAT_STATUSES)
_ACTIVE = sorted(ACTIVE_BOOKING_STATUSES)
_EXPIRING = sorted((HELD, OFFERED))

_FIXED = 16
"""Up to this many values, an ``IN`` list of numbered parameters; beyond, one expanding list."""
_GROUP = CHUNK // 4
"""Records per read of their related bookings (four ``IN`` lists, within :data:`CHUNK`)."""


def _status_in(statuses: Sequence[str]) -> ColumnElement[bool]:
    """``status IN`` the ``statuses``, one bound value each (a list is rendered anew per call)."""
    return B.c.status.in_([literal(status, B.c.status.type) for status in statuses])


def _taking_seats(at: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
    """Rows whose bookings take seats at ``at`` (:meth:`Booking.takes_seats` in SQL)."""
    return [
        _status_in(_SEATS),
        or_(B.c.hold_expires_at.is_(None), B.c.hold_expires_at > at),
    ]


def _shape(values: Sequence[Any]) -> int | None:
    """The statement shape for ``values``: their count, or ``None`` for an expanding list."""
    return len(values) if len(values) <= _FIXED else None


def _one_of(column: ColumnElement[Any], name: str, shape: int | None) -> ColumnElement[bool]:
    """``column IN`` the parameters ``name0`` ... (``shape`` of them; ``None``: ``name``)."""
    if shape is None:
        return column.in_(bindparam(name, expanding=True))
    return column.in_([bindparam(f"{name}{n}") for n in range(shape)])


def _bind(params: dict[str, Any], name: str, values: Sequence[Any]) -> dict[str, Any]:
    """Add the parameters of :func:`_one_of` for ``values`` to ``params``; return ``params``."""
    if len(values) <= _FIXED:
        params.update((f"{name}{n}", value) for n, value in enumerate(values))
    else:
        params[name] = list(values)
    return params


_TENANT: BindParameter[str] = bindparam("tenant")

_SESSION_FOR_UPDATE = (
    select(S).where(S.c.tenant == _TENANT, S.c.id == bindparam("session_id")).with_for_update()
)


@functools.cache
def _locking(sessions: int | None) -> Select[Any]:
    """Lock sessions by id, in id order (missing ones are skipped)."""
    return (
        select(S.c.id)
        .where(S.c.tenant == _TENANT, _one_of(S.c.id, "s", sessions))
        .order_by(S.c.id)
        .with_for_update()
    )


@functools.cache
def _seat_counts(sessions: int | None, excluding: bool) -> Select[Any]:
    """Sessions' ids, capacities and seats taken at ``:at`` (leaving out ``:excluding``)."""
    mine = [B.c.tenant == S.c.tenant, B.c.session_id == S.c.id, *_taking_seats(bindparam("at"))]
    if excluding:
        mine.append(B.c.id != bindparam("excluding"))
    taken = select(func.coalesce(func.sum(B.c.seats), 0)).where(*mine).scalar_subquery()
    return select(S.c.id, S.c.capacity, taken).where(
        S.c.tenant == _TENANT, _one_of(S.c.id, "s", sessions)
    )


@functools.cache
def _related_rows(
    ids: int | None, keys: int | None, sessions: int | None, people: int | None
) -> CompoundSelect[Any]:
    """Stored bookings with one of the ids, one of the keys, or in play for the people there.

    A shape of 0 leaves its branch out (at least one must be there).
    """
    branches = []
    if ids != 0:
        branches.append(select(B).where(B.c.tenant == _TENANT, _one_of(B.c.id, "i", ids)))
    if keys != 0:
        keyed = _one_of(B.c.idempotency_key, "k", keys)
        branches.append(select(B).where(B.c.tenant == _TENANT, keyed))
    if sessions != 0:
        in_play = select(B).where(
            B.c.tenant == _TENANT,
            _one_of(B.c.session_id, "s", sessions),
            _status_in(_ACTIVE),
            _one_of(B.c.participant_id, "p", people),
        )
        branches.append(in_play)
    return union_all(*branches)


@functools.cache
def _of_session(statuses: int | None) -> Select[Any]:
    """A session's bookings (in ``statuses`` numbered statuses; ``None``: all), in order."""
    conditions = [B.c.tenant == _TENANT, B.c.session_id == bindparam("session_id")]
    if statuses is not None:
        conditions.append(B.c.status.in_([bindparam(f"st{n}") for n in range(statuses)]))
    unplaced = case((B.c.position.is_(None), 1), else_=0)
    order = [unplaced, B.c.position, B.c.created_at, B.c.id]
    return select(B).where(*conditions).order_by(*order)


@functools.cache
def _grouped_seats(sessions: int | None) -> Select[Any]:
    """Seats taken at ``:at`` per session id, for sessions with any."""
    return (
        select(B.c.session_id, func.sum(B.c.seats))
        .where(
            B.c.tenant == _TENANT,
            _one_of(B.c.session_id, "s", sessions),
            *_taking_seats(bindparam("at")),
        )
        .group_by(B.c.session_id)
    )


class SqlAlchemyBookingRepository(SqlRepository[Booking]):
    """The :class:`~sessionkit.ports.BookingRepository`: the generic one plus seats and reads.

    ``add``, ``add_many`` and ``update`` lock the sessions of the bookings they
    put in play and count their seats before writing; see the module docstring.
    """

    def __init__(self, kind: Kind[Any], sql: SqlKind[Booking], unit: SqlUnit) -> None:
        super().__init__(kind, sql, unit)
        self._scope: SessionTransaction | None = None
        self._held: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ locks

    def _locked(self, db: OrmSession) -> set[tuple[str, str]]:
        """Return the (tenant, session id) rows this repository locked in the open transaction.

        Keyed by the innermost transaction (a unit joined to a host's session
        is a SAVEPOINT, whose rollback releases its locks on PostgreSQL): a
        commit, a rollback or another savepoint starts an empty set, so a lock
        is only ever skipped while it is certainly held.
        """
        db.connection()  # begin the transaction, so that it can be told apart from the next
        scope = db.get_nested_transaction() or db.get_transaction()
        if scope is not self._scope or scope is None or not scope.is_active:
            self._scope = scope
            self._held = set()
        return self._held

    def lock_session(self, tenant: str, session_id: str) -> Session:
        """Lock the session's row until the unit of work ends and return it; ``SessionNotFound``."""
        db = self._unit.db()
        params = {"tenant": tenant, "session_id": session_id}
        row = db.connection().execute(_SESSION_FOR_UPDATE, params).mappings().first()
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
        self._unit.backend.lock(self._unit.db(), tenant, [f"{PARTICIPANT}{participant}"])

    def _lock(self, db: OrmSession, tenant: str, session_ids: Iterable[str]) -> None:
        """Lock the sessions' rows (missing ones are skipped) until the transaction ends.

        Rows this unit already locked in the transaction are not asked for
        again. The others are sorted before they are locked (PostgreSQL locks
        above the sort; MySQL walks the primary key in order), so writers
        wanting overlapping sets of sessions queue instead of deadlocking.
        """
        held = self._locked(db)
        wanted = sorted({i for i in session_ids if (tenant, i) not in held})
        connection = db.connection()
        for chunk in chunks(wanted):
            params = _bind({"tenant": tenant}, "s", chunk)
            locked = connection.execute(_locking(_shape(chunk)), params).scalars()
            held.update((tenant, session_id) for session_id in locked)

    # ------------------------------------------------------------------ seat checks

    @staticmethod
    def _seats(
        db: OrmSession,
        tenant: str,
        session_ids: Sequence[str],
        at: datetime,
        excluding: str | None,
    ) -> dict[str, tuple[int, int]]:
        """Return ``(capacity, seats taken at at)`` of the stored sessions among ``session_ids``."""
        found: dict[str, tuple[int, int]] = {}
        connection = db.connection()
        for chunk in chunks(session_ids):
            params = _bind({"tenant": tenant, "at": at}, "s", chunk)
            if excluding is not None:
                params["excluding"] = excluding
            statement = _seat_counts(_shape(chunk), excluding is not None)
            # int(): MySQL sums integers as DECIMAL.
            found.update((i, (c, int(n))) for i, c, n in connection.execute(statement, params))
        return found

    def _related(
        self, db: OrmSession, tenant: str, records: Sequence[Booking], *, duplicates: bool
    ) -> list[Booking]:
        """Return the stored bookings that may refuse ``records``, earliest created first.

        Those in play for a record's participant in its session and, with
        ``duplicates``, those holding a record's id or idempotency key: one
        ``UNION ALL`` per :data:`_GROUP` records.
        """
        found: dict[str, Booking] = {}
        connection = db.connection()
        make = self.sql.from_row
        for begin in range(0, len(records), _GROUP):
            group = records[begin : begin + _GROUP]
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
                _bind(params, name, values)
            statement = _related_rows(*(_shape(values) for values in lists.values()))
            for row in connection.execute(statement, params).mappings():
                found.setdefault(row["id"], make(row))
        return sorted(found.values(), key=lambda b: (b.created_at, b.id))

    def _judge(
        self,
        db: OrmSession,
        tenant: str,
        records: Sequence[Booking],
        related: Sequence[Booking],
        *,
        replacing: bool,
        first: Callable[[Booking], None] | None = None,
    ) -> None:
        """Raise the error of the first record that may not be written, in the memory's order.

        ``records`` are judged in order, each against the stored bookings
        (``related``, see :meth:`_related`) and the records before it (a
        batch): ``first(record)`` (the duplicate checks of an insert),
        ``AlreadyBooked``, ``CapacityExceeded``, then ``SessionNotFound``. On
        an update (``replacing``, one record) the record's own stored row is
        left out. Capacities and seats come from one read per instant.
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
                if record.takes_seats(at) and capacity is not None:
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
        super().add_many(batch)

    def _before_insert(self, db: OrmSession, batch: Sequence[Booking]) -> None:
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
        db: OrmSession,
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
        """
        if record.active:
            self._lock(self._unit.db(), record.tenant, [record.session_id])
        return super().update(record, expected_version=expected_version)

    def _before_children(self, db: OrmSession, new: Booking) -> None:
        """Refuse an updated booking in play that doubles its participant or overfills its session."""  # noqa: E501
        if not new.active:
            return
        related = self._related(db, new.tenant, [new], duplicates=False)
        self._judge(db, new.tenant, [new], related, replacing=True)

    # ------------------------------------------------------------------ reads

    def for_session(
        self, tenant: str, session_id: str, *, statuses: Iterable[str] | None = None
    ) -> list[Booking]:
        """Return the session's bookings (in ``statuses``, if given) by position, creation, id."""
        params: dict[str, Any] = {"tenant": tenant, "session_id": session_id}
        if statuses is None:
            return self._rows(_of_session(None), params)
        wanted = sorted(set(statuses))
        if not wanted:
            return []
        params.update((f"st{n}", status) for n, status in enumerate(wanted))
        return self._rows(_of_session(len(wanted)), params)

    def seats_taken(
        self, tenant: str, session_ids: Iterable[str], *, at: datetime
    ) -> dict[str, int]:
        """Return the seats taken at ``at`` per session id (sessions with none are left out)."""
        wanted = list(dict.fromkeys(session_ids))
        found: dict[str, int] = {}
        connection = self._unit.db().connection()
        for chunk in chunks(sorted(wanted)):
            params = _bind({"tenant": tenant, "at": at}, "s", chunk)
            rows = connection.execute(_grouped_seats(_shape(chunk)), params)
            # int(): MySQL sums integers as DECIMAL.
            found.update((i, int(n)) for i, n in rows if n)
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

    def _rows(self, statement: Any, params: dict[str, Any] | None = None) -> list[Booking]:
        rows = self._unit.db().connection().execute(statement, params).mappings()
        make = self.sql.from_row
        return [make(row) for row in rows]
