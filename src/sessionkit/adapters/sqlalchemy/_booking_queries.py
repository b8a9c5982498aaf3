"""The read statements of the booking repository, each built once per shape.

The reads' counterpart of :mod:`~._booking_statements` (the locks and the
write checks, and the helpers both use): named parameters, ``IN`` lists of
numbered ones up to ``FIXED`` values, built once (``functools.cache``).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import BindParameter

from sessionkit.adapters.sqlalchemy._booking_statements import (
    ACTIVE,
    EXPIRING,
    TENANT,
    one_of,
    ran_out,
    status_in,
    taking_seats,
)
from sessionkit.adapters.sqlalchemy.booking_rows import bookings_table
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.model.booking import WAITLISTED

__all__ = [
    "BY_KEY",
    "FULL",
    "LAST_POSITION",
    "bookable",
    "counted",
    "expiring",
    "grouped_seats",
    "of_participant",
    "of_session",
    "of_sessions",
    "of_tenant",
    "seating",
]

B = bookings_table
S = sessions_table
R = session_resources_table


@functools.cache
def of_session(statuses: int | None, after: bool | None = None, limit: bool = False) -> Select[Any]:
    """A session's bookings (in ``statuses`` numbered statuses; ``None``: all), in order.

    With ``after`` (whether the last booking of the page had a waitlist
    position; ``None``: from the first), those after ``after_position``,
    ``after_created`` and ``after_id``; with ``limit``, at most ``limit``.
    """
    conditions = [B.c.tenant == TENANT, B.c.session_id == bindparam("session_id")]
    if statuses is not None:
        conditions.append(B.c.status.in_([bindparam(f"st{n}") for n in range(statuses)]))
    if after is not None:
        conditions.append(_after_in_order(placed=after))
    statement = select(B).where(*conditions).order_by(*_waitlist_order())
    return statement.limit(bindparam("limit")) if limit else statement


def _after_in_order(*, placed: bool) -> ColumnElement[bool]:
    """The bookings after the last one of a page in ``for_session``'s order."""
    created = bindparam("after_created", type_=B.c.created_at.type)
    later = or_(
        B.c.created_at > created, and_(B.c.created_at == created, B.c.id > bindparam("after_id"))
    )
    if not placed:
        return and_(B.c.position.is_(None), later)
    position = bindparam("after_position", type_=B.c.position.type)
    return or_(
        B.c.position.is_(None),
        B.c.position > position,
        and_(B.c.position == position, later),
    )


def _waitlist_order() -> list[ColumnElement[Any]]:
    """``for_session``'s order: by waitlist position (unplaced last), creation, id."""
    unplaced = case((B.c.position.is_(None), 1), else_=0)
    return [unplaced, B.c.position, B.c.created_at, B.c.id]


def _seated_at(at: BindParameter[Any], session_id: BindParameter[str]) -> Any:
    """The subquery ``seats``: the seats ``:session_id`` takes at ``at``, in column ``taken``."""
    return (
        select(func.coalesce(func.sum(B.c.seats), 0).label("taken"))
        .where(B.c.tenant == TENANT, B.c.session_id == session_id, *taking_seats(at))
        .subquery("seats")
    )


def _acting(at: BindParameter[Any], participant: bool) -> ColumnElement[bool]:
    """Bookings a booking command acts on: waiting, run out by ``at``, or (``participant``) its."""
    acting: list[ColumnElement[bool]] = [
        B.c.status == literal(WAITLISTED, B.c.status.type),
        and_(status_in(EXPIRING), B.c.hold_expires_at <= at),
    ]
    if participant:
        mine = and_(
            B.c.participant_kind == bindparam("kind"), B.c.participant_id == bindparam("ident")
        )
        acting.append(mine)
    return or_(*acting)


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
    counted = _seated_at(at, session_id)
    on = and_(
        B.c.tenant == TENANT,
        B.c.session_id == session_id,
        status_in(ACTIVE),
        _acting(at, participant),
    )
    return (
        select(counted.c.taken, B.c.id)
        .select_from(counted.outerjoin(B, on))
        .order_by(*_waitlist_order())
    )


def _full() -> Select[Any]:
    at = bindparam("at", type_=B.c.created_at.type)
    session_id: BindParameter[str] = bindparam("session_id")
    counted = _seated_at(at, session_id)
    acting = _acting(at, True)
    running = and_(status_in(EXPIRING), B.c.hold_expires_at > at)
    on = and_(
        B.c.tenant == TENANT, B.c.session_id == session_id, status_in(ACTIVE), or_(acting, running)
    )
    flag = case((acting, literal_column("1")), else_=literal_column("0"))
    return select(counted.c.taken, flag, B.c.hold_expires_at, B.c.seats).select_from(
        counted.outerjoin(B, on)
    )


FULL = _full()
"""Why a booking of ``:kind`` / ``:ident`` found no room in ``:session_id`` at ``:at``, in one read.

Rows ``(taken, acting, hold_expires_at, seats)``: the seats taken (as
:func:`seating` sums them), then one row per booking in play that a booking
command acts on (``acting`` 1: waiting, run out, or the participant's) or
that holds seats until a later ``hold_expires_at`` (a running hold or offer,
``acting`` 0); a session with neither still gives one row, its others ``NULL``.
"""


@functools.cache
def grouped_seats(sessions: int | None) -> Select[Any]:
    """Seats taken at ``:at`` per session id, for sessions with any."""
    return (
        select(B.c.session_id, func.sum(B.c.seats))
        .where(
            B.c.tenant == TENANT,
            one_of(B.c.session_id, "s", sessions),
            *taking_seats(bindparam("at")),
        )
        .group_by(B.c.session_id)
    )


@functools.cache
def counted(sessions: int | None, statuses: int | None) -> Select[Any]:
    """How many bookings (in numbered statuses ``st0`` ...; ``None``: any) each session has."""
    conditions = [B.c.tenant == TENANT, one_of(B.c.session_id, "s", sessions)]
    if statuses is not None:
        conditions.append(B.c.status.in_([bindparam(f"st{n}") for n in range(statuses)]))
    return select(B.c.session_id, func.count()).where(*conditions).group_by(B.c.session_id)


@functools.cache
def of_sessions(sessions: int | None, statuses: int | None) -> Select[Any]:
    """The bookings (in numbered statuses ``st0`` ...; ``None``: any) of sessions ``s0`` ...

    Each session's in ``of_session`` order (the sessions in no promised order).
    """
    conditions = [B.c.tenant == TENANT, one_of(B.c.session_id, "s", sessions)]
    if statuses is not None:
        conditions.append(B.c.status.in_([bindparam(f"st{n}") for n in range(statuses)]))
    return select(B).where(*conditions).order_by(B.c.session_id, *_waitlist_order())


@functools.cache
def of_participant(statuses: int | None, window: bool, after: bool, limit: bool) -> Select[Any]:
    """A participant's bookings by session start then id: one range of the agenda index.

    Parameters: ``tenant``, ``kind``, ``ident``; the statuses ``st0`` ... (``None``:
    any); with ``window``, ``start`` and ``end``; with ``after``, ``after_start``
    and ``after_id``; with ``limit``, ``limit``.
    """
    who = [B.c.participant_kind == bindparam("kind"), B.c.participant_id == bindparam("ident")]
    return _by_start(who, statuses, window, after, limit)


@functools.cache
def of_tenant(statuses: int | None, window: bool, after: bool, limit: bool) -> Select[Any]:
    """The tenant's bookings by session start then id: one range of the tenant's start index.

    Parameters as :func:`of_participant`'s, without ``kind`` and ``ident``.
    """
    return _by_start([], statuses, window, after, limit)


def _by_start(
    conditions: list[ColumnElement[bool]],
    statuses: int | None,
    window: bool,
    after: bool,
    limit: bool,
) -> Select[Any]:
    """The tenant's bookings meeting ``conditions`` too, by session start then id, paged."""
    conditions = [B.c.tenant == TENANT, *conditions]
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
    """Bookings run out by ``:before`` (of ``:tenant`` if ``tenant``), by when, capped.

    Held and offered ones past ``hold_expires_at``, and waitlist places whose
    session started (:attr:`~sessionkit.model.booking.Booking.runs_out_at`);
    both branches lead with ``status``, so the ``(status, hold_expires_at)``
    index serves them, and the waitlisted rows are only the live waitlists.
    """
    before = bindparam("before", type_=B.c.created_at.type)
    waitlisted = B.c.status == literal(WAITLISTED, B.c.status.type)
    conditions = [ran_out(before)]
    if tenant:
        conditions.append(B.c.tenant == TENANT)
    runs_out = case((waitlisted, B.c.session_start), else_=B.c.hold_expires_at)
    return (
        select(B)
        .where(*conditions)
        .order_by(runs_out, B.c.tenant, B.c.id)
        .limit(bindparam("limit"))
    )


LAST_POSITION = select(func.max(B.c.position)).where(
    B.c.tenant == TENANT, B.c.session_id == bindparam("session_id"), B.c.position != 0
)
"""The session's highest waitlist position (``NULL`` without one)."""

BY_KEY = select(B).where(B.c.tenant == TENANT, B.c.idempotency_key == bindparam("key"))
"""The booking made with idempotency key ``:key``."""


@functools.cache
def bookable(
    resource: bool,
    after: bool,
    limit: bool,
    closed: int = 0,
    known: tuple[int, ...] | None = None,
) -> Select[Any]:
    """Busy sessions starting in ``[:start, :end)``, after ``:at``, with ``:seats`` free then.

    Rows: id, title, start, end, capacity, the seats taken and the seats owed
    to the waitlist, by start then id. Seats are free for a newcomer once
    neither takes them (``capacity - taken - owed``). The seats are summed by
    the database (the session's bookings joined and grouped) and the full
    sessions left out there, so only what a listing shows crosses the wire:
    no count, no session rows in full. With
    ``resource``, the sessions of ``:resource``, found by the resource rows
    (which carry their session's start) in the window, one index range
    whatever the resource's history; with ``after``, only those strictly
    after ``(:after_start, :after_id)``; with ``limit``, at most ``:limit``;
    with ``closed`` pairs, none whose ``(lifecycle, status)`` is
    ``(:closed_<n>_l, :closed_<n>_s)`` for any ``n`` below ``closed``; with
    ``known``, a count of statuses per lifecycle, only those whose lifecycle
    is ``:known_<n>`` and status one of ``:known_<n>_<m>`` (``m`` below
    ``known[n]``), one ``WHEN`` per lifecycle: an ``OR`` of the pairs nests
    one level per pair, and SQLite refuses an expression 1,000 deep (a kit of
    500 lifecycles). Numbered, not an expanding list, so the statement is
    rendered once, not per call, and can be sent on the driver's cursor
    (:mod:`~._direct`).
    """
    at = bindparam("at", type_=S.c.start_at.type)
    start = bindparam("start", type_=S.c.start_at.type)
    end = bindparam("end", type_=S.c.start_at.type)
    seats = and_(B.c.tenant == S.c.tenant, B.c.session_id == S.c.id, status_in(ACTIVE))
    taken = func.coalesce(func.sum(case((and_(*taking_seats(at)), B.c.seats), else_=0)), 0)
    # A place waiting for more seats than the capacity (lowered by the host's own admin)
    # is owed none: the next write ends it, as ``seats_owed(capacity=)`` has it.
    waiting = and_(B.c.status == WAITLISTED, B.c.seats <= S.c.capacity)
    owed = func.coalesce(func.sum(case((waiting, B.c.seats), else_=0)), 0)
    conditions = [
        S.c.tenant == TENANT,
        S.c.start_at >= start,
        S.c.start_at < end,
        S.c.start_at > at,
        S.c.busy.is_(True),
    ]
    conditions.extend(
        or_(S.c.lifecycle != bindparam(f"closed_{n}_l"), S.c.status != bindparam(f"closed_{n}_s"))
        for n in range(closed)
    )
    if known:
        statuses = (
            (
                S.c.lifecycle == bindparam(f"known_{n}"),
                S.c.status.in_([bindparam(f"known_{n}_{m}") for m in range(count)]),
            )
            for n, count in enumerate(known)
        )
        conditions.append(case(*statuses, else_=false()))
    if resource:
        occupying = select(R.c.session_id).where(
            R.c.tenant == TENANT,
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
    shown: tuple[ColumnElement[Any], ...] = (S.c.id, S.c.title, S.c.start_at, S.c.end_at)
    capacity: ColumnElement[int] = S.c.capacity
    grouped: tuple[ColumnElement[Any], ...] = (*shown, capacity)
    if not resource:
        # A tenant's window is grouped in the listing's order alone, which the
        # (tenant, start_at, id) index gives: SQLite and MariaDB group as they walk the
        # index and stop at the limit, where grouping by every column shown sorted the
        # whole window first (330 against 11 ms on SQLite, 960 against 20 ms on
        # MariaDB, for 30,000 sessions in 30 days). The other columns are the session's
        # own, one value per group: min() names them in every dialect. One resource's
        # sessions come by key from its rows, few enough to sort, and keep the plain
        # grouping (in the listing's order SQLite walked the tenant's window for them,
        # twice as slow for one teacher of 60 with no statistics gathered). Summing a
        # resource's bookings per session first and joining the sums was tried on
        # 2026-12-04: 2.0 to 1.6 ms on PostgreSQL for one teacher alone, but 3.8 to
        # 8.7 ms on SQLite and 14 to 48 ms on PostgreSQL for one teacher of 60.
        shown = (S.c.id, func.min(S.c.title), S.c.start_at, func.min(S.c.end_at))
        capacity = func.min(S.c.capacity)
        grouped = (S.c.start_at, S.c.id)
    statement = (
        select(*shown, capacity, taken, owed)
        .select_from(S.outerjoin(B, seats))
        .where(*conditions)
        .group_by(*grouped)
        .having(capacity - taken - owed >= bindparam("seats"))
        .order_by(S.c.start_at, S.c.id)
    )
    return statement.limit(bindparam("limit")) if limit else statement
