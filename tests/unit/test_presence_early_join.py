"""A join long before the start does not start the session: only one inside the room's window.

The LMS preset has no READY: its ``start`` leaves SCHEDULED at any time, so a
student in the room the day before made the session CONDUCTING a day early,
where the teacher's report that someone was there is refused until the start
(``not_started``). Before the start a join fires the join transition only in
a status of ``JoinRules.joinable`` and no earlier than ``JoinRules.early``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import ActionRefused
from sessionkit.model import Session
from sessionkit.model.attendance import JOIN, LEAVE, PresenceEvent
from sessionkit.services.attendance import EARLY_JOIN, AttendancePolicy, attendance_facts
from sessionkit.services.rooms import JoinRules
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 3, 11, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _kit(join: JoinRules | None = None) -> SessionKit:
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(START - timedelta(days=1)),
        facts=attendance_facts(),
        attendance=AttendancePolicy(join=JoinRules() if join is None else join),
    )


def _session(kit: SessionKit, lifecycle: str = "lms", teacher: str = "teacher:t1") -> Session:
    return kit.sessions.create_extra(
        T,
        actor="t",
        start=START,
        end=START + 60 * MIN,
        lifecycle=lifecycle,
        capacity=3,
        resources=[teacher],
    )


def _event(session: Session, n: int, at: datetime, action: str = JOIN) -> PresenceEvent:
    return PresenceEvent(
        provider="meet",
        event_id=f"e{n}",
        session_id=session.id,
        participant="student:a",
        action=action,
        at=at,
    )


def test_an_lms_join_the_day_before_is_stored_and_starts_nothing() -> None:
    kit = _kit()
    s = _session(kit)
    day_before = START - timedelta(days=1)
    report = kit.attendance.record_presence(T, [_event(s, 1, day_before)], now=day_before)
    assert (report.recorded, report.started) == (1, ())
    assert kit.queries.get(T, s.id).status == "SCHEDULED"
    # As the teacher's word that someone was there is refused then.
    with pytest.raises(ActionRefused) as refused:
        kit.attendance.override(T, s.id, "student:a", status="present", actor="t1", now=day_before)
    assert (refused.value.rule, refused.value.allows_at) == ("not_started", START)


def test_an_lms_join_a_little_before_the_start_starts_it_then() -> None:
    # The teacher in the room from 10:58, and no presence heard after: nothing else would
    # start the lesson (the LMS has no timers), so the join does, as one at 11:00 would.
    kit = _kit()
    s, late = _session(kit), _session(kit, teacher="teacher:t2")
    joined = START - 2 * MIN
    report = kit.attendance.record_presence(T, [_event(s, 1, joined)], now=joined)
    assert [(x.id, x.status, x.updated_at) for x in report.started] == [
        (s.id, "CONDUCTING", joined)
    ]
    # The grace is EARLY_JOIN, 15 minutes; a join 16 minutes before starts nothing.
    assert EARLY_JOIN == 15 * MIN
    sooner = START - 16 * MIN
    assert kit.attendance.record_presence(T, [_event(late, 2, sooner)], now=sooner).started == ()
    assert kit.queries.get(T, late.id).status == "SCHEDULED"


def test_an_lms_join_at_the_start_starts_it_then() -> None:
    kit = _kit()
    s = _session(kit)
    report = kit.attendance.record_presence(T, [_event(s, 1, START)], now=START + 5 * MIN)
    assert [(x.status, x.updated_at) for x in report.started] == [("CONDUCTING", START + 5 * MIN)]
    assert kit.queries.get(T, s.id).status == "CONDUCTING"


def test_an_early_join_heard_after_the_start_starts_it_if_someone_is_there() -> None:
    kit = _kit()
    stays, left = _session(kit), _session(kit, teacher="teacher:t2")
    heard = START + 10 * MIN
    report = kit.attendance.record_presence(
        T,
        [
            _event(stays, 1, START - 2 * MIN),
            _event(left, 2, START - 3 * 60 * MIN),
            _event(left, 3, START - 2 * 60 * MIN, LEAVE),
        ],
        now=heard,
    )
    # Still in the room at the start: started when the batch was heard; a visit over hours
    # before the start is no stay in the session.
    assert [(x.id, x.status) for x in report.started] == [(stays.id, "CONDUCTING")]
    assert kit.queries.get(T, left.id).status == "SCHEDULED"


def test_a_join_inside_the_rooms_early_window_starts_the_session_early() -> None:
    kit = _kit(JoinRules(joinable={"SCHEDULED", "CONDUCTING"}, early=10 * MIN))
    s = _session(kit)
    first = kit.attendance.record_presence(
        T, [_event(s, 1, START - 20 * MIN)], now=START - 20 * MIN
    )
    assert first.started == ()
    # Still in the room when it opens: the next batch, inside the window, starts it.
    report = kit.attendance.record_presence(
        T,
        [_event(s, 2, START - 5 * MIN, LEAVE), _event(s, 3, START - 4 * MIN)],
        now=START - 4 * MIN,
    )
    assert [(x.status, x.updated_at) for x in report.started] == [("CONDUCTING", START - 4 * MIN)]


def test_an_academy_join_during_ready_still_starts_it_early() -> None:
    kit = _kit()
    s = _session(kit, "academy")
    report = kit.attendance.record_presence(T, [_event(s, 1, START - 5 * MIN)], now=START - 5 * MIN)
    assert [x.status for x in report.started] == ["ONGOING"]
