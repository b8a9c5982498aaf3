"""The harness takes the kit's attendance parts: facts, rooms, the policy and session codes.

It took none of them: an academy 1:1 lesson nobody joined failed ``MissingFact`` at every
tick, ``join_credential`` said "pass SessionKit(rooms=...)", and no session had a code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessionkit import SessionCodes
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.services.rooms import JoinRules
from sessionkit.testing.harness import Harness
from sessionkit.testing.rooms import FakeMeetingRooms

_START = datetime(2026, 3, 2, 17, tzinfo=UTC)


def _lesson(h: Harness, capacity: int = 1) -> str:
    made = h.kit.sessions.create_extra(
        "acme",
        actor="tara",
        title="Tajweed",
        start=_START,
        end=_START + timedelta(hours=1),
        lifecycle="academy",
        capacity=capacity,
        resources=["teacher:tara"],
    )
    return made.id


def test_a_lesson_nobody_joined_is_absent_with_the_attendance_facts() -> None:
    h = Harness.in_memory(_START - timedelta(days=1), facts=attendance_facts())
    lesson = _lesson(h)
    report = h.kit.advance_due("acme", now=_START + timedelta(minutes=15))
    assert [(s.id, s.status) for s in report.advanced] == [(lesson, "ABSENT")]
    assert report.failed == ()


def test_rooms_follow_the_lifecycle_and_let_the_teacher_in() -> None:
    rooms = FakeMeetingRooms()
    h = Harness.in_memory(_START - timedelta(days=1), facts=attendance_facts(), rooms=rooms)
    lesson = _lesson(h, capacity=4)
    h.kit.advance_due("acme", now=_START - timedelta(minutes=15))
    assert rooms.is_open("acme", lesson)
    credential = h.kit.attendance.join_credential(
        "acme", lesson, "teacher:tara", now=_START - timedelta(minutes=5)
    )
    assert credential.token == f"token-room-acme-{lesson}-teacher:tara-teacher"
    h.kit.sessions.cancel("acme", lesson, actor="tara")
    assert not rooms.is_open("acme", lesson)
    # The events still reach the harness's recording publisher.
    assert [type(e).__name__ for e in h.events.events] == [
        "SessionCreated",
        "SessionStatusChanged",
        "SessionCanceled",
    ]


def test_the_policy_and_the_codes_reach_the_kit() -> None:
    policy = AttendancePolicy(join=JoinRules(buffer=timedelta(minutes=5)))
    h = Harness.in_memory(
        _START - timedelta(days=1), attendance=policy, codes=SessionCodes(prefix="QSE")
    )
    lesson = _lesson(h)
    assert h.kit.attendance.policy is policy
    assert h.kit.usage.code_of("acme", lesson) == "QSE-acme-000001"
