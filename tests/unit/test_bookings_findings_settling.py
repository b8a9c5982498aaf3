"""Findings of a new user's walk through bookings: confirm settles, instants are checked.

``confirm`` wrote to a session without settling it, so a seat a hold freed
stayed unoffered (and a waitlist place first in line for it could not claim
it) although every write to a session settles it; ``Booking.expired_at`` /
``takes_seats`` and ``BookingRules.day_of`` / ``week_of`` took naive instants.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import HoldExpired, NaiveDatetime
from sessionkit.model.booking import CONFIRMED, EXPIRED, HELD, OFFERED
from sessionkit.model.booking_events import BookingConfirmed, BookingExpired, BookingOffered
from sessionkit.policies import BookingRules
from sessionkit.testing.harness import Harness

from ._bookings_support import ANA, BEN, CAI, NOW, T, booking_events, harness, slot, statuses


@pytest.fixture
def h() -> Harness:
    return harness()


def test_confirm_settles_the_session_a_run_out_hold_is_offered_on(h: Harness) -> None:
    # Before: Ana's run-out hold stayed HELD and Cai WAITLISTED after Ben's confirm, a
    # write to the session, until the expiry job ran.
    group = slot(h, capacity=2)
    ana = h.kit.bookings.book(T, group.id, ANA, actor="ana")
    ben = h.kit.bookings.book(T, group.id, BEN, actor="ben", hold_for=timedelta(hours=1))
    cai = h.kit.bookings.book(T, group.id, CAI, actor="cai", waitlist=True)
    h.clock.advance(timedelta(minutes=20))  # Ana's 15-minute hold ran out

    assert h.kit.bookings.confirm(T, ben.id, actor="ben").status == CONFIRMED

    assert statuses(h, group.id) == {CAI: OFFERED, ANA: EXPIRED, BEN: CONFIRMED}
    changes = [(type(e), e.booking.id) for e in booking_events(h)[3:]]
    assert changes == [
        (BookingExpired, ana.id),
        (BookingOffered, cai.id),
        (BookingConfirmed, ben.id),
    ]


def test_a_waitlist_place_first_in_line_for_a_freed_seat_confirms_it(h: Harness) -> None:
    # Before: InvalidTransition (WAITLISTED), though book() told Cai it was OFFERED.
    group = slot(h, capacity=1)
    h.kit.bookings.book(T, group.id, ANA, actor="ana")
    cai = h.kit.bookings.book(T, group.id, CAI, actor="cai", waitlist=True)
    h.clock.advance(timedelta(minutes=20))

    confirmed = h.kit.bookings.confirm(T, cai.id, actor="cai")

    assert (confirmed.status, confirmed.hold_expires_at, confirmed.position) == (CONFIRMED, None, 1)
    assert statuses(h, group.id) == {CAI: CONFIRMED, ANA: EXPIRED}
    assert h.kit.bookings.remaining_seats(T, [group.id]) == {group.id: 0}


def test_confirming_a_run_out_hold_still_raises_and_writes_nothing(h: Harness) -> None:
    group = slot(h, capacity=1)
    ana = h.kit.bookings.book(T, group.id, ANA, actor="ana")
    h.kit.bookings.book(T, group.id, CAI, actor="cai", waitlist=True)
    h.clock.advance(timedelta(minutes=20))
    seen = len(h.events.events)

    with pytest.raises(HoldExpired) as late:
        h.kit.bookings.confirm(T, ana.id, actor="ana")

    assert late.value.booking_id == ana.id
    assert statuses(h, group.id) == {CAI: "WAITLISTED", ANA: HELD}  # as stored before
    assert h.events.events[seen:] == []


NAIVE = datetime(2026, 3, 2, 9)  # the naive instant under test


@pytest.mark.parametrize("method", ["expired_at", "takes_seats", "waiting_at"])
def test_a_booking_judged_at_a_naive_instant_is_refused(h: Harness, method: str) -> None:
    # Before: a bare TypeError for a hold, and a silent answer for a confirmed booking.
    group = slot(h, capacity=2)
    held = h.kit.bookings.book(T, group.id, ANA, actor="ana")
    booked = h.kit.bookings.book(T, group.id, BEN, actor="ben", confirm=True)
    for booking in (held, booked):
        with pytest.raises(NaiveDatetime) as naive:
            getattr(booking, method)(NAIVE)
        assert naive.value.name == "at"
    assert held.expired_at(NOW + timedelta(minutes=15)) is True


@pytest.mark.parametrize("window", ["day_of", "week_of"])
def test_a_local_day_or_week_of_a_naive_start_is_refused(window: str) -> None:
    # Before: astimezone() read the naive start in the machine's own zone.
    rules = BookingRules(per_day=1, zone="Europe/Berlin")
    with pytest.raises(NaiveDatetime) as naive:
        getattr(rules, window)(NAIVE)
    assert naive.value.name == "start"
    # NOW is Monday 2 March: its day and its week both start at midnight in Berlin.
    assert getattr(rules, window)(NOW).start == datetime(2026, 3, 1, 23, tzinfo=UTC)
