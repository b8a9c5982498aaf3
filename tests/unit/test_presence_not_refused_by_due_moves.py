"""Presence is never refused by the clock's due moves; the rooms' keeper takes one status name.

On the in-memory store and on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import JoinRefused
from sessionkit.model import Session
from sessionkit.model.attendance import JOIN, LEAVE, PresenceEvent
from sessionkit.ports import UnitOfWork
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionKit]:
    def make(uow: Callable[[], UnitOfWork]) -> SessionKit:
        clock = ManualClock(START - timedelta(days=1))
        return SessionKit(uow=uow, clock=clock, facts=attendance_facts(), rooms=FakeMeetingRooms())

    if request.param == "memory":
        yield make(InMemoryStore().unit_of_work)
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'presence.sqlite3'}")
    create_schema(engine)
    yield make(SqlAlchemyStore(engine).unit_of_work)
    engine.dispose()


def _lesson(kit: SessionKit, start: datetime, teacher: str) -> Session:
    made = kit.sessions.create_extra(
        T,
        actor="admin",
        start=start,
        end=start + timedelta(minutes=45),
        lifecycle="academy",
        capacity=1,
        resources=[f"teacher:{teacher}"],
    )
    kit.bookings.book(T, made.id, "student:ana", actor="admin", confirm=True)
    return made


def _event(session: Session, event_id: str, who: str, action: str, at: datetime) -> PresenceEvent:
    return PresenceEvent(
        provider="meet",
        event_id=event_id,
        session_id=session.id,
        participant=who,
        action=action,
        at=at,
    )


def test_late_presence_is_stored_though_completing_the_session_would_be_refused(
    kit: SessionKit,
) -> None:
    kit.usage.subscribe(
        T, actor="admin", subscriber="student:ana", credits=1, starts=START - timedelta(days=2)
    )
    first, second = _lesson(kit, START, "a"), _lesson(kit, START + timedelta(hours=2), "b")
    for transition in ("ready", "start", "complete"):
        kit.sessions.fire(T, first.id, transition, actor="teacher")  # the month's only credit
    kit.attendance.record_presence(
        T, [_event(second, "e1", "student:ana", JOIN, second.start)], now=second.start
    )
    assert kit.queries.get(T, second.id).status == "ONGOING"

    # The webhook's leave and the teacher's join arrive 20 minutes after the end: completing
    # the session now is the tick's (and refused for the credit), not the presence's.
    late = [
        _event(second, "e2", "student:ana", LEAVE, second.end),
        _event(second, "e3", "teacher:b", JOIN, second.start + MIN),
    ]
    report = kit.attendance.record_presence(T, late, now=second.end + 20 * MIN)

    assert (report.recorded, report.started) == (2, ())
    stored = [p.id for p in kit.attendance.presence(T, second.id)]
    assert stored == ["meet:e1", "meet:e3", "meet:e2"]
    assert kit.queries.get(T, second.id).status == "ONGOING"


def test_a_join_after_the_end_is_refused_as_not_joinable_not_for_the_credit(
    kit: SessionKit,
) -> None:
    kit.usage.subscribe(
        T, actor="admin", subscriber="student:ana", credits=1, starts=START - timedelta(days=2)
    )
    first, second = _lesson(kit, START, "a"), _lesson(kit, START + timedelta(hours=2), "b")
    for transition in ("ready", "start", "complete"):
        kit.sessions.fire(T, first.id, transition, actor="teacher")  # the month's only credit
    kit.attendance.record_presence(
        T, [_event(second, "e1", "student:ana", JOIN, second.start)], now=second.start
    )

    # 12 minutes after the end the clock completes the session (10 minutes): not joinable.
    with pytest.raises(JoinRefused) as refused:
        kit.attendance.join_credential(T, second.id, "student:ana", now=second.end + 12 * MIN)

    assert (refused.value.rule, refused.value.allows_at) == ("not_joinable", None)
    assert kit.queries.get(T, second.id).status == "ONGOING"


def test_the_room_keeper_takes_one_status_name_as_it_takes_several() -> None:
    rooms = FakeMeetingRooms()
    keeper = RoomKeeper(rooms, open_on="READY", close_on="COMPLETED")

    assert (keeper.open_on, keeper.close_on) == (frozenset({"READY"}), frozenset({"COMPLETED"}))
