"""The statements of attended minutes and subscription use: one ``GROUP BY`` statement each.

**Attendance.** Presence is stored as raw join / leave events. Which of them
count is decided the way :func:`~sessionkit.model.attendance.intervals_of`
decides it: each join opens a connection and each leave ends one, per
participant in order of instant, the joins and leaves at one instant netted
(``GROUP BY`` the instant), and a participant is in while any is open (two
devices at once count once). The connections open after each instant are a
running ``SUM`` of the nets that never goes below none (a leave with none
open is ignored): the running sum less its running ``MIN`` when that is
negative. Each instant while in then runs to the next instant (or the end),
and the time in inside ``[start, end]`` of the session is the sum of those
runs with every instant clipped into the session. Instants become integer
microseconds for that sum, exactly on each database (:func:`micros`). One row
comes back per group, session and participant (the pair's totals, never an
event row); the status is derived from them in Python, by the same
thresholds as ``kit.attendance``.

**Usage.** Subscriptions left-joined to their ledger entries, counted per
subscription and period: active entries and returned ones.

Participants are compared with the exact collation
(:func:`~._types.exact_collation`): the presence and override tables keep
them in columns of the database's default collation, which on MySQL/MariaDB
may fold case, and a ``UNION`` of columns of two collations needs one named.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.engine import Dialect, Row

from sessionkit.adapters.sqlalchemy._backend import Backend
from sessionkit.adapters.sqlalchemy._query import session_filters
from sessionkit.adapters.sqlalchemy._types import exact_collation
from sessionkit.adapters.sqlalchemy.attendance_rows import overrides_table, presence_table
from sessionkit.adapters.sqlalchemy.booking_rows import bookings_table
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.adapters.sqlalchemy.usage_rows import subscriptions_table, usage_table
from sessionkit.model.analytics import CountBy
from sessionkit.model.analytics_use import AttendanceTotal, UsageTotal
from sessionkit.model.attendance import JOIN, SEALED_FIELD, held_until
from sessionkit.model.query import SessionQuery

__all__ = [
    "attendance_statement",
    "attendance_total",
    "micros",
    "usage_statement",
    "usage_total",
]

S = sessions_table
R = session_resources_table.alias("attendance_resources")
P = presence_table
O = overrides_table  # noqa: E741  # the table, as SQL names it
B = bookings_table
SUB = subscriptions_table
U = usage_table

_MICRO = 1_000_000


def micros(dialect: Dialect, instant: ColumnElement[Any]) -> ColumnElement[int]:
    """Return ``instant`` (a UTC instant column) as integer microseconds since 1970, exactly.

    SQLite keeps instants as ``YYYY-MM-DD HH:MM:SS.ffffff`` text: whole seconds
    by ``strftime('%s')`` of the first 19 characters, the six digits after the
    point as they are. PostgreSQL: ``EXTRACT(EPOCH ...)``, a numeric (exact)
    since version 14. MySQL/MariaDB: ``TIMESTAMPDIFF(MICROSECOND, ...)``.
    """
    if dialect.name == "sqlite":
        whole = cast(func.strftime("%s", func.substr(instant, 1, 19)), Integer)
        return whole * _MICRO + cast(func.substr(instant, 21, 6), Integer)
    if dialect.name == "postgresql":
        return cast(func.round(extract("epoch", instant) * _MICRO), BigInteger)
    return func.timestampdiff(
        literal_column("MICROSECOND"), literal_column("'1970-01-01 00:00:00'"), instant
    )


def _exact(dialect: Dialect, text: ColumnElement[Any]) -> ColumnElement[Any]:
    collation = exact_collation(dialect)
    return text if collation is None else text.collate(collation)


def attendance_statement(
    backend: Backend,
    dialect: Dialect,
    tenant: str,
    scope: SessionQuery,
    by: CountBy | None,
    booked_statuses: Collection[str],
    attendee_kinds: Collection[str] = (),
    cancelled: Collection[tuple[str, str]] = (),
) -> tuple[Select[Any], int]:
    """Return the statement of the attendance totals and how many key columns lead its rows.

    The people of a session: its stays, overrides, bookings in
    ``booked_statuses`` and resources of a kind in ``attendee_kinds``; a
    session whose ``(lifecycle, status)`` is one of ``cancelled`` expected
    nobody (no booking or resource of it is a person there).
    """
    sealed = S.c.metadata[SEALED_FIELD].as_string().label("sealed_at")  # its actual end, if over
    scoped = (
        select(S.c.id, S.c.start_at, S.c.end_at, S.c.status, S.c.lifecycle, sealed)
        .where(*session_filters(backend, tenant, scope))
        .cte("attendance_sessions")
    )
    who = _exact(dialect, P.c.participant)
    # Each instant of a participant: its joins less its leaves (a join and a leave at one
    # instant cancel out: a reconnect, a failed join).
    instants = (
        select(
            P.c.session_id,
            who.label("who"),
            P.c.at,
            scoped.c.start_at,
            scoped.c.end_at,
            func.sum(case((P.c.action == JOIN, 1), else_=-1)).label("net"),
        )
        .select_from(P.join(scoped, P.c.session_id == scoped.c.id))
        .where(P.c.tenant == tenant)
        .group_by(P.c.session_id, who, P.c.at, scoped.c.start_at, scoped.c.end_at)
        .subquery("attendance_instants")
    )
    i = instants.c
    walk = (i.session_id, i.who)
    summed = select(
        i.session_id,
        i.who,
        i.at,
        i.start_at,
        i.end_at,
        func.sum(i.net).over(partition_by=walk, order_by=i.at).label("total"),
        func.lead(i.at).over(partition_by=walk, order_by=i.at).label("next_at"),
    ).subquery("attendance_sums")
    m = summed.c
    lowest = func.min(m.total).over(partition_by=(m.session_id, m.who), order_by=m.at)
    # The connections open after each instant: the running sum, never below none (a leave
    # with none open is ignored), is the sum less its lowest point so far when that is < 0.
    depths = select(
        m.session_id,
        m.who,
        m.at,
        m.start_at,
        m.end_at,
        m.next_at,
        (m.total - case((lowest < 0, lowest), else_=0)).label("connections"),
    ).subquery("attendance_depths")
    d = depths.c
    events = select(
        d.session_id,
        d.who,
        d.at,
        d.start_at,
        d.end_at,
        d.next_at,
        d.connections,
        func.lag(d.connections)
        .over(partition_by=(d.session_id, d.who), order_by=d.at)
        .label("before"),
    ).subquery("attendance_events")
    e = events.c
    inside = e.connections > 0
    was_in = func.coalesce(e.before, 0) > 0
    counted_join = and_(inside, ~was_in)
    counted_leave = and_(~inside, was_in)
    # Only the stays that overlap the session make it punctual or not, left early or not:
    # in at its start (in after the last instant at or before it), a first join inside it;
    # in just before its end (in after the last instant before it), a last leave inside it.
    in_at_start = and_(inside, e.at <= e.start_at, or_(e.next_at.is_(None), e.next_at > e.start_at))
    in_before_end = and_(inside, e.at < e.end_at, or_(e.next_at.is_(None), e.next_at >= e.end_at))

    def clipped(instant: ColumnElement[Any]) -> ColumnElement[int]:
        return micros(
            dialect,
            case(
                (instant < e.start_at, e.start_at),
                (instant > e.end_at, e.end_at),
                else_=instant,
            ),
        )

    # The time in, inside the session: each instant while in runs to the next (or the end).
    held = clipped(func.coalesce(e.next_at, e.end_at)) - clipped(e.at)
    stays = (
        select(
            e.session_id,
            e.who,
            func.sum(case((inside, held), else_=0)).label("attended"),
            func.min(case((and_(counted_join, e.at >= e.start_at, e.at < e.end_at), e.at))).label(
                "first_join"
            ),
            func.max(case((and_(counted_leave, e.at > e.start_at, e.at < e.end_at), e.at))).label(
                "last_leave"
            ),
            func.max(case((in_at_start, 1), else_=0)).label("in_at_start"),
            func.max(case((in_before_end, 1), else_=0)).label("in_before_end"),
        )
        .group_by(e.session_id, e.who)
        .subquery("attendance_stays")
    )
    # A cancelled session expected nobody: its bookings and resources are left out by a
    # filter on the scoped session they are joined to (no subquery per row).
    expecting: list[ColumnElement[bool]] = []
    if cancelled:
        is_cancelled = or_(
            *(
                and_(
                    _exact(dialect, scoped.c.lifecycle) == lifecycle,
                    _exact(dialect, scoped.c.status) == status,
                )
                for lifecycle, status in sorted(cancelled)
            )
        )
        expecting.append(~is_cancelled)
    booked = _exact(dialect, B.c.participant_kind + ":" + B.c.participant_id)
    resource = _exact(dialect, R.c.resource)
    expected = [
        select(R.c.session_id, resource.label("who"))
        .select_from(R.join(scoped, R.c.session_id == scoped.c.id))
        .where(
            R.c.tenant == tenant,
            or_(*(resource.startswith(f"{kind}:", autoescape=True) for kind in kinds)),
            *expecting,
        )
        for kinds in [sorted(attendee_kinds)]
        if kinds
    ]
    people = union(
        # Whoever has presence, also a participant whose every event fell on an instant
        # left out of the walk (a failed join): absent, with no stay, but a record.
        select(P.c.session_id, who.label("who"))
        .select_from(P.join(scoped, P.c.session_id == scoped.c.id))
        .where(P.c.tenant == tenant),
        select(O.c.session_id, _exact(dialect, O.c.participant))
        .select_from(O.join(scoped, O.c.session_id == scoped.c.id))
        .where(O.c.tenant == tenant),
        select(B.c.session_id, booked)
        .select_from(B.join(scoped, B.c.session_id == scoped.c.id))
        .where(B.c.tenant == tenant, B.c.status.in_(sorted(booked_statuses)), *expecting),
        *expected,
    ).subquery("attendance_people")
    person = people.c.who
    joined = (
        people.join(scoped, people.c.session_id == scoped.c.id)
        .outerjoin(stays, and_(stays.c.session_id == people.c.session_id, stays.c.who == person))
        .outerjoin(
            O,
            and_(
                O.c.tenant == tenant,
                O.c.session_id == people.c.session_id,
                _exact(dialect, O.c.participant) == person,
            ),
        )
    )
    keys: list[ColumnElement[Any]]
    if by is None:
        keys = []
    elif by == "kind":
        keys = [scoped.c.lifecycle]
    elif by == "participant":
        keys = [person]
    else:
        keys = [R.c.resource]
        joined = joined.join(R, and_(R.c.tenant == tenant, R.c.session_id == people.c.session_id))
    statement = select(
        *keys,
        people.c.session_id,
        person,
        scoped.c.status,
        scoped.c.start_at,
        scoped.c.end_at,
        stays.c.attended,
        stays.c.first_join,
        stays.c.last_leave,
        stays.c.in_at_start,
        stays.c.in_before_end,
        O.c.status,
        O.c.minutes,
        scoped.c.lifecycle,
        scoped.c.sealed_at,
    ).select_from(joined)
    return statement, len(keys)


def attendance_total(row: Row[Any], width: int) -> AttendanceTotal:
    """Build the :class:`AttendanceTotal` of one row of :func:`attendance_statement`."""
    values = tuple(row)
    key = None if width == 0 else str(values[0])
    (
        session_id,
        participant,
        status,
        start,
        end,
        attended,
        first_join,
        last_leave,
        in_at_start,
        in_before_end,
        told,
        minutes,
        lifecycle,
        sealed,
    ) = values[width:]
    return AttendanceTotal(
        key=key,
        session_id=session_id,
        participant=participant,
        session_status=status,
        start=start,
        end=end,
        first_join=start if in_at_start else first_join,
        last_leave=None if in_before_end else last_leave,
        attended=timedelta(microseconds=int(attended or 0)),
        override_status=told,
        override_minutes=minutes,
        session_lifecycle=lifecycle,
        held_end=held_until(start, end, sealed),
    )


def usage_statement(tenant: str, subscriber: str | None) -> Select[Any]:
    """Return the statement of the usage totals: per subscription and period, two counts."""
    used = func.sum(case((and_(U.c.id.is_not(None), U.c.reversed_at.is_(None)), 1), else_=0))
    returned = func.sum(case((U.c.reversed_at.is_not(None), 1), else_=0))
    terms = (SUB.c.id, SUB.c.subscriber, SUB.c.credits, SUB.c.per, SUB.c.tz, SUB.c.starts)
    statement = (
        select(*terms, SUB.c.ends, U.c.period, used, returned)
        .select_from(
            SUB.outerjoin(U, and_(U.c.tenant == SUB.c.tenant, U.c.subscription_id == SUB.c.id))
        )
        .where(SUB.c.tenant == tenant)
        .group_by(*terms, SUB.c.ends, U.c.period)
    )
    if subscriber is not None:
        statement = statement.where(SUB.c.subscriber == subscriber)
    return statement


def usage_total(row: Row[Any]) -> UsageTotal:
    """Build the :class:`UsageTotal` of one row of :func:`usage_statement`."""
    sub_id, subscriber, credits, per, tz, starts, ends, period, used, returned = tuple(row)
    return UsageTotal(
        subscription_id=sub_id,
        subscriber=subscriber,
        credits=credits,
        per=per,
        tz=tz,
        starts=starts,
        ends=ends,
        period=period,
        used=int(used or 0),
        reversed=int(returned or 0),
    )
