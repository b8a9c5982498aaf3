"""RoomKeeper closes the room of a deleted session.

It followed status changes only, and a delete changes no status: a room
ensured before the delete (a tutor's join credential for an editable slot,
a coaching call joinable while SCHEDULED) stayed open at the provider for
good, deleted one by one or by the cleanup of unbooked slots.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import MeetingRoomsError, SessionNotFound
from sessionkit.model.events import DomainEvent, SessionDeleted
from sessionkit.model.session import ResourceRef, Session
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.services.rooms import JoinRules, RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
TUTOR = ResourceRef("provider", "tim")


class _Recorded:
    """The app's own publisher: what the keeper passed on."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)


def _kit(rooms: FakeMeetingRooms, lifecycle: str) -> tuple[SessionKit, Session]:
    """A kit whose rooms follow it, and a session of ``lifecycle`` joinable while editable."""
    counter = itertools.count(1)
    joinable = {"OPEN", "IN_PROGRESS"} if lifecycle == "marketplace" else {"SCHEDULED"}
    kit = SessionKit(
        uow=InMemoryStore(publisher=RoomKeeper(rooms, then=_Recorded())).unit_of_work,
        clock=ManualClock(START - timedelta(days=1)),
        ids=lambda: f"s{next(counter)}",
        facts=attendance_facts(),
        attendance=AttendancePolicy(
            join=JoinRules(joinable=joinable, early=timedelta(minutes=10)), join_transition=None
        ),
        rooms=rooms,
    )
    session = kit.sessions.create_extra(
        T,
        actor="tim",
        title="Slot",
        start=START,
        end=START + timedelta(hours=1),
        lifecycle=lifecycle,
        capacity=1,
        resources=[TUTOR],
    )
    return kit, session


def test_a_deleted_coaching_call_closes_the_room_its_credential_opened() -> None:
    rooms = FakeMeetingRooms()
    kit, call = _kit(rooms, "coaching")
    kit.attendance.join_credential(T, call.id, TUTOR, now=START - timedelta(minutes=5))
    assert rooms.is_open(T, call.id)
    deleted = kit.sessions.delete(T, call.id, actor="tim")
    assert deleted.status == "SCHEDULED"
    assert not rooms.is_open(T, call.id)
    assert rooms.calls[-1] == ("close", T, call.id)


def test_the_cleanup_of_unbooked_slots_closes_their_rooms() -> None:
    rooms = FakeMeetingRooms()
    kit, slot = _kit(rooms, "marketplace")
    kit.attendance.join_credential(T, slot.id, TUTOR, now=START)  # the tutor waited: nobody came
    rooms.join(T, slot.id, TUTOR, at=START)
    clock = kit.context.clock
    assert isinstance(clock, ManualClock)
    clock.set(START + timedelta(hours=2))  # the slot is over: only then is it cleaned up
    report = kit.bookings.remove_unbooked(T, actor="cron")
    assert [s.id for s in report.removed] == [slot.id]
    assert not rooms.is_open(T, slot.id)
    assert [(e.action, e.at) for e in rooms.drain()] == [
        ("join", START),
        ("leave", START + timedelta(hours=1)),  # the fake has no clock: its end
    ]


def test_a_failed_close_after_a_delete_names_the_delete() -> None:
    class _Down(FakeMeetingRooms):
        def close_room(self, *, tenant: str, session_id: str, at: datetime | None = None) -> None:
            raise ConnectionError("provider down")

    rooms = _Down()
    kit, call = _kit(rooms, "coaching")
    kit.attendance.join_credential(T, call.id, TUTOR, now=START - timedelta(minutes=5))
    with pytest.raises(MeetingRoomsError) as failed:
        kit.sessions.delete(T, call.id, actor="tim")
    error = failed.value
    assert (error.operation, error.status, error.deleted) == ("close_room", "SCHEDULED", True)
    assert "was deleted (stored)" in str(error)
    assert "entered" not in str(error)
    with pytest.raises(SessionNotFound):  # the delete stands
        kit.queries.get(T, call.id)


def test_a_deleted_event_is_passed_on_and_closes_nothing_twice() -> None:
    rooms = FakeMeetingRooms()
    recorded = _Recorded()
    keeper = RoomKeeper(rooms, then=recorded)
    _, call = _kit(rooms, "coaching")
    rooms.ensure_room(tenant=T, session_id=call.id, span=call.span)
    event = SessionDeleted(tenant=T, actor=None, at=START, session=call)
    keeper.publish([event])
    keeper.publish([event])  # replayed: the room is closed already
    assert not rooms.is_open(T, call.id)
    assert recorded.events == [event, event]
    assert rooms.calls[-2:] == [("close", T, call.id), ("close", T, call.id)]
