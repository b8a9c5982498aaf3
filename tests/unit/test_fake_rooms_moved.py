"""FakeMeetingRooms and a session moved after its room was ensured.

A room closed without an instant (``RoomKeeper`` gives none, and the fake had
no clock) closed at the end of the span it was *first* ensured with: a session
moved to the next day had its participants' leave events dated the day
before their joins, and its attendance read as ``left_early``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

MONDAY = datetime(2026, 3, 2, 17, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def _span(start: datetime) -> TimeSpan:
    return TimeSpan(start, start + timedelta(hours=1))


def test_a_room_ensured_again_for_a_moved_session_closes_at_its_new_end() -> None:
    rooms = FakeMeetingRooms()
    first = rooms.ensure_room(tenant="acme", session_id="s1", span=_span(MONDAY))
    # Moved to Tuesday; the next credential ensures the room with the new time.
    again = rooms.ensure_room(tenant="acme", session_id="s1", span=_span(TUESDAY))
    assert again == first
    assert rooms.created == 1
    rooms.join("acme", "s1", "student:ana", at=TUESDAY)
    rooms.close_room(tenant="acme", session_id="s1")
    assert [(e.action, e.at) for e in rooms.drain()] == [
        ("join", TUESDAY),
        ("leave", TUESDAY + timedelta(hours=1)),
    ]


def test_a_closed_room_keeps_its_span() -> None:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=_span(MONDAY))
    rooms.close_room(tenant="acme", session_id="s1")
    rooms.ensure_room(tenant="acme", session_id="s1", span=_span(TUESDAY))
    assert not rooms.is_open("acme", "s1")  # never opened again, nor moved
