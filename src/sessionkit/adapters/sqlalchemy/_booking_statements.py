"""The SQL statements of the booking repository, each built once per shape.

Building a ``select()`` and rendering it anew (an expanding ``IN`` list is
re-rendered on every call) cost more than the database's answer to the small
reads and checks a booking command sends, so every statement here is built
once per *shape* (``functools.cache``) with named parameters: up to
:data:`FIXED` values, an ``IN`` list of numbered parameters ``name0``,
``name1``, ... (:func:`one_of`, filled by :func:`bind`); beyond, one expanding
list. The callers in :mod:`~._bookings` bind the values.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Insert,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter

from sessionkit.adapters.sqlalchemy._query import CHUNK
from sessionkit.adapters.sqlalchemy.booking_rows import bookings_table
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    HELD,
    OFFERED,
    SEAT_STATUSES,
    WAITLISTED,
)

__all__ = [
    "FIXED",
    "GROUP",
    "SESSION_FOR_UPDATE",
    "SESSION_FOR_UPDATE_BOUNDED",
    "bind",
    "bookable",
    "grouped_seats",
    "insert_checked",
    "locking",
    "of_session",
    "one_of",
    "related_rows",
    "seat_counts",
    "seating",
    "shape",
]

B = bookings_table
S = sessions_table
R = session_resources_table

_SEATS = sorted(SEAT_STATUSES)
_ACTIVE = sorted(ACTIVE_BOOKING_STATUSES)
_EXPIRING = sorted((HELD, OFFERED))

FIXED = 16
"""Up to this many values, an ``IN`` list of numbered parameters; beyond, one expanding list."""
GROUP = CHUNK // 4
"""Records per read of their related bookings (four ``IN`` lists, within ``CHUNK``)."""


def status_in(statuses: Sequence[str]) -> ColumnElement[bool]:
    """``status IN`` the ``statuses``, one bound value each (a list is rendered anew per call)."""
    return B.c.status.in_([literal(status, B.c.status.type) for status in statuses])


def taking_seats(at: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
    """Rows whose bookings take seats at ``at`` (:meth:`Booking.takes_seats` in SQL)."""
    return [
        status_in(_SEATS),
        or_(B.c.hold_expires_at.is_(None), B.c.hold_expires_at > at),
    ]


def shape(values: Sequence[Any]) -> int | None:
    """The statement shape for ``values``: their count, or ``None`` for an expanding list."""
    return len(values) if len(values) <= FIXED else None


def one_of(column: ColumnElement[Any], name: str, size: int | None) -> ColumnElement[bool]:
    """``column IN`` the parameters ``name0`` ... (``size`` of them; ``None``: ``name``)."""
    if size is None:
        return column.in_(bindparam(name, expanding=True))
    return column.in_([bindparam(f"{name}{n}") for n in range(size)])


def bind(params: dict[str, Any], name: str, values: Sequence[Any]) -> dict[str, Any]:
    """Add the parameters of :func:`one_of` for ``values`` to ``params``; return ``params``."""
    if len(values) <= FIXED:
        params.update((f"{name}{n}", value) for n, value in enumerate(values))
    else:
        params[name] = list(values)
    return params


_TENANT: BindParameter[str] = bindparam("tenant")

SESSION_FOR_UPDATE = (
    select(S).where(S.c.tenant == _TENANT, S.c.id == bindparam("session_id")).with_for_update()
)
"""The session row by ``tenant`` and ``session_id``, locked until the transaction ends."""

SESSION_FOR_UPDATE_BOUNDED = (
    select(S, func.set_config("lock_timeout", bindparam("lock_timeout", type_=String), true()))
    .where(S.c.tenant == _TENANT, S.c.id == bindparam("session_id"))
    .with_for_update()
)
""":data:`SESSION_FOR_UPDATE` setting PostgreSQL's ``lock_timeout`` for the transaction first.

``set_config`` is computed with the scanned row, below the lock (``LockRows``),
so the wait for the row is bounded; see ``Backend.bound_in_statement``.
"""


@functools.cache
def locking(sessions: int | None) -> Select[Any]:
    """Lock sessions by id, in id order (missing ones are skipped)."""
    return (
        select(S.c.id)
        .where(S.c.tenant == _TENANT, one_of(S.c.id, "s", sessions))
        .order_by(S.c.id)
        .with_for_update()
    )


@functools.cache
def seat_counts(sessions: int | None, excluding: bool) -> Select[Any]:
    """Sessions' ids, capacities and seats taken at ``:at`` (leaving out ``:excluding``)."""
    mine = [B.c.tenant == S.c.tenant, B.c.session_id == S.c.id, *taking_seats(bindparam("at"))]
    if excluding:
        mine.append(B.c.id != bindparam("excluding"))
    taken = select(func.coalesce(func.sum(B.c.seats), 0)).where(*mine).scalar_subquery()
    return select(S.c.id, S.c.capacity, taken).where(
        S.c.tenant == _TENANT, one_of(S.c.id, "s", sessions)
    )


@functools.cache
def related_rows(
    ids: int | None, keys: int | None, sessions: int | None, people: int | None
) -> CompoundSelect[Any]:
    """Stored bookings with one of the ids, one of the keys, or in play for the people there.

    A shape of 0 leaves its branch out (at least one must be there).
    """
    branches = []
    if ids != 0:
        branches.append(select(B).where(B.c.tenant == _TENANT, one_of(B.c.id, "i", ids)))
    if keys != 0:
        keyed = one_of(B.c.idempotency_key, "k", keys)
        branches.append(select(B).where(B.c.tenant == _TENANT, keyed))
    if sessions != 0:
        in_play = select(B).where(
            B.c.tenant == _TENANT,
            one_of(B.c.session_id, "s", sessions),
            status_in(_ACTIVE),
            one_of(B.c.participant_id, "p", people),
        )
        branches.append(in_play)
    return union_all(*branches)


@functools.cache
def of_session(statuses: int | None) -> Select[Any]:
    """A session's bookings (in ``statuses`` numbered statuses; ``None``: all), in order."""
    conditions = [B.c.tenant == _TENANT, B.c.session_id == bindparam("session_id")]
    if statuses is not None:
        conditions.append(B.c.status.in_([bindparam(f"st{n}") for n in range(statuses)]))
    return select(B).where(*conditions).order_by(*_waitlist_order())


def _waitlist_order() -> list[ColumnElement[Any]]:
    """``for_session``'s order: by waitlist position (unplaced last), creation, id."""
    unplaced = case((B.c.position.is_(None), 1), else_=0)
    return [unplaced, B.c.position, B.c.created_at, B.c.id]


@functools.cache
def seating(participant: bool) -> Select[Any]:
    """The seats ``:session_id`` takes at ``:at``, beside the bookings a booking command acts on.

    Rows ``(taken, id)``: the id of each booking in play that ran out by
    ``:at`` (held or offered), waits on the waitlist, or (with
    ``participant``) belongs to ``:kind`` / ``:ident``, in waitlist order;
    a session without such bookings still gives one row, its id ``NULL``.
    Two columns, not the bookings' twenty: such bookings are rare, and the
    driver describes every column of every result (the caller reads the
    rows it needs, when there are any).
    """
    at = bindparam("at", type_=B.c.created_at.type)
    session_id: BindParameter[str] = bindparam("session_id")
    counted = (
        select(func.coalesce(func.sum(B.c.seats), 0).label("taken"))
        .where(B.c.tenant == _TENANT, B.c.session_id == session_id, *taking_seats(at))
        .subquery("seats")
    )
    acting: list[ColumnElement[bool]] = [
        B.c.status == literal(WAITLISTED, B.c.status.type),
        and_(status_in(_EXPIRING), B.c.hold_expires_at <= at),
    ]
    if participant:
        mine = and_(
            B.c.participant_kind == bindparam("kind"), B.c.participant_id == bindparam("ident")
        )
        acting.append(mine)
    on = and_(B.c.tenant == _TENANT, B.c.session_id == session_id, status_in(_ACTIVE), or_(*acting))
    return (
        select(counted.c.taken, B.c.id)
        .select_from(counted.outerjoin(B, on))
        .order_by(*_waitlist_order())
    )


@functools.cache
def grouped_seats(sessions: int | None) -> Select[Any]:
    """Seats taken at ``:at`` per session id, for sessions with any."""
    return (
        select(B.c.session_id, func.sum(B.c.seats))
        .where(
            B.c.tenant == _TENANT,
            one_of(B.c.session_id, "s", sessions),
            *taking_seats(bindparam("at")),
        )
        .group_by(B.c.session_id)
    )


@functools.cache
def counted(sessions: int | None, statuses: int | None) -> Select[Any]:
    """How many bookings (in numbered statuses ``st0`` ...; ``None``: any) each session has."""
    conditions = [B.c.tenant == _TENANT, one_of(B.c.session_id, "s", sessions)]
    if statuses is not None:
        conditions.append(B.c.status.in_([bindparam(f"st{n}") for n in range(statuses)]))
    return select(B.c.session_id, func.count()).where(*conditions).group_by(B.c.session_id)


@functools.cache
def of_participant(statuses: int | None, window: bool, after: bool, limit: bool) -> Select[Any]:
    """A participant's bookings by session start then id: one range of the agenda index.

    Parameters: ``tenant``, ``kind``, ``ident``; the statuses ``st0`` ... (``None``:
    any); with ``window``, ``start`` and ``end``; with ``after``, ``after_start``
    and ``after_id``; with ``limit``, ``limit``.
    """
    conditions: list[ColumnElement[bool]] = [
        B.c.tenant == _TENANT,
        B.c.participant_kind == bindparam("kind"),
        B.c.participant_id == bindparam("ident"),
    ]
    if statuses is not None:
        conditions.append(B.c.status.in_([bindparam(f"st{n}") for n in range(statuses)]))
    if window:
        conditions += [
            B.c.session_start >= bindparam("start"),
            B.c.session_start < bindparam("end"),
        ]
    if after:
        last = bindparam("after_start", type_=B.c.session_start.type)
        conditions.append(
            or_(
                B.c.session_start > last,
                and_(B.c.session_start == last, B.c.id > bindparam("after_id")),
            )
        )
    statement = select(B).where(*conditions).order_by(B.c.session_start, B.c.id)
    return statement.limit(bindparam("limit")) if limit else statement


@functools.cache
def expiring(tenant: bool) -> Select[Any]:
    """Held and offered bookings run out by ``:before`` (of ``:tenant`` if ``tenant``), capped."""
    conditions = [
        B.c.status.in_([literal(status, B.c.status.type) for status in _EXPIRING]),
        B.c.hold_expires_at.is_not(None),
        B.c.hold_expires_at <= bindparam("before"),
    ]
    if tenant:
        conditions.append(B.c.tenant == _TENANT)
    return (
        select(B)
        .where(*conditions)
        .order_by(B.c.hold_expires_at, B.c.tenant, B.c.id)
        .limit(bindparam("limit"))
    )


LAST_POSITION = select(func.max(B.c.position)).where(
    B.c.tenant == _TENANT, B.c.session_id == bindparam("session_id"), B.c.position != 0
)
"""The session's highest waitlist position (``NULL`` without one)."""

BY_KEY = select(B).where(B.c.tenant == _TENANT, B.c.idempotency_key == bindparam("key"))
"""The booking made with idempotency key ``:key``."""


@functools.cache
def bookable(resource: bool, after: bool, limit: bool) -> Select[Any]:
    """Busy sessions starting in ``[:start, :end)``, after ``:at``, with ``:seats`` free then.

    Rows: id, title, start, end, capacity and the seats taken, by start then
    id. The seats are summed by the database (the session's bookings joined
    and grouped) and the full sessions left out there, so only what a listing
    shows crosses the wire: no count, no session rows in full. With
    ``resource``, the sessions of ``:resource``, found by the resource rows
    (which carry their session's start) in the window, one index range
    whatever the resource's history; with ``after``, only those strictly
    after ``(:after_start, :after_id)``; with ``limit``, at most ``:limit``.
    """
    at = bindparam("at", type_=S.c.start_at.type)
    start = bindparam("start", type_=S.c.start_at.type)
    end = bindparam("end", type_=S.c.start_at.type)
    seats = and_(B.c.tenant == S.c.tenant, B.c.session_id == S.c.id, *taking_seats(at))
    taken = func.coalesce(func.sum(B.c.seats), 0)
    conditions = [
        S.c.tenant == _TENANT,
        S.c.start_at >= start,
        S.c.start_at < end,
        S.c.start_at > at,
        S.c.busy.is_(True),
    ]
    if resource:
        occupying = select(R.c.session_id).where(
            R.c.tenant == _TENANT,
            R.c.resource == bindparam("resource"),
            R.c.start_at >= start,
            R.c.start_at < end,
        )
        conditions.append(S.c.id.in_(occupying))
    if after:
        last = bindparam("after_start", type_=S.c.start_at.type)
        conditions.append(
            or_(S.c.start_at > last, and_(S.c.start_at == last, S.c.id > bindparam("after_id")))
        )
    shown = (S.c.id, S.c.title, S.c.start_at, S.c.end_at, S.c.capacity)
    statement = (
        select(*shown, taken)
        .select_from(S.outerjoin(B, seats))
        .where(*conditions)
        .group_by(*shown)
        .having(S.c.capacity - taken >= bindparam("seats"))
        .order_by(S.c.start_at, S.c.id)
    )
    return statement.limit(bindparam("limit")) if limit else statement


@functools.cache
def insert_checked(dialect: str, active: bool, seats: bool) -> Insert:
    """Insert one booking only if it passes the seat checks, in the statement itself.

    The row's values are the parameters named after the columns; it is
    inserted from its session's row (``:tenant``, ``:session_id``), so a
    missing session inserts nothing, and only when, for an ``active``
    booking, its participant has no booking in play in the session and,
    when it takes ``seats``, the seats taken at ``:at`` plus its own fit the
    capacity. The session's row is locked already (every writer locks it
    first), so the counts are exact. On PostgreSQL and SQLite a taken id or
    idempotency key inserts nothing too (``ON CONFLICT DO NOTHING``), so no
    refusal is an error and none needs a SAVEPOINT; on MySQL/MariaDB it
    stays a unique violation. Inserting no row means "find out why", which
    the caller does the long way.
    """
    row = {column.key: bindparam(column.key, type_=column.type) for column in B.c}
    conditions: list[ColumnElement[bool]] = [
        S.c.tenant == row["tenant"],
        S.c.id == row["session_id"],
    ]
    if active:
        in_play = exists().where(
            B.c.tenant == S.c.tenant,
            B.c.session_id == S.c.id,
            status_in(_ACTIVE),
            B.c.participant_kind == row["participant_kind"],
            B.c.participant_id == row["participant_id"],
        )
        conditions.append(~in_play)
    if seats:
        taken = (
            select(func.coalesce(func.sum(B.c.seats), 0))
            .where(
                B.c.tenant == S.c.tenant,
                B.c.session_id == S.c.id,
                *taking_seats(bindparam("at", type_=B.c.created_at.type)),
            )
            .scalar_subquery()
        )
        conditions.append(taken + row["seats"] <= S.c.capacity)
    source = select(*row.values()).where(*conditions)
    names = list(row)
    statement: Insert
    if dialect == "postgresql":
        statement = postgresql.insert(B).from_select(names, source).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(B).from_select(names, source).on_conflict_do_nothing()
    else:
        statement = insert(B).from_select(names, source)
    # The caller reads how many rows went in: SQLAlchemy keeps an INSERT's count only if asked.
    return statement.execution_options(preserve_rowcount=True)
