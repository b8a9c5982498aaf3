"""The contract of ``BookingRepository.add_settled``: one write when nothing needs settling.

Every case is judged against what the long way (``seating``, then ``add``)
would find: the booking is stored only when the session has no run-out hold
or offer, nobody waiting, nothing in play for the participant, the id and key
free and room for its seats; otherwise nothing is written and the answer is
``False``, never an error. Mixed into
:class:`~sessionkit.testing.contract.BookingsRepositoryContract`.
"""

from __future__ import annotations

import pytest

from sessionkit.model.booking import CONFIRMED, HELD, OFFERED, WAITLISTED, Booking
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._booking_support import (
    BookingContractBase,
    booking_ids,
    make_booking,
    make_booking_session,
)
from sessionkit.testing.contract._support import TENANT

__all__ = ["SettledAddContract"]


class SettledAddContract(BookingContractBase):
    """``add_settled``: stored when the session is settled and has room, else ``False``."""

    def settled_add(self, store: Factory, booking: Booking) -> bool:
        """Lock the booking's session, try ``add_settled`` and commit; return its answer."""
        with store() as uow:
            repo = self.bookings(uow)
            repo.lock_session(booking.tenant, booking.session_id)
            added = repo.add_settled(booking)
            uow.commit()
        return added

    def in_s1(self, store: Factory) -> list[str]:
        """Return the ids of the bookings of ``s1``."""
        with store() as uow:
            return booking_ids(self.bookings(uow).for_session(TENANT, "s1"))

    def test_a_settled_session_with_room_takes_the_booking(self, store: Factory) -> None:
        """Room, nobody waiting, nothing run out: stored as given, key and all."""
        self.open_sessions(store, make_booking_session("s1", capacity=2))
        self.keep(store, make_booking("a"))
        new = make_booking("b", status=HELD, hold_until=-40, created=-45, key="k-b")
        assert self.settled_add(store, new) is True
        with store() as uow:
            assert self.bookings(uow).get(TENANT, "b") == new
            assert self.bookings(uow).by_key(TENANT, "k-b") == new

    @pytest.mark.parametrize(
        ("blocking", "why"),
        [
            (make_booking("w", status=WAITLISTED, position=1), "somebody waits"),
            (make_booking("h", status=HELD, hold_until=-50, created=-60), "a hold ran out"),
            (make_booking("o", status=OFFERED, hold_until=-50, created=-60), "an offer ran out"),
            (make_booking("mine", participant="student:new"), "the participant is in"),
            (make_booking("x", key="taken"), "the key is taken"),
            (make_booking("new", participant="student:other"), "the id is taken"),
        ],
    )
    def test_anything_to_settle_or_refuse_stores_nothing(
        self, store: Factory, blocking: Booking, why: str
    ) -> None:
        """Each case the long way would settle or refuse: ``False`` and nothing written."""
        self.open_sessions(store, make_booking_session("s1", capacity=5))
        self.keep(store, blocking)
        new = make_booking("new", participant="student:new", key="taken", created=-45)
        assert self.settled_add(store, new) is False, why
        assert self.in_s1(store) == [blocking.id], why

    def test_a_full_session_stores_nothing(self, store: Factory) -> None:
        """No room at the booking's instant: ``False``, nothing written."""
        self.open_sessions(store, make_booking_session("s1", capacity=2))
        self.keep(store, make_booking("a"), make_booking("b", status=HELD, hold_until=-40))
        assert self.settled_add(store, make_booking("c", created=-45)) is False
        assert self.in_s1(store) == ["a", "b"]
        # Once the hold has run out it is something to settle: still no single-write booking.
        assert self.settled_add(store, make_booking("c", created=-40)) is False

    def test_a_live_hold_or_offer_is_no_reason_to_settle(self, store: Factory) -> None:
        """Holds and offers still running take their seats and leave the session settled."""
        self.open_sessions(store, make_booking_session("s1", capacity=3))
        self.keep(
            store,
            make_booking("h", status=HELD, hold_until=-30, created=-60),
            make_booking("o", status=OFFERED, hold_until=-30, created=-60),
        )
        assert self.settled_add(store, make_booking("c", status=CONFIRMED, created=-45)) is True
        assert self.settled_add(store, make_booking("d", created=-44)) is False  # full
        assert self.in_s1(store) == ["h", "o", "c"]  # by creation
