"""A keeper's failed room call names the call to make again with every argument it takes.

``ensure_room`` and ``reopen_room`` take the session's ``span``; the message
named them as ``(tenant=..., session_id=...)``, a call the provider refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import MeetingRoomsError
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.events import SessionStatusChanged
from sessionkit.model.session import Session
from sessionkit.ports import Room
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
MONDAY = datetime(2026, 3, 2, 17, tzinfo=UTC)
WHERE = "tenant=..., session_id=..."


def _changed(from_status: str, to_status: str) -> SessionStatusChanged:
    session = Session(
        id="s1", tenant=T, title="Tajweed", span=TimeSpan(MONDAY, MONDAY + timedelta(hours=1)),
        tz="UTC", busy=True, lifecycle="academy", status=to_status, created_at=MONDAY,
    )  # fmt: skip
    change = StatusChanged(
        session_id="s1", lifecycle="academy", transition="correct", from_status=from_status,
        to_status=to_status, at=MONDAY,
    )  # fmt: skip
    return SessionStatusChanged(tenant=T, actor=None, at=MONDAY, session=session, change=change)


class _Down(FakeMeetingRooms):
    def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
        raise ConnectionError("provider down")

    def reopen_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> None:
        raise ConnectionError("provider down")

    def close_room(self, *, tenant: str, session_id: str, at: datetime | None = None) -> None:
        raise ConnectionError("provider down")


@pytest.mark.parametrize(
    ("from_status", "to_status", "call"),
    [
        ("SCHEDULED", "READY", f"MeetingRooms.ensure_room({WHERE}, span=session.span)"),
        ("CANCELLED", "READY", f"MeetingRooms.reopen_room({WHERE}, span=session.span)"),
        ("ONGOING", "COMPLETED", f"MeetingRooms.close_room({WHERE})"),
    ],
)
def test_the_call_to_make_again_has_its_arguments(
    from_status: str, to_status: str, call: str
) -> None:
    with pytest.raises(MeetingRoomsError) as failed:
        RoomKeeper(_Down()).publish([_changed(from_status, to_status)])
    assert failed.value.operation == call.split(".")[1].split("(")[0]
    assert str(failed.value).endswith(f"; call {call} again once it is back")
