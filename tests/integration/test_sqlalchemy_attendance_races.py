"""Racing presence deliveries and ticks on SQL storage.

- The same presence event delivered 8 times at once (a join): one row stored,
  the session made ONGOING once (one ``start`` event), every delivery answered
  without an error.
- 8 ticks at once on an individual lesson nobody joined: ABSENT once, one
  ``mark_absent`` event, its room closed.

Writers are 8 threads, or 8 forked processes; engines as in ``conftest.py``.
``SESSIONKIT_RACE_ROUNDS`` sets the rounds per test (default 2).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.model.attendance import JOIN, PresenceEvent
from sessionkit.model.events import SessionStatusChanged
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._racing import WRITER_KINDS, WRITERS, race, rounds, scalar

ROUNDS = rounds(2)
T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _kit(engine: Engine, events: RecordingPublisher | None = None) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine, publisher=events).unit_of_work,
        clock=ManualClock(START - timedelta(days=1)),
        facts=attendance_facts(),
    )


def _ready_lesson(kit: SessionKit, round_: int) -> str:
    start = START + timedelta(hours=2 * round_)
    session = kit.sessions.create_extra(
        T,
        actor="tara",
        start=start,
        end=start + timedelta(hours=1),
        resources=["teacher:tara"],
        lifecycle="academy",
        capacity=1,
        title="Quran",
    )
    kit.advance_due(T, now=start - 15 * MIN)
    assert kit.queries.get(T, session.id).status == "READY"
    return session.id


def _transitions(engine: Engine, session_id: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT status FROM sessionkit_sessions WHERE id = :i"), {"i": session_id}
            ).scalar_one()
        )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_one_presence_event_delivered_eight_times_at_once_is_stored_once(
    race_engine: Engine, processes: bool
) -> None:
    setup = _kit(race_engine)
    for round_ in range(ROUNDS):
        session_id = _ready_lesson(setup, round_)
        joined = START + timedelta(hours=2 * round_)
        event = PresenceEvent(
            provider="meet",
            event_id=f"join-{round_}",
            session_id=session_id,
            participant="student:ana",
            action=JOIN,
            at=joined,
        )
        events = RecordingPublisher()
        kit = _kit(race_engine, events)

        def deliver(_n: int, kit: SessionKit = kit, event: PresenceEvent = event) -> str:
            report = kit.attendance.record_presence(T, [event], now=event.at)
            return f"recorded={report.recorded} started={len(report.started)}"

        outcomes = race(deliver, race_engine, writers=WRITERS, processes=processes)
        assert sorted(outcomes) == ["recorded=0 started=0"] * (WRITERS - 1) + [
            "recorded=1 started=1"
        ], outcomes
        assert (
            scalar(
                race_engine,
                "SELECT count(*) FROM sessionkit_presence WHERE session_id = :s",
                s=session_id,
            )
            == 1
        )
        assert _transitions(race_engine, session_id) == "ONGOING"
        if not processes:
            starts = [
                e
                for e in events.events
                if isinstance(e, SessionStatusChanged) and e.change.transition == "start"
            ]
            assert len(starts) == 1


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_racing_ticks_mark_an_unattended_lesson_absent_once(
    race_engine: Engine, processes: bool
) -> None:
    setup = _kit(race_engine)
    for round_ in range(ROUNDS):
        session_id = _ready_lesson(setup, round_)
        due = START + timedelta(hours=2 * round_) + 15 * MIN
        events = RecordingPublisher()
        kit = _kit(race_engine, events)

        def tick(_n: int, kit: SessionKit = kit, due: datetime = due) -> str:
            report = kit.advance_due(T, now=due)
            return f"advanced={[s.status for s in report.advanced]}"

        outcomes = race(tick, race_engine, writers=WRITERS, processes=processes)
        assert outcomes.count("advanced=['ABSENT']") == 1, outcomes
        assert outcomes.count("advanced=[]") == WRITERS - 1, outcomes
        assert _transitions(race_engine, session_id) == "ABSENT"
        if not processes:
            absents = [
                e
                for e in events.events
                if isinstance(e, SessionStatusChanged) and e.change.transition == "mark_absent"
            ]
            assert len(absents) == 1


def test_racing_overrides_of_one_student_leave_one_report(race_engine: Engine) -> None:
    kit = _kit(race_engine)
    session_id = _ready_lesson(kit, 0)
    statuses = ["present", "late", "absent", "partial"]

    def report(n: int) -> str:
        told = kit.attendance.override(
            T, session_id, "student:ana", status=statuses[n % 4], actor=f"t{n}", now=START + MIN
        )
        return "ok" if told.override is not None else "none"

    assert race(report, race_engine, writers=WRITERS, processes=False) == ["ok"] * WRITERS
    assert (
        scalar(
            race_engine,
            "SELECT count(*) FROM sessionkit_attendance_overrides WHERE session_id = :s",
            s=session_id,
        )
        == 1
    )
    [ana] = kit.attendance.for_session(T, session_id)
    assert ana.override is not None
    assert ana.override.version == WRITERS  # every report landed, one after another
