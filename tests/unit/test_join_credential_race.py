"""A join credential racing a delete or a cancel leaves no room open.

The credential reads the session, then ensures its room after the unit of
work. A coaching call is joinable while SCHEDULED, before any status opened
its room: a delete or cancel committed in between had ``RoomKeeper`` close a
room not made yet (nothing), and the credential's ``ensure_room`` then made
one, open for good for a session deleted or cancelled, with a credential.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import JoinRefused, SessionNotFound
from sessionkit.model.session import ResourceRef
from sessionkit.ports import EventPublisher, Room, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.services.rooms import NOT_HELD, JoinRules, RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
TUTOR = ResourceRef("provider", "tim")
Store = Callable[[EventPublisher], UnitOfWorkFactory]


class _Racing(FakeMeetingRooms):
    """A provider before whose next ``ensure_room`` another request commits."""

    def __init__(self) -> None:
        super().__init__()
        self.first: Callable[[], object] | None = None

    def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
        racing, self.first = self.first, None
        if racing is not None:
            racing()
        return super().ensure_room(tenant=tenant, session_id=session_id, span=span)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "memory":
        yield lambda publisher: InMemoryStore(publisher=publisher).unit_of_work
        return
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    try:
        yield lambda publisher: SqlAlchemyStore(engine, publisher=publisher).unit_of_work
    finally:
        engine.dispose()


def _call(
    store: Store,
) -> tuple[SessionKit, _Racing, str]:
    rooms = _Racing()
    counter = itertools.count(1)
    kit = SessionKit(
        uow=store(RoomKeeper(rooms)),
        clock=ManualClock(START - timedelta(days=1)),
        ids=lambda: f"s{next(counter)}",
        facts=attendance_facts(),
        attendance=AttendancePolicy(
            join=JoinRules(joinable={"SCHEDULED"}, early=timedelta(minutes=10)),
            join_transition=None,
        ),
        rooms=rooms,
    )
    call = kit.sessions.create_extra(
        T, actor="tim", title="Call", start=START, end=START + timedelta(hours=1),
        lifecycle="coaching", capacity=1, resources=[TUTOR],
    )  # fmt: skip
    return kit, rooms, call.id


def test_a_credential_racing_a_delete_leaves_no_room_open(
    store: Store,
) -> None:
    kit, rooms, call = _call(store)
    rooms.first = lambda: kit.sessions.delete(T, call, actor="tim")
    with pytest.raises(SessionNotFound):
        kit.attendance.join_credential(T, call, TUTOR, now=START - timedelta(minutes=5))
    assert not rooms.is_open(T, call)
    assert [c[0] for c in rooms.calls] == ["close", "ensure", "credential", "close"]


def test_a_credential_racing_a_cancel_leaves_no_room_open(
    store: Store,
) -> None:
    kit, rooms, call = _call(store)
    rooms.first = lambda: kit.sessions.cancel(T, call, actor="tim", reason="ill")
    with pytest.raises(JoinRefused) as refused:
        kit.attendance.join_credential(T, call, TUTOR, now=START - timedelta(minutes=5))
    assert (refused.value.rule, refused.value.session_id) == (NOT_HELD, call)
    assert not rooms.is_open(T, call)
    assert kit.queries.get(T, call).status == "CANCELLED"


def test_a_credential_met_by_no_race_opens_the_room(
    store: Store,
) -> None:
    kit, rooms, call = _call(store)
    rooms.first = lambda: kit.sessions.update(T, call, actor="tim", title="Call (moved)")
    credential = kit.attendance.join_credential(T, call, TUTOR, now=START - timedelta(minutes=5))
    assert credential.room_ref == f"room-{T}-{call}"
    assert rooms.is_open(T, call)
    assert [c[0] for c in rooms.calls] == ["ensure", "credential"]
