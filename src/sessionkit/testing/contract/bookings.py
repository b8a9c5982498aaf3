"""The contract of the bookings kind: the generic rules plus seats, doubles and the booking reads.

:class:`BookingsRepositoryContract` fills in the generic
:class:`~sessionkit.testing.contract.RepositoryContract` (and its
:class:`~sessionkit.testing.contract.ParentsContract` rules: a booking's
session must exist, and a session with bookings is not deleted) for
:data:`~sessionkit.ports.BOOKINGS`, and adds what
:class:`~sessionkit.ports.BookingRepository` promises beyond it. Subclass it
once per adapter and implement ``make_store``.

Bookings sit in sessions without resources (nothing they could conflict on),
each with a capacity of :data:`ROOMY` unless a test says otherwise; a
booking's instant is its ``created_at`` (or ``updated_at``), hours after
:data:`~sessionkit.testing.contract.T0` as in ``make_session``.
"""

from __future__ import annotations

import attrs
import pytest

from sessionkit.errors import (
    AlreadyBooked,
    BookingNotFound,
    CapacityExceeded,
    DuplicateBooking,
    SessionNotFound,
)
from sessionkit.model.booking import CANCELLED, CONFIRMED, EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._booking_support import (
    ROOMY,
    at_hours,
    booking_ids,
    make_booking,
    make_booking_session,
)
from sessionkit.testing.contract._support import OTHER_TENANT, TENANT
from sessionkit.testing.contract.booking_listing import BookableContract
from sessionkit.testing.contract.booking_reads import BookingReadsContract
from sessionkit.testing.contract.booking_settled import SettledAddContract
from sessionkit.testing.contract.booking_tenant_reads import TenantBookingsContract

__all__ = ["ROOMY", "BookingsRepositoryContract", "make_booking", "make_booking_session"]


class BookingsRepositoryContract(
    SettledAddContract, BookingReadsContract, TenantBookingsContract, BookableContract
):
    """The contract of :data:`~sessionkit.ports.BOOKINGS`; implement ``make_store``."""

    # ------------------------------------------------------------------ seats

    def test_capacity_is_refused_with_its_numbers_and_nothing_written(self, store: Factory) -> None:
        """Seats past the capacity: ``CapacityExceeded`` with the numbers; the unit stays usable."""
        self.open_sessions(store, make_booking_session("s1", capacity=3))
        self.keep(store, make_booking("a"), make_booking("b"))
        with store() as uow:
            repo = self.bookings(uow)
            with pytest.raises(CapacityExceeded) as caught:
                repo.add(make_booking("c", seats=2))
            error = caught.value
            assert isinstance(error, ValueError)
            assert (error.session_id, error.capacity, error.taken) == ("s1", 3, 2)
            assert (error.asked, error.remaining) == (2, 1)
            assert repo.get_many(TENANT, ["c"]) == []
            repo.add(make_booking("d"))
            uow.commit()
        with store() as uow:
            assert booking_ids(self.bookings(uow).for_session(TENANT, "s1")) == ["a", "b", "d"]

    def test_a_batch_past_capacity_writes_nothing(self, store: Factory) -> None:
        """A batch is judged in order, each booking counting the ones before it: all or none."""
        self.open_sessions(store, make_booking_session("s1", capacity=2))
        batch = [make_booking("a"), make_booking("b"), make_booking("c")]
        with store() as uow:
            with pytest.raises(CapacityExceeded) as caught:
                self.bookings(uow).add_many(batch)
            assert (caught.value.taken, caught.value.asked) == (2, 1)
            assert self.bookings(uow).get_many(TENANT, ["a", "b", "c"]) == []

    def test_an_expired_hold_takes_no_seat_an_unexpired_one_does(self, store: Factory) -> None:
        """Holds count until ``hold_expires_at`` (exclusive), at the new booking's own instant."""
        self.open_sessions(store, make_booking_session("s1", capacity=2))
        # Both still stored as HELD: no job has expired the first one.
        lapsed = make_booking("lapsed", status=HELD, hold_until=-10, created=-20)
        live = make_booking("live", status=HELD, hold_until=-9, created=-20)
        self.keep(store, lapsed, live)
        with store() as uow:
            # At -10 the first hold has just run out: one seat taken, one free.
            self.bookings(uow).add(make_booking("a", created=-10))
            with pytest.raises(CapacityExceeded) as caught:
                self.bookings(uow).add(make_booking("b", created=-10))
            assert caught.value.taken == 2
            uow.commit()
        with store() as uow:
            # Later the second hold has run out too: judged at b's instant, it fits.
            self.bookings(uow).add(make_booking("b", created=-9))
            uow.commit()

    def test_an_expired_offer_takes_no_seat_an_unexpired_one_does(self, store: Factory) -> None:
        """Waitlist offers count until ``hold_expires_at`` (exclusive), as holds do."""
        self.open_sessions(store, make_booking_session("s1", capacity=2))
        # Both still stored as OFFERED: no job has expired the first one.
        lapsed = make_booking("lapsed", status=OFFERED, hold_until=-10, created=-20, position=1)
        live = make_booking("live", status=OFFERED, hold_until=-9, created=-20, position=2)
        self.keep(store, lapsed, live)
        with store() as uow:
            # At -10 the first offer has just run out: one seat taken, one free.
            self.bookings(uow).add(make_booking("a", created=-10))
            with pytest.raises(CapacityExceeded) as caught:
                self.bookings(uow).add(make_booking("b", created=-10))
            assert (caught.value.taken, caught.value.remaining) == (2, 0)
            uow.commit()
        with store() as uow:
            # Later the second offer has run out too: judged at b's instant, it fits.
            self.bookings(uow).add(make_booking("b", created=-9))
            uow.commit()
        with store() as uow:
            assert self.bookings(uow).seats_taken(TENANT, ["s1"], at=at_hours(-9)) == {"s1": 2}

    def test_a_waitlisted_booking_takes_no_seat(self, store: Factory) -> None:
        """A full session still takes waitlisted bookings; they count for nothing."""
        self.open_sessions(store, make_booking_session("s1", capacity=1))
        self.keep(store, make_booking("a"))
        with store() as uow:
            self.bookings(uow).add(make_booking("w", status=WAITLISTED, position=1))
            uow.commit()
        with store() as uow:
            assert self.bookings(uow).seats_taken(TENANT, ["s1"], at=at_hours(0)) == {"s1": 1}

    def test_a_cancelled_booking_frees_its_seat_and_participant(self, store: Factory) -> None:
        """Once cancelled, a booking takes no seat and its participant may book again.

        Its idempotency key blocks no new booking of the seat (made with another
        key), and still finds the cancelled booking, for replays of its request.
        """
        self.open_sessions(store, make_booking_session("s1", capacity=1))
        self.keep(store, make_booking("a", participant="student:ana", key="first"))
        with store() as uow:
            repo = self.bookings(uow)
            stored = repo.get(TENANT, "a")
            gone = attrs.evolve(stored, status=CANCELLED, updated_at=at_hours(-40))
            gone = repo.update(gone, expected_version=1)
            repo.add(make_booking("again", participant="student:ana", created=-30, key="second"))
            uow.commit()
        with store() as uow:
            repo = self.bookings(uow)
            assert booking_ids(repo.for_session(TENANT, "s1", statuses=[CONFIRMED])) == ["again"]
            assert repo.by_key(TENANT, "first") == gone
            assert repo.by_key(TENANT, "second") == repo.get(TENANT, "again")

    def test_an_update_adding_seats_past_capacity_is_refused(self, store: Factory) -> None:
        """An update counts the others, not the booking's own stored seats."""
        self.open_sessions(store, make_booking_session("s1", capacity=3))
        self.keep(store, make_booking("a"), make_booking("b"))
        with store() as uow:
            repo = self.bookings(uow)
            b = repo.get(TENANT, "b")
            b2 = repo.update(attrs.evolve(b, seats=2, updated_at=at_hours(-40)), expected_version=1)
            with pytest.raises(CapacityExceeded) as caught:
                repo.update(attrs.evolve(b2, seats=3, updated_at=at_hours(-30)), expected_version=2)
            error = caught.value
            assert (error.capacity, error.taken, error.asked, error.remaining) == (3, 1, 3, 2)
            assert repo.get(TENANT, "b") == b2
            uow.commit()
        with store() as uow:
            assert self.bookings(uow).get(TENANT, "b").seats == 2

    @pytest.mark.parametrize(
        ("before", "after"),
        [
            (WAITLISTED, CONFIRMED),
            (CANCELLED, CONFIRMED),
            (CANCELLED, HELD),
            (CANCELLED, OFFERED),
            (EXPIRED, CONFIRMED),
            (EXPIRED, HELD),
            (EXPIRED, OFFERED),
        ],
    )
    def test_an_update_into_a_seat_in_a_full_session_is_refused(
        self, store: Factory, before: str, after: str
    ) -> None:
        """A status change alone that takes a seat counts too: ``CapacityExceeded``, unchanged.

        Confirming a waitlisted booking, or putting a cancelled or expired one
        back in play (held, offered, confirmed), takes its seats like a new
        booking; in a full session ``update`` refuses it and writes nothing,
        and the same update fits once another booking frees a seat.
        """
        self.open_sessions(store, make_booking_session("s1", capacity=2))
        waiting = make_booking(
            "w",
            status=before,
            position=1 if before == WAITLISTED else None,
            hold_until=-45 if before == EXPIRED else None,
        )
        self.keep(store, make_booking("a"), make_booking("b"), waiting)
        seated = attrs.evolve(
            waiting,
            status=after,
            position=None,
            hold_expires_at=at_hours(10) if after in (HELD, OFFERED) else None,
            updated_at=at_hours(-40),
            updated_by="contract",
        )
        with store() as uow:
            repo = self.bookings(uow)
            with pytest.raises(CapacityExceeded) as caught:
                repo.update(seated, expected_version=1)
            error = caught.value
            assert (error.session_id, error.capacity, error.taken) == ("s1", 2, 2)
            assert (error.asked, error.remaining) == (1, 0)
            assert repo.get(TENANT, "w") == waiting
            assert repo.seats_taken(TENANT, ["s1"], at=at_hours(-40)) == {"s1": 2}
            # The unit stays usable: with a seat freed the same change fits.
            a = repo.get(TENANT, "a")
            repo.update(
                attrs.evolve(a, status=CANCELLED, updated_at=at_hours(-41)), expected_version=1
            )
            repo.update(seated, expected_version=1)
            uow.commit()
        with store() as uow:
            assert self.bookings(uow).get(TENANT, "w") == attrs.evolve(seated, version=2)

    def test_bookings_keep_their_seats_when_the_capacity_is_lowered(self, store: Factory) -> None:
        """Capacity is checked on what a write adds, not on seats a booking holds already.

        A host lowers a session's capacity below its booked seats (its own
        admin, say): a hold there can still be confirmed and a booking moved
        in time, as neither takes a seat more; a newcomer, an offer to the
        waitlist and a booking asking for more seats are refused
        (``CapacityExceeded``) until enough seats free.
        """
        self.open_sessions(store, make_booking_session("s1", capacity=3))
        held = make_booking("h", status=HELD, hold_until=10)
        waiting = make_booking("w", status=WAITLISTED, position=1)
        self.keep(store, make_booking("a"), make_booking("b"), held, waiting)
        with store() as uow:
            session = uow.sessions.get(TENANT, "s1")
            uow.sessions.update(attrs.evolve(session, capacity=1), expected_version=session.version)
            uow.commit()
        confirmed = attrs.evolve(
            held, status=CONFIRMED, hold_expires_at=None, updated_at=at_hours(-40)
        )
        offered = attrs.evolve(
            waiting,
            status=OFFERED,
            position=None,
            hold_expires_at=at_hours(10),
            updated_at=at_hours(-40),
        )
        with store() as uow:
            repo = self.bookings(uow)
            assert repo.update(confirmed, expected_version=1).status == CONFIRMED
            a = repo.get(TENANT, "a")
            moved = repo.update(attrs.evolve(a, updated_at=at_hours(-39)), expected_version=1)
            assert moved.version == 2
            with pytest.raises(CapacityExceeded) as caught:
                repo.update(offered, expected_version=1)
            assert (caught.value.capacity, caught.value.taken, caught.value.asked) == (1, 3, 1)
            more = attrs.evolve(moved, seats=2, updated_at=at_hours(-38))
            with pytest.raises(CapacityExceeded):
                repo.update(more, expected_version=2)
            with pytest.raises(CapacityExceeded):
                repo.add(make_booking("n", created=-38))
            uow.commit()
        with store() as uow:
            repo = self.bookings(uow)
            assert repo.get(TENANT, "h").status == CONFIRMED
            assert repo.get(TENANT, "w") == waiting
            assert repo.get(TENANT, "a").seats == 1
            assert booking_ids(repo.get_many(TENANT, ["n"])) == []

    def test_a_participant_has_one_booking_in_play_per_session(self, store: Factory) -> None:
        """A second held, confirmed, waitlisted or offered booking: ``AlreadyBooked``."""
        self.open_sessions(store, make_booking_session("s1"), make_booking_session("s2", at=3))
        self.keep(store, make_booking("w", participant="student:ana", status=WAITLISTED))
        with store() as uow:
            repo = self.bookings(uow)
            with pytest.raises(AlreadyBooked) as caught:
                repo.add(make_booking("x", participant="student:ana", status=HELD, hold_until=9))
            error = caught.value
            assert isinstance(error, ValueError)
            assert (error.session_id, error.participant) == ("s1", "student:ana")
            assert (error.booking_id, error.status) == ("w", WAITLISTED)
            # Another session, or another participant with the same id, is fine.
            repo.add(make_booking("y", participant="student:ana", session_id="s2", at=3))
            repo.add(make_booking("z", participant="tutor:ana"))
            # Within one batch too.
            twins = [
                make_booking("p", participant="student:bo"),
                make_booking("q", participant="student:bo", status=OFFERED, hold_until=9),
            ]
            with pytest.raises(AlreadyBooked) as twice:
                repo.add_many(twins)
            assert twice.value.booking_id == "p"
            assert repo.get_many(TENANT, ["p", "q"]) == []
            uow.commit()
        assert self.ids(store, TENANT, ["w", "x", "y", "z"]) == ["w", "y", "z"]

    def test_a_replayed_key_on_a_full_session_is_a_duplicate(self, store: Factory) -> None:
        """A command replayed after its booking filled the session: ``DuplicateBooking`` first.

        Not ``CapacityExceeded`` nor ``AlreadyBooked``, so the caller can hand
        back the booking the first request made.
        """
        self.open_sessions(store, make_booking_session("s1", capacity=1))
        first = make_booking("a", participant="student:ana", key="req-1")
        self.keep(store, first)
        with store() as uow:
            with pytest.raises(DuplicateBooking) as caught:
                self.bookings(uow).add(make_booking("b", participant="student:ana", key="req-1"))
            assert caught.value.key == "idempotency"
            assert caught.value.existing == first

    # ------------------------------------------------------------------ tenants and locks

    def test_lock_session_returns_the_session(self, store: Factory) -> None:
        """``lock_session`` returns the stored session; ``SessionNotFound`` for a missing one."""
        session = make_booking_session("s1", capacity=7)
        self.open_sessions(store, session)
        with store() as uow:
            assert self.bookings(uow).lock_session(TENANT, "s1") == session
            with pytest.raises(SessionNotFound):
                self.bookings(uow).lock_session(TENANT, "nowhere")

    def test_another_tenants_session_and_bookings_are_invisible(self, store: Factory) -> None:
        """Another tenant's session is missing to this one, and so are its bookings."""
        self.open_sessions(store, make_booking_session("s1"))
        self.keep(store, make_booking("a"))
        with store() as uow:
            repo = self.bookings(uow)
            with pytest.raises(SessionNotFound) as caught:
                repo.lock_session(OTHER_TENANT, "s1")
            assert caught.value.tenant == OTHER_TENANT
            with pytest.raises(BookingNotFound):
                repo.get(OTHER_TENANT, "a")
            with pytest.raises(SessionNotFound):
                repo.add(make_booking("b", tenant=OTHER_TENANT))
            assert repo.get_many(OTHER_TENANT, ["a", "b"]) == []
