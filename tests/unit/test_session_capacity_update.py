"""``kit.sessions.update(capacity=)``: a session's seats changed after it was published.

A group class given more seats had no command for it (the SQL of one's own, or the Django
admin's form, wrote the column and nobody on the waitlist heard of the new seats). Raised, the
new seats are offered to the waitlist in order, in the same unit of work; lowered below the
seats booked, the bookings keep theirs; checked as ``create_extra`` checks a capacity. Each
case runs on memory and SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import CapacityExceeded, InvalidValue, SessionLocked, WrongType
from sessionkit.model.booking import CONFIRMED, OFFERED, WAITLISTED
from sessionkit.model.events import SessionUpdated
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES, StoreMaker

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = BookingRules(
    waitlist=True, offer_for=timedelta(hours=2), max_capacity=10, lock_booked=False
)
ANA, BEN, CAI, DAN = "student:ana", "student:ben", "student:cai", "student:dan"


class World:
    def __init__(self, store: StoreMaker, rules: BookingRules = RULES) -> None:
        self.events = RecordingPublisher()
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=store(self.events),
            clock=ManualClock(NOW),
            ids=lambda: f"x{next(counter)}",
            booking_rules=rules,
        )

    def group(self, capacity: int) -> Session:
        start = NOW + timedelta(days=2)
        return self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(hours=1),
            resources=["tutor:tina"],
            lifecycle="lms",
            capacity=capacity,
            title="Algebra circle",
        )

    def statuses(self, session_id: str) -> dict[str, str]:
        return {str(b.participant): b.status for b in self.kit.bookings.for_session(T, session_id)}


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def world(request: pytest.FixtureRequest) -> World:
    return World(request.param)


def test_seats_added_go_to_the_waitlist_in_order(world: World) -> None:
    kit = world.kit
    circle = world.group(capacity=1)
    kit.bookings.book(T, circle.id, ANA, actor="ana", confirm=True)
    for who in (BEN, CAI, DAN):
        kit.bookings.book(T, circle.id, who, actor=who, confirm=True, waitlist=True)
    world.events.events.clear()
    wider = kit.sessions.update(T, circle.id, actor="tina", capacity=3)
    assert (wider.capacity, wider.detached) == (3, True)
    assert world.statuses(circle.id) == {
        ANA: CONFIRMED,
        BEN: OFFERED,
        CAI: OFFERED,
        DAN: WAITLISTED,
    }
    [updated] = [e for e in world.events.events if isinstance(e, SessionUpdated)]
    assert updated.old == {"capacity": 1}
    assert kit.bookings.remaining_seats(T, [circle.id]) == {circle.id: 0}
    assert kit.queries.get(T, circle.id).capacity == 3


def test_lowered_below_the_seats_booked_the_bookings_keep_them(world: World) -> None:
    kit = world.kit
    circle = world.group(capacity=3)
    for who in (ANA, BEN, CAI):
        kit.bookings.book(T, circle.id, who, actor=who, confirm=True)
    kit.sessions.update(T, circle.id, actor="tina", capacity=1)
    assert world.statuses(circle.id) == {ANA: CONFIRMED, BEN: CONFIRMED, CAI: CONFIRMED}
    with pytest.raises(CapacityExceeded):
        kit.bookings.book(T, circle.id, DAN, actor="dan", confirm=True)
    kit.bookings.cancel(T, kit.bookings.for_session(T, circle.id)[0].id, actor="ana")
    kit.bookings.cancel(T, kit.bookings.for_session(T, circle.id)[1].id, actor="ben")
    kit.bookings.cancel(T, kit.bookings.for_session(T, circle.id)[2].id, actor="cai")
    kit.bookings.book(T, circle.id, DAN, actor="dan", confirm=True)
    assert kit.bookings.remaining_seats(T, [circle.id]) == {circle.id: 0}


@pytest.mark.parametrize(
    ("capacity", "error"),
    [
        (0, InvalidValue),
        (-2, InvalidValue),
        (11, InvalidValue),
        ("3", WrongType),
        (True, InvalidValue),
    ],
)
def test_a_bad_capacity_is_refused_and_nothing_is_written(
    world: World, capacity: object, error: type[Exception]
) -> None:
    circle = world.group(capacity=2)
    with pytest.raises(error) as refused:
        world.kit.sessions.update(T, circle.id, actor="tina", capacity=capacity)  # type: ignore[arg-type]
    assert refused.value.value == capacity  # type: ignore[attr-defined]
    assert world.kit.queries.get(T, circle.id) == circle


def test_the_same_capacity_changes_nothing(world: World) -> None:
    circle = world.group(capacity=2)
    world.events.events.clear()
    assert world.kit.sessions.update(T, circle.id, actor="tina", capacity=2) == circle
    assert world.events.events == []


def test_booked_sessions_locked_by_the_rules_keep_their_capacity() -> None:
    locked = World(STORES["memory"], BookingRules())  # lock_booked, the default
    circle = locked.group(capacity=2)
    locked.kit.bookings.book(T, circle.id, ANA, actor="ana", confirm=True)
    with pytest.raises(SessionLocked):
        locked.kit.sessions.update(T, circle.id, actor="tina", capacity=5)
    assert locked.kit.queries.get(T, circle.id).capacity == 2
