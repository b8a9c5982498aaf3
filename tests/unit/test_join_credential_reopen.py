"""A room closed in a status corrected back is opened again by the join credential.

``RoomKeeper`` reopened it on the correction's event, reading no store: that
event delivered again (or late) after the session was cancelled again opened
the cancelled session's room. The credential reads the session, reopens the
room only for a session held now, and reads it once more after (a cancel
racing it has the room closed again).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import JoinRefused, MeetingRoomsError
from sessionkit.model.events import DomainEvent, SessionStatusChanged
from sessionkit.model.session import ResourceRef
from sessionkit.ports import EventPublisher, JoinCredential, Room, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.services.rooms import NOT_HELD, ROOM_CLOSED, JoinRules, RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)
TARA = ResourceRef("teacher", "tara")
Store = Callable[[EventPublisher], UnitOfWorkFactory]


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


class _Recorder:
    """The app's own publisher: keeps every committed event."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)


class _Rooms(FakeMeetingRooms):
    """A provider before whose next ``reopen_room`` another request commits."""

    def __init__(self) -> None:
        super().__init__()
        self.racing: Callable[[], object] | None = None
        self.down_after_reopen = False
        self.lookup_after_reopen = False

    def reopen_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> None:
        racing, self.racing = self.racing, None
        if racing is not None:
            racing()
        super().reopen_room(tenant=tenant, session_id=session_id, span=span)

    def issue_credential(
        self,
        *,
        tenant: str,
        session_id: str,
        participant: ResourceRef,
        role: str | None,
        expires_at: datetime,
    ) -> JoinCredential:
        if self.down_after_reopen and self.calls[-1][0] == "reopen":
            raise ConnectionError("provider down")
        if self.lookup_after_reopen and self.calls[-1][0] == "reopen":
            raise KeyError("a participant the provider does not know")
        return super().issue_credential(
            tenant=tenant,
            session_id=session_id,
            participant=participant,
            role=role,
            expires_at=expires_at,
        )


class Kit:
    """A kit whose rooms follow the lifecycle, with one session taught by Tara."""

    def __init__(
        self, store: Store, *, lifecycle: str = "academy", rules: JoinRules | None = None
    ) -> None:
        self.rooms = _Rooms()
        self.recorded = _Recorder()
        self.keeper = RoomKeeper(self.rooms, then=self.recorded)
        self.clock = ManualClock(START - timedelta(days=1))
        counter = itertools.count(1)
        policy = None if rules is None else AttendancePolicy(join=rules, join_transition=None)
        self.kit = SessionKit(
            uow=store(self.keeper),
            clock=self.clock,
            ids=lambda: f"s{next(counter)}",
            facts=attendance_facts(),
            attendance=policy,
            rooms=self.rooms,
        )
        self.id = self.kit.sessions.create_extra(
            T, actor="tara", title="Tajweed", start=START, end=START + timedelta(hours=1),
            lifecycle=lifecycle, capacity=2, resources=[TARA],
        ).id  # fmt: skip

    def status(self) -> str:
        return self.kit.queries.get(T, self.id).status

    def join(self, at: datetime) -> JoinCredential:
        return self.kit.attendance.join_credential(T, self.id, TARA, now=at)

    def cancelled_then_corrected_back(self) -> None:
        """READY (the keeper opens the room), cancelled by mistake, corrected back to READY."""
        self.kit.advance_due(T, now=START - 15 * MIN)
        self.clock.set(START - 14 * MIN)
        self.kit.sessions.cancel(T, self.id, actor="tara", reason="by mistake")
        self.clock.set(START - 12 * MIN)
        self.kit.usage.correct(T, self.id, "READY", actor="admin", reason="not cancelled")

    def calls(self) -> list[str]:
        return [call[0] for call in self.rooms.calls]


def test_a_correction_delivered_again_after_a_later_cancel_opens_nothing(store: Store) -> None:
    k = Kit(store)
    k.cancelled_then_corrected_back()
    k.clock.set(START - 11 * MIN)
    k.kit.sessions.cancel(T, k.id, actor="tara", reason="cancelled after all")
    back = [
        e
        for e in k.recorded.events
        if isinstance(e, SessionStatusChanged) and e.change.from_status == "CANCELLED"
    ]
    assert [e.change.to_status for e in back] == ["READY"]
    k.keeper.publish(back)  # an outbox delivering it again, or its delivery arriving late
    assert k.status() == "CANCELLED"
    assert not k.rooms.is_open(T, k.id)
    assert "reopen" not in k.calls()


def test_a_lesson_cancelled_then_corrected_back_is_reopened_by_the_first_credential(
    store: Store,
) -> None:
    k = Kit(store)
    k.cancelled_then_corrected_back()
    assert k.status() == "READY"
    assert not k.rooms.is_open(T, k.id)  # the keeper's ensure leaves a closed room closed
    assert k.calls() == ["ensure", "close", "ensure"]
    credential = k.join(START - 10 * MIN)
    assert credential.room_ref == f"room-{T}-{k.id}"
    assert k.rooms.is_open(T, k.id)
    assert k.rooms.created == 1  # the same room, open again
    assert k.calls()[3:] == ["ensure", "credential", "reopen", "credential"]
    k.join(START - 9 * MIN)  # open now: nothing to reopen
    assert k.calls()[7:] == ["ensure", "credential"]
    k.rooms.join(T, k.id, TARA, at=START - 9 * MIN)
    assert k.rooms.inside(T, k.id) == {TARA}


def test_a_lesson_completed_too_soon_and_corrected_back_to_ongoing(store: Store) -> None:
    k = Kit(store)
    k.join(START - 10 * MIN)  # READY on the way, the room made
    k.clock.set(START)
    k.kit.sessions.fire(T, k.id, "start", actor="tara")
    k.clock.set(START + 30 * MIN)
    k.kit.sessions.fire(T, k.id, "complete", actor="tara")  # pressed too soon
    k.kit.usage.correct(T, k.id, "ONGOING", actor="admin", reason="still in class")
    assert not k.rooms.is_open(T, k.id)
    later = k.join(START + 31 * MIN)
    assert later.expires_at == START + 75 * MIN
    assert k.rooms.is_open(T, k.id)
    assert k.calls().count("reopen") == 1


def test_a_coaching_call_completed_and_corrected_back_to_scheduled(store: Store) -> None:
    k = Kit(store, lifecycle="coaching", rules=JoinRules(joinable={"SCHEDULED"}, early=10 * MIN))
    k.join(START - 5 * MIN)
    k.clock.set(START + 20 * MIN)
    k.kit.sessions.fire(T, k.id, "complete", actor="tara")
    assert not k.rooms.is_open(T, k.id)
    k.kit.usage.correct(T, k.id, "SCHEDULED", actor="admin", reason="not over yet")
    assert k.calls() == ["ensure", "credential", "close"]  # the keeper opens nothing
    assert k.join(START + 21 * MIN).room_ref == f"room-{T}-{k.id}"
    assert k.rooms.is_open(T, k.id)
    assert k.calls()[3:] == ["ensure", "credential", "reopen", "credential"]


def test_a_cancel_racing_the_reopen_has_the_room_closed_again(store: Store) -> None:
    k = Kit(store)
    k.cancelled_then_corrected_back()
    # The cancel commits after the credential read READY; its close comes before the reopen.
    k.rooms.racing = lambda: k.kit.sessions.cancel(T, k.id, actor="tara", reason="after all")
    with pytest.raises(JoinRefused) as refused:
        k.join(START - 10 * MIN)
    assert (refused.value.rule, refused.value.session_id) == (NOT_HELD, k.id)
    assert not k.rooms.is_open(T, k.id)
    assert k.calls()[3:] == ["ensure", "credential", "close", "reopen", "credential", "close"]


def test_a_provider_failing_after_the_reopen_still_closes_it_for_a_cancel(store: Store) -> None:
    k = Kit(store)
    k.cancelled_then_corrected_back()
    k.rooms.racing = lambda: k.kit.sessions.cancel(T, k.id, actor="tara", reason="after all")
    k.rooms.down_after_reopen = True
    with pytest.raises(JoinRefused) as refused:
        k.join(START - 10 * MIN)
    assert refused.value.rule == NOT_HELD
    assert not k.rooms.is_open(T, k.id)


def test_a_lookup_error_after_the_reopen_still_closes_it_for_a_cancel(store: Store) -> None:
    # It was read as "the room is not open" and refused (room_closed, the status READY):
    # the room reopened for the session cancelled meanwhile stayed open.
    k = Kit(store)
    k.cancelled_then_corrected_back()
    k.rooms.racing = lambda: k.kit.sessions.cancel(T, k.id, actor="tara", reason="after all")
    k.rooms.lookup_after_reopen = True
    with pytest.raises(JoinRefused) as refused:
        k.join(START - 10 * MIN)
    assert (refused.value.rule, refused.value.session_id) == (NOT_HELD, k.id)
    assert not k.rooms.is_open(T, k.id)
    assert k.calls()[-2:] == ["reopen", "close"]


def test_a_lookup_error_of_ensure_room_is_the_provider_failing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only issue_credential answers LookupError for a room not open; this one was refused
    # as room_closed, "READY ends its lifecycle".
    k = Kit(store)
    k.kit.advance_due(T, now=START - 15 * MIN)

    def ensure_room(*, tenant: str, session_id: str, span: TimeSpan) -> Room:
        raise KeyError("no such region")

    monkeypatch.setattr(k.rooms, "ensure_room", ensure_room)
    with pytest.raises(MeetingRoomsError) as failed:
        k.join(START - 10 * MIN)
    error = failed.value
    assert (error.operation, error.status, error.session_id) == ("ensure_room", None, k.id)
    assert isinstance(error.__cause__, KeyError)


def test_a_failed_reopen_is_a_meeting_rooms_error_that_stored_nothing(store: Store) -> None:
    k = Kit(store)
    k.cancelled_then_corrected_back()

    def down() -> None:
        raise ConnectionError("provider down")

    k.rooms.racing = down
    with pytest.raises(MeetingRoomsError) as failed:
        k.join(START - 10 * MIN)
    error = failed.value
    assert (error.operation, error.status, error.session_id) == ("reopen_room", None, k.id)
    assert "ask for the credential again once it is back" in str(error)
    assert not k.rooms.is_open(T, k.id)
    assert k.join(START - 9 * MIN).room_ref == f"room-{T}-{k.id}"  # asked again: reopened


def test_a_terminal_status_the_rules_call_joinable_is_not_reopened(store: Store) -> None:
    k = Kit(store, rules=JoinRules(joinable={"READY", "ONGOING", "COMPLETED"}))
    k.join(START - 10 * MIN)
    k.clock.set(START)
    k.kit.sessions.fire(T, k.id, "start", actor="tara")
    k.clock.set(START + 30 * MIN)
    k.kit.sessions.fire(T, k.id, "complete", actor="tara")
    with pytest.raises(JoinRefused) as refused:
        k.join(START + 31 * MIN)
    assert refused.value.rule == ROOM_CLOSED
    assert refused.value.reason == (
        f"session '{k.id}' is COMPLETED but its room was closed and not opened again "
        "(COMPLETED ends its lifecycle)"
    )
    assert "reopen" not in k.calls()
