"""Bookings against a simple oracle: random book / confirm / cancel / expire / clock steps.

Whatever the order, the seats taken at any instant never pass the capacity,
every participant has at most one booking in play per session, the waitlist
is offered strictly in order, and the seats the store reports (free seats and
the bookable sessions) equal the oracle's: the capacity less the bookings that
take seats at that instant and the seats owed to the waitlist (none once the
session started, as a started session takes no bookings), and a newcomer's
``can_book`` agrees with the listing. The clock may jump past the sessions'
starts: the expiry job then leaves no waitlist place of a started session.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sessionkit.errors import (
    AlreadyBooked,
    BookingRefused,
    CancelRefused,
    CapacityExceeded,
    HoldExpired,
    InvalidTransition,
)
from sessionkit.model import Session
from sessionkit.model.booking import OFFERED, WAITLISTED, Booking
from sessionkit.policies import BookingRules
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
PEOPLE = [f"student:p{i}" for i in range(6)]
NEWCOMER = "student:new"
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(minutes=30))


class Seats(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.h = Harness.in_memory(NOW, booking_rules=RULES)
        self.sessions: list[Session] = []
        for capacity in (1, 2, 3):
            self.sessions.append(
                self.h.kit.sessions.create_extra(
                    T,
                    actor=None,
                    start=NOW + timedelta(days=capacity),
                    end=NOW + timedelta(days=capacity, hours=1),
                    lifecycle="lms",
                    capacity=capacity,
                )
            )
        self.ids: list[str] = []

    @rule(
        which=st.integers(0, 2),
        who=st.sampled_from(PEOPLE),
        seats=st.integers(1, 3),
        confirm=st.booleans(),
        waitlist=st.booleans(),
    )
    def book(self, which: int, who: str, seats: int, confirm: bool, waitlist: bool) -> None:
        session = self.sessions[which]
        if seats > session.capacity:
            return
        try:
            booking = self.h.kit.bookings.book(
                T, session.id, who, actor=None, seats=seats, confirm=confirm, waitlist=waitlist
            )
        except (CapacityExceeded, AlreadyBooked, BookingRefused):  # refused: it started
            return
        self.ids.append(booking.id)

    @precondition(lambda self: bool(self.ids))
    @rule(pick=st.integers(0, 10_000))
    def confirm(self, pick: int) -> None:
        with contextlib.suppress(HoldExpired, InvalidTransition):
            self.h.kit.bookings.confirm(T, self.ids[pick % len(self.ids)], actor=None)

    @precondition(lambda self: bool(self.ids))
    @rule(pick=st.integers(0, 10_000))
    def cancel(self, pick: int) -> None:
        booking_id = self.ids[pick % len(self.ids)]
        try:
            self.h.kit.bookings.cancel(T, booking_id, actor=None)
        except InvalidTransition:
            pass
        except CancelRefused as refused:  # only a confirmed seat of a session that is over
            booking = self.h.kit.bookings.get(T, booking_id)
            over = (refused.rule, booking.session_end <= self.h.clock.now())
            assert over == ("ended", True)

    @rule(minutes=st.integers(1, 40))
    def tick(self, minutes: int) -> None:
        self.h.clock.advance(timedelta(minutes=minutes))

    @rule(hours=st.integers(6, 30))
    def jump(self, hours: int) -> None:
        self.h.clock.advance(timedelta(hours=hours))

    @rule()
    def expire(self) -> None:
        self.h.kit.expire_holds(T)
        now = self.h.clock.now()
        for session in self.sessions:
            if session.start <= now:
                statuses = {b.status for b in self._bookings(session.id)}
                assert WAITLISTED not in statuses, (session.start, now)

    def _bookings(self, session_id: str) -> list[Booking]:
        return self.h.kit.bookings.for_session(T, session_id)

    @invariant()
    def seats_never_pass_capacity_and_match_the_oracle(self) -> None:
        now = self.h.clock.now()
        remaining = self.h.kit.bookings.remaining_seats(T, [s.id for s in self.sessions])
        listed = self.h.kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=7))
        bookable = {b.session_id: (b.taken, b.remaining) for b in listed}
        for session in self.sessions:
            bookings = self._bookings(session.id)
            taken = sum(b.seats for b in bookings if b.takes_seats(now))
            assert taken <= session.capacity
            owed = sum(b.seats for b in bookings if b.status == WAITLISTED)
            started = session.start <= now
            free = 0 if started else max(0, session.capacity - taken - owed)
            assert remaining[session.id] == free
            expected = (taken, free) if free >= 1 else None
            assert bookable.get(session.id) == expected
            # A newcomer's "book" button agrees with the listing.
            refusal = self.h.kit.bookings.can_book(T, session.id, NEWCOMER)
            assert (refusal is None) == (expected is not None), (refusal, expected)

    @invariant()
    def one_booking_in_play_per_participant_and_session(self) -> None:
        for session in self.sessions:
            active = [b.participant for b in self._bookings(session.id) if b.active]
            assert len(active) == len(set(active))

    @invariant()
    def the_waitlist_is_served_in_order(self) -> None:
        for session in self.sessions:
            queue = [b for b in self._bookings(session.id) if b.position is not None]
            positions = [b.position or 0 for b in queue]
            assert positions == sorted(positions)
            assert len(set(positions)) == len(positions)
            # Nobody still waiting stands before someone who got an offer.
            waiting = [b.position or 0 for b in queue if b.status == WAITLISTED]
            offered = [b.position or 0 for b in queue if b.status == OFFERED]
            if waiting and offered:
                assert max(offered) < min(waiting)


TestSeats = Seats.TestCase
TestSeats.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
