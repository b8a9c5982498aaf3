"""A group of three books together, one of them drops out, the waitlisted student gets the seat.

The academy's story, on the memory store and on SQLite: a parent books three
seats for three children in a full group lesson, a fourth student waits. One
child falls ill: the parent gives back one seat (``seats=1``), keeps two, and
the student first in line is offered the seat at once, confirms it, and the
lesson is full again. The change is a ``BookingSeatsCancelled`` with the
seats before and after; nobody's booking was cancelled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import CapacityExceeded
from sessionkit.model import ResourceRef
from sessionkit.model.booking_events import BookingSeatsCancelled, BookingStatusChanged
from sessionkit.policies import BookingRules
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

T = "academy"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
LESSON = NOW + timedelta(days=3)
RULES = BookingRules(waitlist=True, offer_for=timedelta(hours=12))


def _store(name: str, events: RecordingPublisher) -> UnitOfWorkFactory:
    if name == "memory":
        return InMemoryStore(events).unit_of_work
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    return SqlAlchemyStore(engine, events).unit_of_work


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_one_of_a_group_of_three_drops_out_and_the_waitlisted_student_gets_the_seat(
    store: str,
) -> None:
    events, clock = RecordingPublisher(), ManualClock(NOW)
    kit = SessionKit(uow=_store(store, events), clock=clock, booking_rules=RULES)
    lesson = kit.sessions.create_extra(
        T,
        actor="tina",
        title="Robotics (group)",
        start=LESSON,
        end=LESSON + timedelta(hours=2),
        resources=[ResourceRef("teacher", "tina")],
        lifecycle="lms",
        capacity=4,
    )
    family = kit.bookings.book(
        T, lesson.id, "parent:noor", actor="noor", seats=3, confirm=True, role="parent"
    )
    kit.bookings.book(T, lesson.id, "student:omar", actor="omar", confirm=True)
    sami = kit.bookings.book(T, lesson.id, "student:sami", actor="sami", waitlist=True)
    assert (sami.status, sami.position) == ("WAITLISTED", 1)
    with pytest.raises(CapacityExceeded):
        kit.bookings.book(T, lesson.id, "student:lina", actor="lina")

    clock.advance(timedelta(hours=1))
    kept = kit.bookings.cancel(T, family.id, actor="noor", seats=1, reason="Yara has the flu")
    assert (kept.status, kept.seats, kept.version) == ("CONFIRMED", 2, 2)
    offered = kit.bookings.get(T, sami.id)
    assert (offered.status, offered.hold_expires_at) == (
        "OFFERED",
        NOW + timedelta(hours=1) + RULES.offer_for,
    )
    [dropped] = events.of_type(BookingSeatsCancelled)
    assert (dropped.seats_before, dropped.seats_after, dropped.reason) == (
        3,
        2,
        "Yara has the flu",
    )
    assert [type(e).__name__ for e in events.of_type(BookingStatusChanged)][-2:] == [
        "BookingSeatsCancelled",
        "BookingOffered",
    ]

    assert kit.bookings.confirm(T, sami.id, actor="sami").status == "CONFIRMED"
    assert kit.bookings.remaining_seats(T, [lesson.id]) == {lesson.id: 0}
    seated = {
        str(b.participant): b.seats
        for b in kit.bookings.for_session(T, lesson.id, statuses=["CONFIRMED"])
    }
    assert seated == {"parent:noor": 2, "student:omar": 1, "student:sami": 1}
