"""A join transition is dated when the join was, so a late delivery keeps the journal in order.

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
from sessionkit.model import Session
from sessionkit.model.attendance import JOIN, LEAVE, PresenceEvent
from sessionkit.ports import UnitOfWork
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionKit]:
    def make(uow: Callable[[], UnitOfWork]) -> SessionKit:
        return SessionKit(
            uow=uow,
            clock=ManualClock(START - timedelta(days=1)),
            facts=attendance_facts(),
            journal=True,
        )

    if request.param == "memory":
        yield make(InMemoryStore().unit_of_work)
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'joins.sqlite3'}")
    create_schema(engine)
    yield make(SqlAlchemyStore(engine).unit_of_work)
    engine.dispose()


def _lesson(kit: SessionKit) -> Session:
    """An academy lesson 17:00-17:45: READY at 16:45, COMPLETED at 17:55 once started."""
    made = kit.sessions.create_extra(
        T,
        actor="admin",
        start=START,
        end=START + 45 * MIN,
        lifecycle="academy",
        capacity=1,
        resources=["teacher:t1"],
    )
    kit.bookings.book(T, made.id, "student:ana", actor="admin", confirm=True)
    return made


def _join(
    kit: SessionKit, session: Session, at: datetime, *, heard: datetime, action: str = JOIN
) -> None:
    """Ana's ``action`` (a join) at ``at``, delivered by the provider at ``heard``."""
    event = PresenceEvent(
        provider="meet",
        event_id=f"{action}{at.isoformat()}",
        session_id=session.id,
        participant="student:ana",
        action=action,
        at=at,
    )
    kit.attendance.record_presence(T, [event], now=heard)


def _steps(kit: SessionKit, session: Session) -> list[tuple[str | None, datetime]]:
    """The session's status changes as the journal holds them, in its order."""
    return [
        (e.transition, e.at)
        for e in kit.journal.for_session(T, session.id)
        if e.event == "SessionStatusChanged"
    ]


def test_a_join_delivered_after_the_end_is_dated_at_the_join(kit: SessionKit) -> None:
    # The provider's webhook for a join at 17:02 arrives at 20:00; no tick ran meanwhile.
    lesson = _lesson(kit)
    _join(kit, lesson, START + 2 * MIN, heard=START + 3 * 60 * MIN)
    kit.advance_due(T, now=START + 3 * 60 * MIN + MIN)
    assert kit.queries.get(T, lesson.id).status == "COMPLETED"
    assert _steps(kit, lesson) == [
        ("ready", START - 15 * MIN),
        ("start", START + 2 * MIN),  # was 20:00, after the completion below
        ("complete", START + 55 * MIN),
    ]


def test_an_early_join_delivered_late_is_dated_when_ready_allowed_it(kit: SessionKit) -> None:
    # Joined at 16:40, before READY (16:45): the lesson started when it became READY.
    lesson = _lesson(kit)
    _join(kit, lesson, START - 20 * MIN, heard=START + 2 * 60 * MIN)
    kit.advance_due(T, now=START + 2 * 60 * MIN)
    assert _steps(kit, lesson) == [
        ("ready", START - 15 * MIN),
        ("start", START - 15 * MIN),
        ("complete", START + 55 * MIN),
    ]


def test_a_join_is_never_dated_before_the_sessions_last_change(kit: SessionKit) -> None:
    # The tick made the lesson READY at 16:50 (5 minutes late); a join at 16:46 heard at 16:51
    # comes after it in the journal, not before.
    lesson = _lesson(kit)
    kit.advance_due(T, now=START - 10 * MIN)
    _join(kit, lesson, START - 14 * MIN, heard=START - 9 * MIN)
    assert _steps(kit, lesson) == [("ready", START - 15 * MIN), ("start", START - 10 * MIN)]


def test_a_join_heard_on_time_is_dated_at_the_join(kit: SessionKit) -> None:
    lesson = _lesson(kit)
    kit.advance_due(T, now=START - 15 * MIN)
    _join(kit, lesson, START + 2 * MIN, heard=START + 2 * MIN + timedelta(seconds=4))
    assert _steps(kit, lesson)[-1] == ("start", START + 2 * MIN)
    assert kit.queries.get(T, lesson.id).status == "ONGOING"


def test_a_teachers_late_report_is_dated_at_the_start(kit: SessionKit) -> None:
    # No join was ever reported; the teacher says at 20:00 that Ana was there.
    lesson = _lesson(kit)
    kit.attendance.override(
        T, lesson.id, "student:ana", status="present", actor="teacher:t1", now=START + 3 * 60 * MIN
    )
    kit.advance_due(T, now=START + 3 * 60 * MIN)
    assert _steps(kit, lesson) == [
        ("ready", START - 15 * MIN),
        ("start", START),
        ("complete", START + 55 * MIN),
    ]


def test_a_join_before_ready_starts_the_lesson_when_the_clock_makes_it_ready(
    kit: SessionKit,
) -> None:
    # Ana is in the room from 16:40, before READY (16:45), heard at once: the join could
    # start nothing then, and no later join came, so the lesson stayed READY for good
    # (its ABSENT timer stopped by her being there), never completed nor counted.
    lesson = _lesson(kit)
    _join(kit, lesson, START - 20 * MIN, heard=START - 20 * MIN)
    assert kit.queries.get(T, lesson.id).status == "SCHEDULED"
    for minutes in (-15, 0, 30, 60):
        kit.advance_due(T, now=START + minutes * MIN)
    assert kit.queries.get(T, lesson.id).status == "COMPLETED"
    assert _steps(kit, lesson) == [
        ("ready", START - 15 * MIN),
        ("start", START - 15 * MIN),
        ("complete", START + 55 * MIN),
    ]


def test_a_microphone_test_before_ready_starts_nothing(kit: SessionKit) -> None:
    # In and out before the start is no stay in the lesson: it is ABSENT as before.
    lesson = _lesson(kit)
    _join(kit, lesson, START - 20 * MIN, heard=START - 20 * MIN)
    _join(kit, lesson, START - 18 * MIN, heard=START - 18 * MIN, action=LEAVE)
    kit.advance_due(T, now=START + 30 * MIN)
    assert [step for step, _ in _steps(kit, lesson)] == ["ready", "mark_absent"]
