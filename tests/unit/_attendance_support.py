"""A kit with attendance facts on the in-memory store or SQLite, and presence events, at 17:00."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.model.attendance import PresenceEvent
from sessionkit.policies import FixedPrice
from sessionkit.ports import MeetingRooms, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)


@contextlib.contextmanager
def attendance_kit(
    store: str,
    *,
    attendance: AttendancePolicy | None = None,
    journal: bool = False,
    pricing: FixedPrice | None = None,
) -> Iterator[tuple[SessionKit, ManualClock]]:
    """A kit reading attendance facts, its clock a day before :data:`START`.

    ``store``: ``"memory"``, or anything else for SQLite in memory. ``attendance``,
    ``journal`` and ``pricing`` are the kit's own (default: none of them).
    """
    clock = ManualClock(START - timedelta(days=1))
    if store == "memory":
        memory = InMemoryStore().unit_of_work
        yield _kit(memory, clock, attendance, journal, pricing), clock
        return
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    try:
        uow = SqlAlchemyStore(engine).unit_of_work
        yield _kit(uow, clock, attendance, journal, pricing), clock
    finally:
        engine.dispose()


def _kit(
    uow: UnitOfWorkFactory,
    clock: ManualClock,
    attendance: AttendancePolicy | None,
    journal: bool,
    pricing: FixedPrice | None,
) -> SessionKit:
    return SessionKit(
        uow=uow, clock=clock, facts=attendance_facts(), attendance=attendance, journal=journal,
        pricing=pricing,
    )  # fmt: skip


def lesson_kit(
    uow: UnitOfWorkFactory, rooms: MeetingRooms | None = None, *, journal: bool = False
) -> tuple[SessionKit, str]:
    """A kit on ``uow`` reading attendance facts, a day before :data:`START`, and its lesson.

    The lesson: teacher ``t1``'s 45 minutes from :data:`START`, an academy one of one seat.
    ``journal``: the kit keeps a journal.
    """
    kit = SessionKit(
        uow=uow,
        clock=ManualClock(START - timedelta(days=1)),
        facts=attendance_facts(),
        rooms=rooms,
        journal=journal,
    )
    lesson = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + timedelta(minutes=45), lifecycle="academy",
        capacity=1, resources=["teacher:t1"],
    )  # fmt: skip
    return kit, lesson.id


def presence(n: int, who: str, action: str, minutes: int, session_id: str) -> PresenceEvent:
    """The provider ``meet``'s event ``e<n>``: ``who`` did ``action`` ``minutes`` after 17:00."""
    return PresenceEvent(
        provider="meet", event_id=f"e{n}", session_id=session_id, participant=who,
        action=action, at=START + minutes * MIN,
    )  # fmt: skip
