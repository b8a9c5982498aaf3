"""Asking for the waitlist of a priced session with room is told the truth: it would take a seat.

``kit.bookings.book(..., waitlist=True)`` on a priced session with seats to spare
was refused with "kit.bookings.book only joins its waitlist", though joining the
waitlist was what it asked: with room, the booking would have taken seats,
which a priced session gives only by paying (``kit.payments.book``).
"""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest

from sessionkit.errors import PaymentRequired
from sessionkit.model.booking import HELD, WAITLISTED
from sessionkit.services import SessionDraft
from sessionkit.testing.harness import Harness

from ._priced_support import NOW, TUTOR, T, priced_harness, slot


@pytest.fixture
def h() -> Harness:
    return priced_harness()


def test_joining_the_waitlist_of_a_priced_session_with_room_says_it_would_take_a_seat(
    h: Harness,
) -> None:
    s = slot(h, capacity=2)
    with pytest.raises(PaymentRequired) as refused:
        h.kit.bookings.book(T, s.id, "student:ann", actor="ann", waitlist=True)
    error = refused.value
    assert str(error) == (
        f"session {s.id!r} is priced and has room for the seats asked for, so waitlist=True "
        "would take them, not queue: a seat in it is taken by paying, so book it with "
        "kit.payments.book (manual=True, confirm=True for money the host collects itself); "
        "kit.bookings.book joins its waitlist only when it has no room for them"
    )
    assert (error.booking_id, error.payment_id, error.status, error.session_id) == (
        None,
        None,
        "missing",
        s.id,
    )
    assert h.kit.bookings.for_session(T, s.id) == []  # nothing written
    # The advice, followed: the paid path takes the seat, held until its payment succeeds.
    taken = h.kit.payments.book(T, s.id, "student:ann", actor="ann", waitlist=True)
    assert taken.booking.status == HELD


def test_a_drafted_priced_session_with_room_is_told_so_too(h: Harness) -> None:
    start = NOW + timedelta(days=3)
    draft = SessionDraft(
        start=start, end=start + timedelta(hours=1), resources=[TUTOR], lifecycle="marketplace"
    )
    with pytest.raises(PaymentRequired) as refused:
        h.kit.bookings.book(T, draft, "student:ann", actor="ann", waitlist=True)
    assert refused.value.session_id is None
    assert str(refused.value).startswith(
        "the drafted session is priced and has room for the seats asked for, so waitlist=True "
        "would take them"
    )


def test_a_full_priced_session_still_queues_and_a_seat_asked_for_reads_as_before(
    h: Harness,
) -> None:
    s = slot(h, capacity=1)
    with pytest.raises(PaymentRequired) as refused:  # no waitlist asked for: as before
        h.kit.bookings.book(T, s.id, "student:ann", actor="ann")
    assert str(refused.value) == (
        f"session {s.id!r} is priced: a seat in it is taken by paying, so book it with "
        "kit.payments.book (manual=True, confirm=True for money the host collects itself); "
        "kit.bookings.book only joins its waitlist"
    )
    h.kit.payments.book(T, s.id, "student:ben", actor="ben")
    queued = h.kit.bookings.book(T, s.id, "student:ann", actor="ann", waitlist=True)
    assert queued.status == WAITLISTED


def test_the_waitlist_refusal_pickles_with_its_message() -> None:
    error = PaymentRequired.at_once("s1", waitlist=True)
    found = pickle.loads(pickle.dumps(error))
    assert (type(found), str(found), vars(found)) == (type(error), str(error), vars(error))
    assert vars(error) == {
        "booking_id": None,
        "payment_id": None,
        "status": "missing",
        "session_id": "s1",
        "reason": str(error).split(": ", 1)[1],  # what to do instead: pay
    }
    assert str(PaymentRequired.at_once("s1")).endswith("kit.bookings.book only joins its waitlist")
