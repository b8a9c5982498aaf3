"""The analytics use contract's data set: lessons, presence, reports, subscriptions and use.

:func:`seed_analytics_use` stores what
:mod:`sessionkit.testing.contract.analytics_use`'s docstring lists (and its
tests count), with the factories it is made of, the contract's clock
:data:`NOW` among them. Kept apart from the tests by the style's size limit;
the public module exports :func:`seed_analytics_use` under its own name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import attrs

from sessionkit.model.attendance import (
    JOIN,
    LEAVE,
    PRESENT,
    AttendanceOverride,
    Presence,
    override_id,
)
from sessionkit.model.booking import CANCELLED as BOOKING_CANCELLED
from sessionkit.model.session import Session
from sessionkit.model.usage import Subscription, UsageEntry
from sessionkit.ports import (
    ATTENDANCE_OVERRIDES,
    BOOKINGS,
    PRESENCE,
    SUBSCRIPTIONS,
    USAGE,
    UnitOfWorkFactory,
)
from sessionkit.testing.contract._support import (
    ANA,
    BEN,
    OTHER_TENANT,
    ROOM,
    T0,
    TENANT,
    make_session,
)
from sessionkit.testing.contract.analytics import make_seat

__all__ = ["NOW", "seed_analytics_use"]

NOW = T0 + timedelta(hours=100)
"""The contract's clock: Friday 6 March 2026, 13:00 UTC."""


def _academy(session: Session, lifecycle: str = "academy") -> Session:
    return attrs.evolve(session, lifecycle=lifecycle, capacity=8)


def _moves(session: Session, who: str, *moves: tuple[str, float]) -> list[Presence]:
    """Return ``who``'s presence in ``session``: (action, minutes from its start) each."""
    return [
        Presence(
            id=f"meet:{session.id}-{who}-{n}",
            tenant=session.tenant,
            session_id=session.id,
            participant=who,
            action=action,
            at=session.start + timedelta(minutes=minutes),
            received_at=session.start,
        )
        for n, (action, minutes) in enumerate(moves)
    ]


def _told(
    session: Session, who: str, status: str, minutes: int | None = None
) -> AttendanceOverride:
    return AttendanceOverride(
        id=override_id(session.id, who),
        tenant=session.tenant,
        session_id=session.id,
        participant=who,
        status=status,
        minutes=minutes,
        decided_by="ana",
        decided_at=session.end,
    )


def _plan(
    sub_id: str,
    who: str,
    credits: int,
    per: Literal["month", "total"],
    starts: datetime,
    *,
    ends: datetime | None = None,
    tenant: str = TENANT,
) -> Subscription:
    return Subscription(
        id=sub_id,
        tenant=tenant,
        subscriber=who,
        credits=credits,
        per=per,
        starts=starts,
        ends=ends,
        created_at=starts,
    )


def _entries(plan: Subscription, period: str, used: int, returned: int = 0) -> list[UsageEntry]:
    return [
        UsageEntry(
            id=f"u-{plan.id}-{period}-{n}",
            tenant=plan.tenant,
            subscription_id=plan.id,
            session_id=f"lesson-{period}-{n}",
            participant=plan.subscriber,
            period=period,
            used_by=f"lesson-{period}-{n}",
            consumed_at=plan.starts,
            reversed_at=plan.starts if n >= used else None,
        )
        for n in range(used + returned)
    ]


def seed_analytics_use(store: UnitOfWorkFactory) -> None:
    """Store the contract's data set (see the module docstring)."""
    a1 = _academy(make_session("a1", at=0, status="COMPLETED"))
    a2 = _academy(make_session("a2", at=24, status="ABSENT", resources=(BEN,)))
    a3 = _academy(make_session("a3", at=48, status="COMPLETED", resources=(ANA, ROOM)))
    a4 = _academy(make_session("a4", at=72, status="CANCELLED", resources=(BEN,), busy=False))
    a5 = _academy(make_session("a5", at=200), "lms")
    g1 = _academy(make_session("g1", tenant=OTHER_TENANT, at=0, status="COMPLETED"))
    seats = [
        *(make_seat(f"b1{who}", a1, f"student:{who}") for who in "pleqox"),
        make_seat("b2x", a2, "student:x"),
        make_seat("b3y", a3, "student:y"),
        make_seat("b4p", a4, "student:p"),
        make_seat("b4x", a4, "student:x", BOOKING_CANCELLED),
        make_seat("b5p", a5, "student:p"),
        make_seat("bg", g1, "student:p"),
    ]
    presence = [
        *_moves(a1, "student:p", (JOIN, -2), (JOIN, 10), (LEAVE, 61)),
        *_moves(a1, "student:l", (JOIN, 10.5), (LEAVE, 60)),
        *_moves(a1, "student:e", (JOIN, 0), (LEAVE, 45)),
        *_moves(a1, "student:q", (LEAVE, 40), (JOIN, 20)),  # stored out of order
        *_moves(a1, "student:o", (JOIN, 0)),
        *_moves(a1, "teacher:ana", (JOIN, -5), (LEAVE, 30), (JOIN, 30), (LEAVE, 62), (LEAVE, 63)),
        *_moves(a3, "student:y", (JOIN, 30), (LEAVE, 35)),
        *_moves(a3, "student:z", (LEAVE, 10)),
        *_moves(g1, "student:p", (JOIN, 0), (LEAVE, 60)),
    ]
    overrides = [
        _told(a3, "student:y", PRESENT, 60),
        _told(a3, "student:w", "absent"),
        _told(g1, "student:p", "late", 7),
    ]
    sub_p = _plan("sub-p", "student:p", 4, "month", datetime(2026, 2, 1, tzinfo=UTC))
    sub_x = _plan("sub-x", "student:x", 10, "total", datetime(2026, 3, 1, tzinfo=UTC))
    sub_x2 = _plan("sub-x2", "student:x", 2, "month", datetime(2026, 5, 1, tzinfo=UTC))
    sub_y = _plan(
        "sub-y",
        "student:y",
        3,
        "month",
        datetime(2026, 1, 1, tzinfo=UTC),
        ends=datetime(2026, 3, 1, tzinfo=UTC),
    )
    sub_g = _plan(
        "sub-g", "student:p", 4, "month", datetime(2026, 2, 1, tzinfo=UTC), tenant=OTHER_TENANT
    )
    entries = [
        *_entries(sub_p, "2026-02", 2, 1),
        *_entries(sub_p, "2026-03", 1),
        *_entries(sub_x, "total", 2, 1),
        *_entries(sub_y, "2026-01", 1),
        *_entries(sub_g, "2026-03", 3),
    ]
    with store() as uow:
        uow.sessions.add_many([a1, a2, a3, a4, a5, g1])
        uow.repository(BOOKINGS).add_many(seats)
        uow.repository(PRESENCE).add_many(presence)
        uow.repository(ATTENDANCE_OVERRIDES).add_many(overrides)
        uow.repository(SUBSCRIPTIONS).add_many([sub_p, sub_x, sub_x2, sub_y, sub_g])
        uow.repository(USAGE).add_many(entries)
        uow.commit()
