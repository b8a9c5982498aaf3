"""FakeMeetingRooms.leave of someone not inside queues no event, as a provider reports none.

It queued a leave (and took an ``ev<n>`` id) for a participant who never joined, who had
left already, or whom closing the room had sent out, and in a room never ensured: a
provider sends no leave without a join, so a test fed presence no provider would send.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue
from sessionkit.model.attendance import JOIN, LEAVE
from sessionkit.model.session import ResourceRef
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)
ANA = ResourceRef("student", "ana")
BEN = ResourceRef("student", "ben")


def _rooms() -> FakeMeetingRooms:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=TimeSpan(START, START + 60 * MIN))
    return rooms


def _events(rooms: FakeMeetingRooms) -> list[tuple[str, str, str, int]]:
    drained = rooms.drain()
    return [(e.event_id, str(e.participant), e.action, (e.at - START) // MIN) for e in drained]


def test_a_leave_of_someone_who_never_joined_queues_nothing() -> None:
    rooms = _rooms()
    rooms.join("acme", "s1", ANA, at=START)
    rooms.leave("acme", "s1", BEN, at=START + 5 * MIN)
    rooms.leave("acme", "s1", ANA, at=START + 10 * MIN)
    assert _events(rooms) == [
        ("ev1", "student:ana", JOIN, 0),
        ("ev2", "student:ana", LEAVE, 10),  # the next id: Ben's leave took none
    ]
    assert rooms.inside("acme", "s1") == frozenset()


def test_a_second_leave_without_a_second_join_queues_nothing() -> None:
    rooms = _rooms()
    rooms.join("acme", "s1", ANA, at=START)
    rooms.leave("acme", "s1", ANA, at=START + 10 * MIN)
    rooms.leave("acme", "s1", ANA, at=START + 20 * MIN, event_id="again")
    assert _events(rooms) == [("ev1", "student:ana", JOIN, 0), ("ev2", "student:ana", LEAVE, 10)]


def test_a_leave_after_the_close_sent_them_out_queues_nothing() -> None:
    rooms = _rooms()
    rooms.join("acme", "s1", ANA, at=START)
    rooms.close_room(tenant="acme", session_id="s1", at=START + 40 * MIN)
    rooms.leave("acme", "s1", ANA, at=START + 50 * MIN)
    assert _events(rooms) == [("ev1", "student:ana", JOIN, 0), ("ev2", "student:ana", LEAVE, 40)]


def test_a_leave_in_a_room_never_ensured_or_of_another_tenant_queues_nothing() -> None:
    rooms = _rooms()
    rooms.join("acme", "s1", ANA, at=START)
    rooms.drain()
    rooms.leave("acme", "s2", ANA, at=START + 5 * MIN)
    rooms.leave("globex", "s1", ANA, at=START + 5 * MIN)
    assert rooms.drain() == []
    assert rooms.inside("acme", "s1") == frozenset({ANA})


def test_a_leave_of_someone_not_inside_is_still_checked() -> None:
    # Refused as before, inside or not: a bad instant is the test's mistake either way.
    rooms = _rooms()
    with pytest.raises(InvalidValue, match="timezone-aware"):
        rooms.leave("acme", "s1", BEN, at=datetime(2026, 3, 2, 17, 5))  # naive on purpose
    with pytest.raises(InvalidValue):
        rooms.leave("acme", "s1", BEN, at=START, event_id="")
