"""FakeMeetingRooms never issues an ``ev<n>`` id an event given its own id already has.

It numbered its own ids from a count of them alone: after ``join(..., event_id="ev1")`` the
next join was given ``"ev1"`` too, and ``record_presence`` took it for a repeat of the first
and dropped it (a provider never sends two events under one id).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.attendance import JOIN, LEAVE
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

_START = datetime(2026, 3, 2, 17, tzinfo=UTC)
_SPAN = TimeSpan(_START, _START + timedelta(hours=1))


def _rooms() -> FakeMeetingRooms:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=_SPAN)
    return rooms


def test_an_id_given_is_not_issued_again() -> None:
    rooms = _rooms()
    rooms.join("acme", "s1", "student:ana", at=_START, event_id="ev1")
    rooms.join("acme", "s1", "student:ben", at=_START)
    rooms.join("acme", "s1", "student:cy", at=_START, event_id="ev3")
    rooms.join("acme", "s1", "student:cy", at=_START)  # a second device
    rooms.close_room(tenant="acme", session_id="s1", at=_START + timedelta(minutes=30))
    events = [(e.event_id, str(e.participant), e.action) for e in rooms.drain()]
    assert events == [
        ("ev1", "student:ana", JOIN),
        ("ev2", "student:ben", JOIN),
        ("ev3", "student:cy", JOIN),
        ("ev4", "student:cy", JOIN),
        ("ev5", "student:ana", LEAVE),
        ("ev6", "student:ben", LEAVE),
        ("ev7", "student:cy", LEAVE),
        ("ev8", "student:cy", LEAVE),
    ]


def test_an_id_given_twice_is_still_a_repeat() -> None:
    rooms = _rooms()
    rooms.join("acme", "s1", "student:ana", at=_START, event_id="ev1")
    rooms.leave("acme", "s1", "student:ana", at=_START, event_id="ev1")
    assert [e.event_id for e in rooms.drain()] == ["ev1", "ev1"]


def test_every_join_is_recorded() -> None:
    rooms = _rooms()
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(_START))
    lesson = kit.sessions.create_extra(
        "acme",
        actor="tara",
        title="Hifz",
        start=_START,
        end=_SPAN.end,
        lifecycle="lms",
        capacity=4,
        resources=["teacher:tara"],
    )
    rooms.ensure_room(tenant="acme", session_id=lesson.id, span=_SPAN)
    rooms.join("acme", lesson.id, "teacher:tara", at=_START, event_id="ev1")
    rooms.join("acme", lesson.id, "student:ana", at=_START + timedelta(minutes=1))
    report = kit.attendance.record_presence("acme", rooms.drain(), now=_START)
    assert (report.recorded, report.duplicates) == (2, 0)
    joined = sorted(str(p.participant) for p in kit.attendance.presence("acme", lesson.id))
    assert joined == ["student:ana", "teacher:tara"]
