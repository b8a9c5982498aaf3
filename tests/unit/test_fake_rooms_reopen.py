"""FakeMeetingRooms.reopen_room, and RoomKeeper, which never calls it.

A closed room was final, so a lesson corrected back out of CANCELLED or
COMPLETED could never be joined again; a join credential now reopens it
through the optional ``reopen_room`` (``ReopeningRooms``), which the fake
has (tests/unit/test_join_credential_reopen.py). The keeper reads no store:
a correction's event delivered again after a later cancel must open nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue, MeetingRoomsError, WrongType
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.events import SessionStatusChanged
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import ReopeningRooms, Room
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
MONDAY = datetime(2026, 3, 2, 17, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def _span(start: datetime) -> TimeSpan:
    return TimeSpan(start, start + timedelta(hours=1))


def test_a_closed_room_opens_again_empty_with_the_new_span() -> None:
    rooms: ReopeningRooms = FakeMeetingRooms()  # checked by mypy
    assert isinstance(rooms, FakeMeetingRooms)
    room = rooms.ensure_room(tenant=T, session_id="s1", span=_span(MONDAY))
    rooms.join(T, "s1", "student:ana", at=MONDAY)
    rooms.close_room(tenant=T, session_id="s1", at=MONDAY + timedelta(minutes=30))
    rooms.reopen_room(tenant=T, session_id="s1", span=_span(TUESDAY))
    assert rooms.is_open(T, "s1")
    assert rooms.inside(T, "s1") == frozenset()
    assert rooms.ensure_room(tenant=T, session_id="s1", span=_span(TUESDAY)) == room
    assert rooms.created == 1
    rooms.join(T, "s1", "student:ana", at=TUESDAY)
    rooms.close_room(tenant=T, session_id="s1")  # no clock: at the end of the new span
    assert [(e.action, e.at) for e in rooms.drain()][-2:] == [
        ("join", TUESDAY),
        ("leave", TUESDAY + timedelta(hours=1)),
    ]


def test_reopening_an_open_or_absent_room_does_nothing() -> None:
    rooms = FakeMeetingRooms()
    rooms.reopen_room(tenant=T, session_id="none", span=_span(MONDAY))
    assert not rooms.is_open(T, "none")
    assert rooms.created == 0
    rooms.ensure_room(tenant=T, session_id="s1", span=_span(MONDAY))
    rooms.join(T, "s1", "student:ana", at=MONDAY)
    rooms.reopen_room(tenant=T, session_id="s1", span=_span(TUESDAY))
    assert rooms.inside(T, "s1") == {ResourceRef("student", "ana")}
    rooms.close_room(tenant=T, session_id="s1")
    assert [e.at for e in rooms.drain()] == [MONDAY, MONDAY + timedelta(hours=1)]  # kept span
    assert rooms.calls == [
        ("reopen", T, "none"),
        ("ensure", T, "s1"),
        ("reopen", T, "s1"),
        ("close", T, "s1"),
    ]


def test_a_refused_reopen_changes_nothing() -> None:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant=T, session_id="s1", span=_span(MONDAY))
    rooms.close_room(tenant=T, session_id="s1")
    with pytest.raises(WrongType, match="span"):
        rooms.reopen_room(tenant=T, session_id="s1", span=(MONDAY, TUESDAY))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        rooms.reopen_room(tenant=T, session_id=" s1", span=_span(MONDAY))
    assert not rooms.is_open(T, "s1")
    assert rooms.calls == [("ensure", T, "s1"), ("close", T, "s1")]


def _corrected(from_status: str, to_status: str) -> SessionStatusChanged:
    session = Session(
        id="s1",
        tenant=T,
        title="Tajweed",
        span=_span(MONDAY),
        tz="UTC",
        busy=True,
        lifecycle="academy",
        status=to_status,
        created_at=MONDAY,
    )
    change = StatusChanged(
        session_id="s1",
        lifecycle="academy",
        transition="correct",
        from_status=from_status,
        to_status=to_status,
        at=MONDAY,
    )
    return SessionStatusChanged(tenant=T, actor=None, at=MONDAY, session=session, change=change)


WHERE = "tenant=..., session_id=..."


@pytest.mark.parametrize(
    ("from_status", "to_status", "call"),
    [
        ("SCHEDULED", "READY", f"MeetingRooms.ensure_room({WHERE}, span=session.span)"),
        ("CANCELLED", "READY", f"MeetingRooms.ensure_room({WHERE}, span=session.span)"),
        ("ONGOING", "COMPLETED", f"MeetingRooms.close_room({WHERE})"),
    ],
)
def test_a_failed_call_is_named_with_the_arguments_it_takes(
    from_status: str, to_status: str, call: str
) -> None:
    # ensure_room takes the span too: (tenant=..., session_id=...) is refused. A status
    # corrected back to READY has the keeper ensure the room, never reopen it.
    class _Down(FakeMeetingRooms):
        def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
            raise ConnectionError("provider down")

        def reopen_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> None:
            raise ConnectionError("provider down")

        def close_room(self, *, tenant: str, session_id: str, at: datetime | None = None) -> None:
            raise ConnectionError("provider down")

    with pytest.raises(MeetingRoomsError) as failed:
        RoomKeeper(_Down()).publish([_corrected(from_status, to_status)])
    assert str(failed.value).endswith(f"; call {call} again once it is back")


def test_the_keeper_never_reopens_a_room() -> None:
    rooms = FakeMeetingRooms()
    keeper = RoomKeeper(rooms)
    rooms.ensure_room(tenant=T, session_id="s1", span=_span(MONDAY))
    keeper.publish([_corrected("READY", "ONGOING")])  # nothing was closed: no call
    keeper.publish([_corrected("COMPLETED", "ABSENT")])  # closing to closing: closed
    assert not rooms.is_open(T, "s1")
    keeper.publish([_corrected("ABSENT", "SCHEDULED")])  # back, before READY: no call
    keeper.publish([_corrected("CANCELLED", "READY")])  # back to READY: ensured, still closed
    assert not rooms.is_open(T, "s1")
    assert [c[0] for c in rooms.calls] == ["ensure", "close", "ensure"]
