"""The fake meeting provider plays a participant on two devices as two connections.

It kept one "inside" flag per participant: a second join while inside, then
one leave, put them out, and closing the room queued a single leave, while
the join it had queued for the second device kept that connection open in
the derived attendance, to the lesson's end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.attendance import JOIN, LEAVE
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_a_participant_on_two_devices_is_inside_until_both_left() -> None:
    rooms = FakeMeetingRooms()
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(START - timedelta(days=1)))
    lesson = kit.sessions.create_extra(
        T, actor="t", title="Maths", start=START, end=START + timedelta(hours=1),
        lifecycle="lms", capacity=4,
    )  # fmt: skip
    rooms.ensure_room(tenant=T, session_id=lesson.id, span=lesson.span)
    rooms.join(T, lesson.id, "student:ana", at=START)  # the phone
    rooms.join(T, lesson.id, "student:ana", at=START + 10 * MIN)  # the laptop
    rooms.leave(T, lesson.id, "student:ana", at=START + 20 * MIN)  # the phone
    assert [str(p) for p in rooms.inside(T, lesson.id)] == ["student:ana"]
    rooms.close_room(tenant=T, session_id=lesson.id, at=START + 40 * MIN)
    events = rooms.drain()
    assert [(e.action, int((e.at - START) / MIN)) for e in events] == [
        (JOIN, 0),
        (JOIN, 10),
        (LEAVE, 20),
        (LEAVE, 40),
    ]
    kit.attendance.record_presence(T, events, now=START + 40 * MIN)
    [ana] = kit.attendance.for_session(T, lesson.id, as_of=START + timedelta(hours=2))
    assert ana.minutes == 40
    rooms.ensure_room(tenant=T, session_id="s2", span=lesson.span)
    rooms.join(T, "s2", "student:ben", at=START)
    rooms.join(T, "s2", "student:ben", at=START + MIN)
    rooms.close_room(tenant=T, session_id="s2", at=START + 30 * MIN)
    closing = [e for e in rooms.drain() if e.action == LEAVE]
    assert len(closing) == 2  # one per connection still open
    assert len({e.event_id for e in closing}) == 2
    assert rooms.inside(T, "s2") == frozenset()
