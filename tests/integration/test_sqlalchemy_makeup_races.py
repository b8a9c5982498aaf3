"""Racing makeup marks and first joins on SQL storage.

- 8 writers at once mark 8 different lessons as the makeup of one cancelled
  lesson: one mark stands, every other writer is refused with
  ``InvalidValue`` (already made up), and the pair is charged one credit.
- 8 first joins of 8 different students of one READY circle at once: every
  join is stored, and the circle is started once.

Writers are 8 threads, or 8 forked processes; engines as in ``conftest.py``.
``SESSIONKIT_RACE_ROUNDS`` sets the rounds per test (default 2).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import ConcurrentModification, InvalidValue
from sessionkit.model.attendance import JOIN, PresenceEvent
from sessionkit.model.usage import MADE_UP_BY_FIELD, MAKEUP_FIELD
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock

from ._racing import WRITER_KINDS, WRITERS, race, rounds, scalar

ROUNDS = rounds(2)
T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _kit(engine: Engine) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work,
        clock=ManualClock(NOW),
        facts=attendance_facts(),
    )


def _lesson(kit: SessionKit, hours: int, student: str, *, capacity: int = 1) -> str:
    start = NOW + timedelta(hours=hours)
    session = kit.sessions.create_extra(
        T,
        actor="admin",
        start=start,
        end=start + timedelta(minutes=45),
        resources=[f"teacher:t{hours}"],
        lifecycle="academy",
        capacity=capacity,
        title="Quran",
    )
    kit.bookings.book(T, session.id, student, actor="admin", confirm=True)
    return session.id


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_racing_marks_of_one_cancelled_lesson_leave_one_makeup(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine)
    for n in range(ROUNDS):
        student = f"student:s{n}"
        plan = kit.usage.subscribe(
            T, actor="admin", subscriber=student, credits=100, per="total", starts=NOW
        )
        base = 100 * (n + 1)
        cancelled = _lesson(kit, base, student)
        kit.sessions.cancel(T, cancelled, actor="admin")
        makeups = [_lesson(kit, base + 1 + w, student) for w in range(WRITERS)]

        def mark(w: int, makeups: list[str] = makeups, cancelled: str = cancelled) -> str:
            try:
                kit.usage.mark_makeup(T, makeups[w], replaces=cancelled, actor=f"w{w}")
            except InvalidValue:
                return "refused"
            except ConcurrentModification:
                return "conflict"
            return "marked"

        outcomes = race(mark, race_engine, writers=WRITERS, processes=processes)
        assert not [o for o in outcomes if o.startswith("error")], outcomes
        assert sorted(outcomes) == ["marked"] + ["refused"] * (WRITERS - 1), outcomes
        winner = makeups[outcomes.index("marked")]
        marked = [s for s in makeups if kit.queries.get(T, s).metadata.get(MAKEUP_FIELD)]
        assert marked == [winner], (outcomes, marked)
        assert kit.queries.get(T, cancelled).metadata[MADE_UP_BY_FIELD] == winner
        for session_id in makeups:
            for transition in ("ready", "start", "complete"):
                kit.sessions.fire(T, session_id, transition, actor="teacher")
        # The winner is charged as the cancelled lesson, the others as themselves.
        assert kit.usage.balance(T, plan.id).used == WRITERS
        [entry] = kit.usage.entries(T, session_id=cancelled)
        assert (entry.used_by, entry.active) == (winner, True)


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_first_joins_of_different_students_at_once_start_the_circle_once(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine)
    for n in range(ROUNDS):
        start = NOW + timedelta(hours=10 * (n + 1))
        circle = kit.sessions.create_extra(
            T,
            actor="admin",
            start=start,
            end=start + timedelta(hours=1),
            resources=[f"teacher:c{n}"],
            lifecycle="academy",
            capacity=WRITERS,
            title="Circle",
        )
        kit.advance_due(T, now=start - timedelta(minutes=15))
        assert kit.queries.get(T, circle.id).status == "READY"

        def join(w: int, circle_id: str = circle.id, start: datetime = start) -> str:
            event = PresenceEvent(
                provider="meet",
                event_id=f"join-{circle_id}-{w}",
                session_id=circle_id,
                participant=f"student:s{w}",
                action=JOIN,
                at=start + timedelta(seconds=w),
            )
            report = kit.attendance.record_presence(T, [event], now=start + timedelta(minutes=1))
            return f"recorded={report.recorded} started={len(report.started)}"

        outcomes = race(join, race_engine, writers=WRITERS, processes=processes)
        assert not [o for o in outcomes if o.startswith("error")], outcomes
        assert sorted(outcomes) == ["recorded=1 started=0"] * (WRITERS - 1) + [
            "recorded=1 started=1"
        ], outcomes
        assert kit.queries.get(T, circle.id).status == "ONGOING"
        stored = scalar(
            race_engine,
            "SELECT count(*) FROM sessionkit_presence WHERE session_id = :s",
            s=circle.id,
        )
        assert stored == WRITERS
