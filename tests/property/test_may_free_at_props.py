"""``may_free_at`` against a naive oracle: the first hold expiry after which the request fits.

For any confirmed seats and holds of a session (booked at increasing instants, each held for its
own time), a newcomer refused with ``CapacityExceeded`` is told the earliest expiry ``t`` of a
hold still running such that the capacity, less the confirmed seats and the holds running past
``t``, leaves the seats asked for; ``None`` when no such expiry exists. ``can_book`` answers
the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from sessionkit.errors import CapacityExceeded
from sessionkit.policies import BookingRules
from sessionkit.services._seats import may_free_at
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

running_holds = st.lists(
    st.tuples(st.integers(0, 30).map(lambda m: NOW + m * MINUTE), st.integers(1, 3)), max_size=8
)


@given(running=running_holds, need=st.integers(1, 10))
def test_the_instant_is_the_first_expiry_by_which_enough_runs_out(
    running: list[tuple[datetime, int]], need: int
) -> None:
    enough = [at for at, _ in running if sum(n for t, n in running if t <= at) >= need]
    assert may_free_at(running, need) == min(enough, default=None)


booking = st.tuples(
    st.booleans(),  # confirmed, else held
    st.integers(1, 2),  # seats
    st.integers(1, 60),  # held for, in minutes
    st.integers(0, 20),  # minutes after the previous command
)


@given(capacity=st.integers(1, 4), made=st.lists(booking, max_size=6), data=st.data())
def test_a_newcomer_is_told_when_the_holds_may_make_room(
    capacity: int, made: list[tuple[bool, int, int, int]], data: st.DataObject
) -> None:
    h = Harness.in_memory(NOW, booking_rules=BookingRules())
    session = h.kit.sessions.create_extra(
        T,
        actor=None,
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=1),
        lifecycle="lms",
        capacity=capacity,
    )
    at, stored = NOW, []
    for n, (confirm, seats, hold, gap) in enumerate(made):
        at += gap * MINUTE
        if seats > capacity:
            continue
        try:
            stored.append(
                h.kit.bookings.book(
                    T,
                    session.id,
                    f"student:p{n}",
                    actor=None,
                    seats=seats,
                    confirm=confirm,
                    hold_for=hold * MINUTE,
                    now=at,
                )
            )
        except CapacityExceeded:
            continue
    asked = data.draw(st.integers(1, capacity), label="asked")
    at += data.draw(st.integers(0, 30), label="then") * MINUTE
    confirmed = sum(b.seats for b in stored if b.hold_expires_at is None)
    held = [(b.hold_expires_at, b.seats) for b in stored if b.hold_expires_at is not None]
    held = [(end, seats) for end, seats in held if end > at]
    free = capacity - confirmed - sum(s for _, s in held)
    answer = h.kit.bookings.can_book(T, session.id, "student:new", seats=asked, now=at)
    if free >= asked:
        assert answer is None
        h.kit.bookings.book(T, session.id, "student:new", actor=None, seats=asked, now=at)
        return
    with pytest.raises(CapacityExceeded) as caught:
        h.kit.bookings.book(T, session.id, "student:new", actor=None, seats=asked, now=at)
    fits = [
        end for end, _ in held if capacity - confirmed - sum(s for e, s in held if e > end) >= asked
    ]
    event("refused, room in sight" if fits else "refused, none in sight")
    assert (caught.value.taken, caught.value.may_free_at) == (
        capacity - free,
        min(fits, default=None),
    )
    assert answer is not None  # the "book" button says the same, before the command
    assert (answer.rule, answer.may_free_at) == ("capacity", caught.value.may_free_at)
