"""RoomKeeper closes a room on every terminal status of the session's own lifecycle.

Its default ``close_on`` was the academy's (COMPLETED, ABSENT, CANCELLED), so
the room of a coaching call that went MISSED, or of an ``lms`` lesson
FINISHED or CANCELED, was never closed: the host had to know to list them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import WrongType
from sessionkit.lifecycle import PRESETS, StatusChanged
from sessionkit.model.events import SessionStatusChanged
from sessionkit.model.session import ResourceRef, Session
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
SPAN = TimeSpan(START, START + timedelta(hours=1))


def _entered(lifecycle: str, status: str) -> SessionStatusChanged:
    """The event of a session of ``lifecycle`` entering ``status``."""
    session = Session(
        id=f"{lifecycle}-{status}",
        tenant=T,
        title="Call",
        span=SPAN,
        tz="UTC",
        busy=True,
        lifecycle=lifecycle,
        status=status,
        created_at=START,
    )
    change = StatusChanged(
        session_id=session.id,
        lifecycle=lifecycle,
        transition="step",
        from_status="ANY",
        to_status=status,
        at=START,
    )
    return SessionStatusChanged(tenant=T, actor=None, at=START, session=session, change=change)


@pytest.mark.parametrize(
    ("lifecycle", "status"),
    [(name, s.name) for name in PRESETS for s in PRESETS.get(name).statuses],
)
def test_the_default_closes_on_each_terminal_status_of_every_preset(
    lifecycle: str, status: str
) -> None:
    rooms = FakeMeetingRooms()
    keeper = RoomKeeper(rooms, open_on="NONE")
    rooms.ensure_room(tenant=T, session_id=f"{lifecycle}-{status}", span=SPAN)
    keeper.publish([_entered(lifecycle, status)])
    terminal = PRESETS.get(lifecycle).status(status).terminal
    assert rooms.is_open(T, f"{lifecycle}-{status}") is not terminal
    assert (status in keeper.closes_on(lifecycle)) is terminal


def test_given_close_on_and_lifecycles_are_used_as_given() -> None:
    rooms = FakeMeetingRooms()
    keeper = RoomKeeper(rooms, close_on="COMPLETED")
    assert keeper.closes_on("coaching") == {"COMPLETED"}
    rooms.ensure_room(tenant=T, session_id="coaching-MISSED", span=SPAN)
    keeper.publish([_entered("coaching", "MISSED")])
    assert rooms.is_open(T, "coaching-MISSED")
    # A lifecycle the registry does not know: a status terminal in any lifecycle it has.
    assert RoomKeeper(rooms).closes_on("mine") >= {"MISSED", "ABSENT", "FINISHED", "NO_SHOW"}
    mine = attrs.evolve(PRESETS.get("coaching"), name="mine")
    only = PRESETS.__class__([mine])
    assert RoomKeeper(rooms, lifecycles=only).closes_on("mine") == {
        "CANCELLED",
        "COMPLETED",
        "MISSED",
    }
    with pytest.raises(WrongType, match=r"RoomKeeper\(lifecycles\)"):
        RoomKeeper(rooms, lifecycles={"coaching": mine})  # type: ignore[arg-type]


def test_a_missed_coaching_call_closes_its_room() -> None:
    rooms = FakeMeetingRooms()
    kit = SessionKit(
        uow=InMemoryStore(publisher=RoomKeeper(rooms, open_on="SCHEDULED")).unit_of_work,
        clock=ManualClock(START - timedelta(days=1)),
        facts=attendance_facts(),
        rooms=rooms,
    )
    call = kit.sessions.create_extra(
        T,
        actor="coach",
        title="Call",
        start=START,
        end=START + timedelta(hours=1),
        lifecycle="coaching",
        capacity=1,
        resources=[ResourceRef("coach", "cat"), ResourceRef("student", "sam")],
    )
    rooms.ensure_room(tenant=T, session_id=call.id, span=call.span)
    [missed] = kit.advance_due(T, now=START + timedelta(hours=2)).advanced
    assert missed.status == "MISSED"
    assert not rooms.is_open(T, call.id)
