"""The expiry job publishes a session's events in the order things happened.

Settling read what ran out in the session's list order (waitlist position,
then creation): an offer (placed) came before a hold (unplaced) that ran out
hours earlier, and a long hold made first before a short one made after it.
A subscriber replaying the events saw expiries out of time; a cancelled or
moved session's too, whose commands expired what had run out in the session's
order. Each case runs on the in-memory store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._bookings_support import ANA, BEN, CAI, DAN, NOW, RULES, TUTOR, T
from ._store_support import STORES, StoreMaker, kit_on


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def store(request: pytest.FixtureRequest) -> StoreMaker:
    maker: StoreMaker = request.param
    return maker


def _kit(store: StoreMaker) -> tuple[SessionKit, RecordingPublisher]:
    events = RecordingPublisher()
    return kit_on(store(events), NOW, booking_rules=RULES), events


def _slot(kit: SessionKit, capacity: int) -> str:
    return kit.sessions.create_extra(
        T,
        actor="tina",
        start=datetime(2026, 3, 4, 10, tzinfo=UTC),
        end=datetime(2026, 3, 4, 11, tzinfo=UTC),
        resources=[TUTOR],
        lifecycle="lms",
        capacity=capacity,
    ).id


def _since(events: RecordingPublisher, first: int) -> list[tuple[str, str, datetime]]:
    """The booking events published from index ``first`` on: (class, participant, at)."""
    return [
        (type(e).__name__, str(e.booking.participant), e.at)
        for e in events.events[first:]
        if isinstance(e, BookingStatusChanged)
    ]


def test_holds_run_out_in_the_order_of_their_expiry(store: StoreMaker) -> None:
    # Ana's long hold is made first, Ben's short one after it: Ben's runs out first.
    kit, events = _kit(store)
    session = _slot(kit, capacity=2)
    kit.bookings.book(T, session, ANA, actor="ana", hold_for=timedelta(minutes=30))
    kit.bookings.book(T, session, BEN, actor="ben", hold_for=timedelta(minutes=10))
    first = len(events.events)

    kit.bookings.expire_due(T, now=NOW + timedelta(hours=1))

    assert _since(events, first) == [
        ("BookingExpired", BEN, NOW + timedelta(minutes=10)),
        ("BookingExpired", ANA, NOW + timedelta(minutes=30)),
    ]


def test_a_hold_runs_out_before_a_later_offer_and_the_freed_seats_are_offered_after(
    store: StoreMaker,
) -> None:
    # Cai's hold runs out at 08:15, Ben's offer (a waitlist place, listed first) at 10:05;
    # Dan, waiting behind, is offered the freed seat when the job runs at 10:30.
    kit, events = _kit(store)
    session = _slot(kit, capacity=2)
    ana = kit.bookings.book(T, session, ANA, actor="ana")
    kit.bookings.book(T, session, CAI, actor="cai")
    kit.bookings.book(T, session, BEN, actor="ben", waitlist=True)
    kit.bookings.cancel(T, ana.id, actor="ana", now=NOW + timedelta(minutes=5))
    kit.bookings.book(T, session, DAN, actor="dan", waitlist=True, now=NOW + timedelta(minutes=6))
    first = len(events.events)

    run = NOW + timedelta(hours=2, minutes=30)
    kit.bookings.expire_due(T, now=run)

    assert _since(events, first) == [
        ("BookingExpired", CAI, NOW + timedelta(minutes=15)),
        ("BookingExpired", BEN, NOW + timedelta(hours=2, minutes=5)),
        ("BookingOffered", DAN, run),
    ]


def test_equal_instants_keep_the_session_s_order(store: StoreMaker) -> None:
    kit, events = _kit(store)
    session = _slot(kit, capacity=3)
    for who in (CAI, ANA, BEN):
        kit.bookings.book(T, session, who, actor="x")
    first = len(events.events)

    kit.bookings.expire_due(T, now=NOW + timedelta(hours=1))

    at = NOW + timedelta(minutes=15)
    assert _since(events, first) == [
        ("BookingExpired", CAI, at),
        ("BookingExpired", ANA, at),
        ("BookingExpired", BEN, at),
    ]


def _ran_out_and_one_waiting(store: StoreMaker) -> tuple[SessionKit, RecordingPublisher, str]:
    """Cai's hold runs out at 08:15, Ben's offer (listed first) at 10:05; Dan waits behind."""
    events = RecordingPublisher()
    clock = ManualClock(NOW)
    ids = itertools.count(1)
    kit = SessionKit(
        uow=store(events),
        clock=clock,
        ids=lambda: f"x{next(ids)}",
        booking_rules=attrs.evolve(RULES, lock_booked=False),
    )
    session = _slot(kit, capacity=2)
    ana = kit.bookings.book(T, session, ANA, actor="ana")
    kit.bookings.book(T, session, CAI, actor="cai")
    kit.bookings.book(T, session, BEN, actor="ben", waitlist=True)
    kit.bookings.cancel(T, ana.id, actor="ana", now=NOW + timedelta(minutes=5))
    kit.bookings.book(T, session, DAN, actor="dan", waitlist=True, now=NOW + timedelta(minutes=6))
    clock.set(NOW + timedelta(hours=2, minutes=30))
    return kit, events, session


def test_a_cancelled_session_expires_what_ran_out_in_time_order_before_its_cancels(
    store: StoreMaker,
) -> None:
    # The cancel expired what ran out in the session's order, among its cancels:
    # Ben's 10:05, Dan's cancel at 10:30, then Cai's 08:15.
    kit, events, session = _ran_out_and_one_waiting(store)
    first = len(events.events)

    kit.sessions.cancel(T, session, actor="tina")

    run = NOW + timedelta(hours=2, minutes=30)
    assert _since(events, first) == [
        ("BookingExpired", CAI, NOW + timedelta(minutes=15)),
        ("BookingExpired", BEN, NOW + timedelta(hours=2, minutes=5)),
        ("BookingCancelled", DAN, run),
    ]


def test_a_moved_session_expires_what_ran_out_in_time_order(store: StoreMaker) -> None:
    kit, events, session = _ran_out_and_one_waiting(store)
    first = len(events.events)

    kit.sessions.update(
        T,
        session,
        actor="tina",
        start=datetime(2026, 3, 4, 12, tzinfo=UTC),
        end=datetime(2026, 3, 4, 13, tzinfo=UTC),
    )

    run = NOW + timedelta(hours=2, minutes=30)
    assert _since(events, first) == [
        ("BookingExpired", CAI, NOW + timedelta(minutes=15)),
        ("BookingExpired", BEN, NOW + timedelta(hours=2, minutes=5)),
        ("BookingOffered", DAN, run),
    ]
