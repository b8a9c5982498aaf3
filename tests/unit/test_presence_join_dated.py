"""A join transition is dated when the join was, so a late delivery keeps the journal in order.

On the in-memory store and on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Timer, Transition
from sessionkit.model import Session
from sessionkit.model.attendance import JOIN, LEAVE, PresenceEvent
from sessionkit.ports import UnitOfWork
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms

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


def _lesson(kit: SessionKit, start: datetime = START) -> Session:
    """An academy lesson 17:00-17:45: READY at 16:45, COMPLETED at 17:55 once started."""
    made = kit.sessions.create_extra(
        T,
        actor="admin",
        start=start,
        end=start + 45 * MIN,
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
    kit.attendance.record_presence(T, _events(session, (action, at)), now=heard)


def _events(session: Session, *moves: tuple[str, datetime]) -> list[PresenceEvent]:
    """Ana's ``(action, at)`` moves in ``session``, as one batch of provider events."""
    return [
        PresenceEvent(
            provider="meet",
            event_id=f"{action}{at.isoformat()}",
            session_id=session.id,
            participant="student:ana",
            action=action,
            at=at,
        )
        for action, at in moves
    ]


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


def test_a_microphone_test_before_ready_heard_late_starts_nothing(kit: SessionKit) -> None:
    # The same test, in and out by 16:42, delivered in one batch at 17:01 before any tick:
    # the batch made the lesson READY and fired its start, so it was held (COMPLETED) with
    # nobody in it, where heard on time it became ABSENT.
    lesson = _lesson(kit)
    events = _events(lesson, (JOIN, START - 20 * MIN), (LEAVE, START - 18 * MIN))
    report = kit.attendance.record_presence(T, events, now=START + MIN)
    assert (report.recorded, report.started) == (2, ())
    assert kit.queries.get(T, lesson.id).status == "SCHEDULED"
    kit.advance_due(T, now=START + 30 * MIN)
    assert [step for step, _ in _steps(kit, lesson)] == ["ready", "mark_absent"]


def test_a_microphone_test_before_ready_heard_after_it_starts_nothing(kit: SessionKit) -> None:
    # In and out by 16:42, delivered at 16:50, after the tick stored READY (16:45): the join
    # was dated at READY's write and fired the start, so the lesson ran ONGOING with nobody
    # in it, where heard on time it became ABSENT.
    lesson = _lesson(kit)
    kit.advance_due(T, now=START - 15 * MIN)
    report = kit.attendance.record_presence(
        T,
        _events(lesson, (JOIN, START - 20 * MIN), (LEAVE, START - 18 * MIN)),
        now=START - 10 * MIN,
    )
    assert (report.recorded, report.started) == (2, ())
    assert kit.queries.get(T, lesson.id).status == "READY"
    kit.advance_due(T, now=START + 30 * MIN)
    assert [step for step, _ in _steps(kit, lesson)] == ["ready", "mark_absent"]


def _memory_kit(*, facts: bool = True, **options: Any) -> SessionKit:
    clock = ManualClock(START - timedelta(days=1))
    uow = InMemoryStore().unit_of_work
    provider = attendance_facts() if facts else None
    return SessionKit(uow=uow, clock=clock, facts=provider, journal=True, **options)


def test_a_join_credential_asked_before_the_ready_tick_starts_a_lesson_someone_is_in() -> None:
    # A credential asked at 16:46 advances the lesson to READY itself, before the tick: with
    # Ana in since 16:40, it stored READY and the tick then found no step due, for good.
    kit = _memory_kit(rooms=FakeMeetingRooms())
    lesson = _lesson(kit)
    _join(kit, lesson, START - 20 * MIN, heard=START - 20 * MIN)
    kit.attendance.join_credential(T, lesson.id, "student:ana", now=START - 14 * MIN)
    assert kit.queries.get(T, lesson.id).status == "ONGOING"
    kit.advance_due(T, now=START + 60 * MIN)
    assert [step for step, _ in _steps(kit, lesson)] == ["ready", "start", "complete"]


@pytest.mark.parametrize("facts", [True, False], ids=["kit-facts", "no-kit-facts"])
def test_a_lifecycle_with_no_fact_reading_timer_starts_a_lesson_someone_is_in(facts: bool) -> None:
    # With no timed condition ahead nothing asked for the facts, so the rule never saw Ana;
    # a kit with no facts of its own reads the stored attendance, as a join's path does.
    plain = Lifecycle(
        "plain",
        statuses=[
            Status("SCHEDULED", initial=True, busy=True, editable=True),
            Status("READY", busy=True),
            Status("ONGOING", busy=True),
            Status("COMPLETED", terminal=True, busy=True),
            Status("CANCELLED", terminal=True, cancelled=True),
        ],
        transitions=[
            Transition("ready", "SCHEDULED", "READY", timer=Timer.before_start(15 * MIN)),
            Transition("start", "READY", "ONGOING"),
            Transition("complete", "ONGOING", "COMPLETED", timer=Timer.after_end(10 * MIN)),
            Transition("cancel", ["SCHEDULED", "READY", "ONGOING"], "CANCELLED"),
        ],
    )
    kit = _memory_kit(facts=facts, lifecycles=PRESETS.with_lifecycle(plain))
    lesson = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + 45 * MIN, lifecycle="plain", capacity=1
    )
    _join(kit, lesson, START - 20 * MIN, heard=START - 20 * MIN)
    kit.advance_due(T, now=START + 60 * MIN)
    assert _steps(kit, lesson) == [
        ("ready", START - 15 * MIN),
        ("start", START - 15 * MIN),
        ("complete", START + 55 * MIN),
    ]


def test_a_refused_completion_keeps_the_steps_before_it_the_join_included() -> None:
    # Completing makes the lesson busy while its teacher is busy elsewhere, and Ana came
    # early. One late tick: completing is refused (a conflict), and the steps before it are
    # stored on their own as a tick at each would have (READY, then ONGOING for her being
    # there); the cut chain lost the join's and stored none. (A credit over the limit was the
    # refusal here: the clock is no longer refused for credits.)
    gated = Lifecycle(
        "gated",
        statuses=[
            Status("SCHEDULED", initial=True, editable=True),
            Status("READY"),
            Status("ONGOING"),
            Status("COMPLETED", terminal=True, busy=True),
            Status("CANCELLED", terminal=True, cancelled=True),
        ],
        transitions=[
            Transition("ready", "SCHEDULED", "READY", timer=Timer.before_start(15 * MIN)),
            Transition("start", "READY", "ONGOING"),
            Transition("complete", "ONGOING", "COMPLETED", timer=Timer.after_end(10 * MIN)),
            Transition("cancel", ["SCHEDULED", "READY", "ONGOING"], "CANCELLED"),
        ],
    )
    kit = _memory_kit(lifecycles=PRESETS.with_lifecycle(gated))
    made = [
        kit.sessions.create_extra(
            T,
            actor="admin",
            start=START,
            end=START + 45 * MIN,
            lifecycle=lifecycle,
            resources=["teacher:t1"],
        )
        for lifecycle in ("lms", "gated")  # first the teacher's other session (no timers)
    ]
    lesson = made[1]
    _join(kit, lesson, START - 20 * MIN, heard=START - 20 * MIN)
    report = kit.tick(T, now=START + 80 * MIN)
    assert [type(f.error).__name__ for f in report.failed] == ["SessionConflict"]
    assert kit.queries.get(T, lesson.id).status == "ONGOING"
    assert _steps(kit, lesson) == [("ready", START - 15 * MIN), ("start", START - 15 * MIN)]
