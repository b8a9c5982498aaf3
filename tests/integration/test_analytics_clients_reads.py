"""``kit.analytics.clients`` reads the no-show sessions' attendance and seats in batches.

It read each no-show session's seat bookings, presence and overrides with three statements
of their own (a review found the N+1): a tenant with 20 no-show sessions cost 57 more
statements than one with one. The sessions of a page now come with two attendance reads and
one bookings read for all of them, so the count does not grow with the sessions; the
figures are those the per-session reads gave.

SQLite, PostgreSQL and MySQL/MariaDB (the servers when their URLs are set), and memory for
the figures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import Engine, event

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.model.attendance import ABSENT, PRESENT, AttendanceOverride, override_id
from sessionkit.model.booking import CANCELLED
from sessionkit.ports import ATTENDANCE_OVERRIDES, BOOKINGS, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract._support import T0, make_session
from sessionkit.testing.contract.analytics import make_seat

NOW = T0 + timedelta(days=30)
CAME, MISSED, GUEST = "client:came", "client:missed", "client:guest"


def seed(store: UnitOfWorkFactory, tenant: str, recorded: int) -> None:
    """Store ``recorded`` no-show sessions with attendance and one without, for ``tenant``.

    In each recorded one the teacher reports ``CAME`` there (the host's no-show) and
    ``MISSED`` absent; ``GUEST`` is reported there too, on a cancelled booking (no seat).
    """
    sessions = [
        attrs.evolve(
            make_session(
                f"s{n}", tenant=tenant, at=2 * n, status="NO_SHOW", lifecycle="consulting"
            ),
            capacity=3,
        )
        for n in range(recorded + 1)
    ]
    told = datetime(2026, 1, 1, tzinfo=UTC)
    with store() as uow:
        uow.sessions.add_many(sessions)
        seats = []
        for session in sessions:
            seats += [
                make_seat(f"{session.id}-came", session, CAME),
                make_seat(f"{session.id}-missed", session, MISSED),
                make_seat(f"{session.id}-guest", session, GUEST, status=CANCELLED),
            ]
        uow.repository(BOOKINGS).add_many(seats)
        uow.repository(ATTENDANCE_OVERRIDES).add_many(
            [
                AttendanceOverride(
                    id=override_id(session.id, who),
                    tenant=tenant,
                    session_id=session.id,
                    participant=who,
                    status=status,
                    decided_at=told,
                )
                for session in sessions[1:]  # s0 has no attendance records
                for who, status in ((CAME, PRESENT), (MISSED, ABSENT), (GUEST, PRESENT))
            ]
        )
        uow.commit()


def no_shows(kit: SessionKit, tenant: str) -> dict[str, tuple[int, int]]:
    return {r.client: (r.sessions, r.no_shows) for r in kit.analytics.clients(tenant).rows}


def expected(recorded: int) -> dict[str, tuple[int, int]]:
    """The figures of :func:`seed`'s ``recorded`` sessions (the guest booked no seat)."""
    return {
        CAME: (recorded + 1, 1),  # only the session nothing was recorded for
        MISSED: (recorded + 1, recorded + 1),
    }


def test_a_clients_no_shows_leave_out_the_sessions_her_attendance_shows_her_at() -> None:
    store = InMemoryStore().unit_of_work
    kit = SessionKit(uow=store, clock=ManualClock(NOW))
    for tenant, recorded in (("one", 1), ("twenty", 20)):
        seed(store, tenant, recorded)
        assert no_shows(kit, tenant) == expected(recorded)


def test_the_statements_do_not_grow_with_the_no_show_sessions(fresh_engine: Engine) -> None:
    store = SqlAlchemyStore(fresh_engine).unit_of_work
    seed(store, "one", 1)
    seed(store, "twenty", 20)
    kit = SessionKit(uow=store, clock=ManualClock(NOW))
    sent: list[str] = []

    def seen(*args: Any) -> None:
        sent.append(args[2])  # before_cursor_execute(connection, cursor, statement, ...)

    counted: dict[str, int] = {}
    figures: dict[str, dict[str, tuple[int, int]]] = {}
    event.listen(fresh_engine, "before_cursor_execute", seen)
    try:
        for tenant in ("one", "twenty"):
            sent.clear()
            figures[tenant] = no_shows(kit, tenant)
            counted[tenant] = len(sent)
    finally:
        event.remove(fresh_engine, "before_cursor_execute", seen)
    assert figures == {"one": expected(1), "twenty": expected(20)}
    assert counted["twenty"] == counted["one"], counted
