"""RoomKeeper when the meeting provider fails: the change stands, the error names the room call.

A cancel stored while the provider was down raised the provider's own
``ConnectionError``: the host read it as a failed cancel, and running the
cancel again was refused (``InvalidTransition``), so no call ever closed the
room. The error is now a ``MeetingRoomsError`` (a ``SessionKitError`` and a
``ConnectionError``) naming the session, its new status and the call to make
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import MeetingRoomsError, SessionKitError, WrongType
from sessionkit.model.events import DomainEvent
from sessionkit.model.session import ResourceRef
from sessionkit.ports import JoinCredential, Room
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)


class _Flaky(FakeMeetingRooms):
    """A fake provider that can be down."""

    down = False

    def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
        if self.down:
            raise ConnectionError("provider down")
        return super().ensure_room(tenant=tenant, session_id=session_id, span=span)

    def close_room(self, *, tenant: str, session_id: str, at: datetime | None = None) -> None:
        if self.down:
            raise ConnectionError("provider down")
        super().close_room(tenant=tenant, session_id=session_id, at=at)


def _kit(rooms: _Flaky, *, keeper: bool = True) -> tuple[SessionKit, str]:
    """A kit and an academy lesson; ``keeper=False``: no RoomKeeper (credentials ensure rooms)."""
    kit = SessionKit(
        uow=InMemoryStore(publisher=RoomKeeper(rooms) if keeper else None).unit_of_work,
        clock=ManualClock(START - timedelta(minutes=20)),
        facts=attendance_facts(),
        rooms=rooms,
    )
    lesson = kit.sessions.create_extra(
        T,
        actor="tara",
        title="Tajweed",
        start=START,
        end=START + timedelta(hours=1),
        lifecycle="academy",
        capacity=1,
        resources=[ResourceRef("teacher", "tara")],
    )
    return kit, lesson.id


def test_a_cancel_stored_while_the_provider_is_down_names_the_room_to_close() -> None:
    rooms = _Flaky()
    kit, lesson = _kit(rooms)
    kit.advance_due(T, now=START - timedelta(minutes=15))
    assert rooms.is_open(T, lesson)
    rooms.down = True
    with pytest.raises(MeetingRoomsError) as failed:
        kit.sessions.cancel(T, lesson, actor="tara")
    error = failed.value
    assert isinstance(error, SessionKitError)
    assert isinstance(error, ConnectionError)  # ``except ConnectionError`` still catches it
    assert (error.operation, error.tenant, error.session_id, error.status) == (
        "close_room",
        T,
        lesson,
        "CANCELLED",
    )
    assert isinstance(error.__cause__, ConnectionError)
    assert "stored" in str(error)
    assert kit.queries.get(T, lesson).status == "CANCELLED"  # the cancel stands
    # What the error says to do: the call again, once the provider is back.
    rooms.down = False
    rooms.close_room(tenant=error.tenant, session_id=error.session_id)
    assert not rooms.is_open(T, lesson)


def test_a_tick_whose_room_could_not_open_reports_which_call_failed() -> None:
    rooms = _Flaky()
    rooms.down = True
    kit, lesson = _kit(rooms)
    report = kit.advance_due(T, now=START - timedelta(minutes=15))
    [failure] = report.failed
    assert failure.session_id == lesson
    assert isinstance(failure.error, MeetingRoomsError)
    assert (failure.error.operation, failure.error.status) == ("ensure_room", "READY")
    assert kit.queries.get(T, lesson).status == "READY"


class _NoCredentials(_Flaky):
    """A fake provider whose credential service is down (its rooms still open)."""

    def issue_credential(self, **asked: Any) -> JoinCredential:
        if self.down:
            raise ConnectionError("credentials down")
        return super().issue_credential(**asked)

    def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
        return FakeMeetingRooms.ensure_room(self, tenant=tenant, session_id=session_id, span=span)


@pytest.mark.parametrize(
    ("rooms", "operation"), [(_Flaky(), "ensure_room"), (_NoCredentials(), "issue_credential")]
)
def test_a_join_credential_the_provider_fails_is_a_meeting_rooms_error(
    rooms: _Flaky, operation: str
) -> None:
    # The provider's own ConnectionError left join_credential bare (a plain 500 over HTTP).
    kit, lesson = _kit(rooms, keeper=False)
    kit.advance_due(T, now=START - timedelta(minutes=15))
    rooms.down = True
    with pytest.raises(MeetingRoomsError) as failed:
        kit.attendance.join_credential(T, lesson, "teacher:tara", now=START)
    error = failed.value
    assert (error.operation, error.tenant, error.session_id, error.status) == (
        operation,
        T,
        lesson,
        None,
    )
    assert isinstance(error.__cause__, ConnectionError)
    assert "nothing was stored" in str(error)
    rooms.down = False  # asked again once the provider is back
    credential = kit.attendance.join_credential(T, lesson, "teacher:tara", now=START)
    assert credential.participant == ResourceRef("teacher", "tara")


class _Mailer:
    """The app's own publisher (``then``), which can fail."""

    down = False

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.down:
            raise RuntimeError("smtp down")


def test_rooms_follow_the_changes_when_the_apps_own_publisher_raises() -> None:
    # ``then`` raising stopped RoomKeeper before it followed the events: a READY session's
    # room was never opened and a cancelled one's never closed, and nothing said so.
    rooms = FakeMeetingRooms()
    mailer = _Mailer()
    kit = SessionKit(
        uow=InMemoryStore(publisher=RoomKeeper(rooms, then=mailer)).unit_of_work,
        clock=ManualClock(START - timedelta(minutes=20)),
        facts=attendance_facts(),
    )
    lesson = kit.sessions.create_extra(
        T, actor="tara", start=START, end=START + timedelta(hours=1), lifecycle="academy"
    ).id
    mailer.down = True
    with pytest.raises(RuntimeError, match="smtp down") as failed:
        kit.tick(T, now=START - timedelta(minutes=15))
    assert failed.value.tick_report.advanced == 1  # type: ignore[attr-defined]  # set by tick
    assert kit.queries.get(T, lesson).status == "READY"
    assert rooms.is_open(T, lesson)
    with pytest.raises(RuntimeError, match="smtp down"):
        kit.sessions.cancel(T, lesson, actor="tara")
    assert kit.queries.get(T, lesson).status == "CANCELLED"
    assert rooms.calls[-1] == ("close", T, lesson)
    assert not rooms.is_open(T, lesson)


def test_every_room_the_provider_failed_is_named_not_only_the_first() -> None:
    # Three sessions entered READY in one batch with the provider down: the error named the
    # first and the other two rooms (never opened) were not mentioned anywhere.
    rooms = _Flaky()
    kit, first = _kit(rooms)
    others = [
        kit.sessions.create_extra(
            T,
            actor="tara",
            start=START,
            end=START + timedelta(hours=1),
            lifecycle="academy",
            resources=[ResourceRef("teacher", f"t{n}")],
        ).id
        for n in range(2)
    ]
    rooms.down = True
    with pytest.raises(MeetingRoomsError) as failed:
        kit.tick(T, now=START - timedelta(minutes=15))
    error = failed.value
    named = {error.session_id} | {
        lesson for lesson in [first, *others] for note in error.__notes__ if lesson in note
    }
    assert named == {first, *others}
    assert sum("also failed" in note for note in error.__notes__) == 2


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"rooms": "zoom"}, "RoomKeeper(rooms)"),
        ({"rooms": None}, "RoomKeeper(rooms)"),
        ({"rooms": FakeMeetingRooms(), "then": "mailer"}, "RoomKeeper(then)"),
    ],
)
def test_a_keeper_that_could_not_follow_is_refused_when_it_is_made(
    arguments: dict[str, Any], name: str
) -> None:
    # Accepted, it failed at the first READY, after the commit, as a MeetingRoomsError
    # saying the provider was down ("call ensure_room again once it is back").
    with pytest.raises(WrongType) as refused:
        RoomKeeper(**arguments)
    assert refused.value.name == name
    assert refused.value.value in ("zoom", None, "mailer")
