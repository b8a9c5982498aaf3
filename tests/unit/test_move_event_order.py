"""A session moved by ``kit.sessions.update`` publishes its events in the order things happened.

A silence move (d4274669) publishes what had run out by the move at the old
time, then its ``SessionUpdated``, then what the move ended. ``update``
published every booking the move ended before its ``SessionUpdated``, those
the move itself cut (a hold, offer or waitlist place of a session moved to a
start already past) too, though they ended because of it, and the credits it
carried to another period (as an approved reschedule's move does not). The
bookings' cases run on the in-memory store and on SQLite; a move later, whose
order was right already, is a guard.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.model.events import DomainEvent, SessionUpdated
from sessionkit.model.usage import UsageRecorded
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._bookings_support import ANA, BEN, CAI, DAN, NOW, RULES, TUTOR, T
from ._store_support import STORES
from .test_services_usage import T as USAGE_TENANT
from .test_services_usage import World

START = datetime(2026, 3, 2, 10, tzinfo=UTC)
EDIT = START - timedelta(minutes=30)  # the host records at 09:30 that the lesson began at 09:00
PAST = START - timedelta(hours=1)


def _ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"x{next(counter)}"


def _seen(events: list[DomainEvent]) -> list[tuple[str, datetime, str]]:
    """Each event's class, instant and the participant of a booking's (else ``""``)."""
    return [
        (
            type(e).__name__,
            e.at,
            str(e.booking.participant) if isinstance(e, BookingStatusChanged) else "",
        )
        for e in events
    ]


def _booked(store: str) -> tuple[SessionKit, RecordingPublisher, str]:
    """A 10:00 lesson of 3 seats: Ana's, Cai's hold (ran out 08:15), Ben's hold to the start,
    Dan waiting; the clock at 09:30, no job run. The kit (lock_booked off), its events and
    the session's id."""
    events = RecordingPublisher()
    clock = ManualClock(NOW)
    rules = attrs.evolve(RULES, lock_booked=False)
    kit = SessionKit(uow=STORES[store](events), clock=clock, ids=_ids(), booking_rules=rules)
    session = kit.sessions.create_extra(
        T,
        actor="tina",
        start=START,
        end=START + timedelta(hours=1),
        resources=[TUTOR],
        lifecycle="lms",
        capacity=3,
    )
    kit.bookings.book(T, session.id, ANA, actor="ana", confirm=True)
    kit.bookings.book(T, session.id, CAI, actor="cai")
    kit.bookings.book(T, session.id, BEN, actor="ben", hold_for=timedelta(hours=3))
    kit.bookings.book(T, session.id, DAN, actor="dan", waitlist=True)
    clock.set(EDIT)
    return kit, events, session.id


@pytest.mark.parametrize("store", sorted(STORES))
def test_update_publishes_what_its_move_to_a_past_start_ended_after_the_move(store: str) -> None:
    kit, events, session_id = _booked(store)
    seen = len(events.events)
    kit.sessions.update(T, session_id, actor="tina", start=PAST)
    assert _seen(events.events[seen:]) == [
        ("BookingExpired", NOW + RULES.hold_for, CAI),  # ran out at the old time, before
        ("SessionUpdated", EDIT, ""),  # the move
        ("BookingExpired", EDIT, DAN),  # ended by it, the session's started (its order)
        ("BookingExpired", EDIT, BEN),
    ]
    [moved] = events.of_type(SessionUpdated)[-1:]
    assert dict(moved.old) == {"start": START, "end": START + timedelta(hours=1)}
    ended = {
        str(b.participant): (b.status, b.session_start)
        for b in kit.bookings.for_session(T, session_id)
    }
    assert ended == {
        ANA: ("CONFIRMED", PAST),
        BEN: ("EXPIRED", PAST),
        CAI: ("EXPIRED", PAST),
        DAN: ("EXPIRED", PAST),
    }


@pytest.mark.parametrize("store", sorted(STORES))
def test_update_publishes_what_had_run_out_before_the_move_then_the_move_then_offers(
    store: str,
) -> None:
    # Moved later: Cai's hold had run out at the old time; Dan is offered its seat after.
    kit, events, session_id = _booked(store)
    later = START + timedelta(days=1)
    seen = len(events.events)
    kit.sessions.update(T, session_id, actor="tina", start=later)
    assert _seen(events.events[seen:]) == [
        ("BookingExpired", NOW + RULES.hold_for, CAI),
        ("SessionUpdated", EDIT, ""),
        ("BookingOffered", EDIT, DAN),
    ]


def test_update_publishes_the_credits_its_move_carries_after_the_move() -> None:
    # Charged on 31 March, moved to 2 April: the credit goes to April because of the move.
    world = World()
    world.subscribe(credits=1)
    march = datetime(2026, 3, 31, 16, tzinfo=UTC)
    april = datetime(2026, 4, 2, 16, tzinfo=UTC)
    lesson = world.lesson(start=march)
    world.kit.usage.consume(USAGE_TENANT, lesson.id, actor="host", participants=["student:ana"])
    seen = len(world.events.events)
    world.kit.sessions.update(USAGE_TENANT, lesson.id, actor="host", start=april)
    assert [
        (type(e).__name__, e.change if isinstance(e, UsageRecorded) else "")
        for e in world.events.events[seen:]
    ] == [("SessionUpdated", ""), ("UsageRecorded", "reversed"), ("UsageRecorded", "consumed")]
