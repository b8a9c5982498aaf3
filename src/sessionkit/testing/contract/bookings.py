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

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs
import pytest

from sessionkit.errors import (
    AlreadyBooked,
    BookingNotFound,
    CapacityExceeded,
    DuplicateBooking,
    SessionNotFound,
)
from sessionkit.model.booking import CANCELLED, CONFIRMED, HELD, OFFERED, WAITLISTED, Booking
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import BOOKINGS, BookingRepository, UnitOfWork
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import OTHER_TENANT, T0, TENANT, make_session
from sessionkit.testing.contract.parents import ParentsContract
from sessionkit.timespan import TimeSpan

__all__ = ["ROOMY", "BookingsRepositoryContract", "make_booking", "make_booking_session"]

ROOMY = 100
"""The capacity of the sessions :meth:`BookingsRepositoryContract.prepare` adds."""


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_booking_session(
    session_id: str, *, tenant: str = TENANT, capacity: int = ROOMY, at: float = 0.0
) -> Session:
    """Return a bookable session: no resources, ``capacity`` seats, ``at`` hours after ``T0``."""
    session = make_session(session_id, tenant=tenant, at=at, resources=(), busy=False)
    return attrs.evolve(session, capacity=capacity)


def make_booking(
    booking_id: str,
    *,
    tenant: str = TENANT,
    session_id: str = "s1",
    participant: str | None = None,
    seats: int = 1,
    status: str = CONFIRMED,
    hold_until: float | None = None,
    created: float = -50.0,
    updated: float | None = None,
    key: str | None = None,
    position: int | None = None,
    at: float = 0.0,
) -> Booking:
    """Return a booking of ``session_id`` (a one-hour session ``at`` hours after ``T0``).

    ``participant`` defaults to ``student:<booking_id>``; ``hold_until``,
    ``created`` and ``updated`` are hours after :data:`T0`.
    """
    start = _at(at)
    return Booking(
        id=booking_id,
        tenant=tenant,
        session_id=session_id,
        participant=participant or f"student:{booking_id}",
        seats=seats,
        status=status,
        hold_expires_at=None if hold_until is None else _at(hold_until),
        session_start=start,
        session_end=start + timedelta(hours=1),
        position=position,
        idempotency_key=key,
        created_at=_at(created),
        created_by="contract",
        updated_at=None if updated is None else _at(updated),
        updated_by=None if updated is None else "contract",
    )


def _ids(bookings: Sequence[Booking]) -> list[str]:
    return [b.id for b in bookings]


class BookingsRepositoryContract(ParentsContract[Booking]):
    """The contract of :data:`~sessionkit.ports.BOOKINGS`; implement ``make_store``."""

    kind = BOOKINGS

    # ------------------------------------------------------------------ the generic contract

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Booking:
        """Return a confirmed booking of ``s1`` by ``student:<record_id>``, keyed by ``variant``."""
        return make_booking(record_id, tenant=tenant, key=f"key-{variant}")

    def change(self, record: Booking) -> Booking:
        """Return the booking with another role."""
        return attrs.evolve(record, role=record.role + "-changed")

    def prepare(self, uow: UnitOfWork, records: Sequence[Booking]) -> None:
        """Add the bookings' sessions (:data:`ROOMY` seats each) that are not stored yet."""
        for tenant, session_id in sorted({(r.tenant, r.session_id) for r in records}):
            try:
                uow.sessions.get(tenant, session_id)
            except SessionNotFound:
                uow.sessions.add(make_booking_session(session_id, tenant=tenant))

    def collide(self, record: Booking, new_id: str) -> Booking:
        """Return a booking by another participant with the same idempotency key."""
        return attrs.evolve(record, id=new_id, participant=ResourceRef("student", new_id))

    # ------------------------------------------------------------------ helpers

    def bookings(self, uow: UnitOfWork) -> BookingRepository:
        """Return the unit's booking repository."""
        return uow.repository(BOOKINGS)

    def open_sessions(self, store: Factory, *sessions: Session) -> None:
        """Store ``sessions`` in one committed unit of work."""
        with store() as uow:
            uow.sessions.add_many(sessions)
            uow.commit()

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
            assert _ids(self.bookings(uow).for_session(TENANT, "s1")) == ["a", "b", "d"]

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

    def test_a_waitlisted_booking_takes_no_seat(self, store: Factory) -> None:
        """A full session still takes waitlisted bookings; they count for nothing."""
        self.open_sessions(store, make_booking_session("s1", capacity=1))
        self.keep(store, make_booking("a"))
        with store() as uow:
            self.bookings(uow).add(make_booking("w", status=WAITLISTED, position=1))
            uow.commit()
        with store() as uow:
            assert self.bookings(uow).seats_taken(TENANT, ["s1"], at=_at(0)) == {"s1": 1}

    def test_a_cancelled_booking_frees_its_seat_and_participant(self, store: Factory) -> None:
        """Once cancelled, a booking takes no seat and its participant may book again."""
        self.open_sessions(store, make_booking_session("s1", capacity=1))
        self.keep(store, make_booking("a", participant="student:ana"))
        with store() as uow:
            repo = self.bookings(uow)
            stored = repo.get(TENANT, "a")
            gone = attrs.evolve(stored, status=CANCELLED, updated_at=_at(-40))
            repo.update(gone, expected_version=1)
            repo.add(make_booking("again", participant="student:ana", created=-30))
            uow.commit()
        with store() as uow:
            found = self.bookings(uow).for_session(TENANT, "s1", statuses=[CONFIRMED])
            assert _ids(found) == ["again"]

    def test_an_update_adding_seats_past_capacity_is_refused(self, store: Factory) -> None:
        """An update counts the others, not the booking's own stored seats."""
        self.open_sessions(store, make_booking_session("s1", capacity=3))
        self.keep(store, make_booking("a"), make_booking("b"))
        with store() as uow:
            repo = self.bookings(uow)
            b = repo.get(TENANT, "b")
            b2 = repo.update(attrs.evolve(b, seats=2, updated_at=_at(-40)), expected_version=1)
            with pytest.raises(CapacityExceeded) as caught:
                repo.update(attrs.evolve(b2, seats=3, updated_at=_at(-30)), expected_version=2)
            error = caught.value
            assert (error.capacity, error.taken, error.asked, error.remaining) == (3, 1, 3, 2)
            assert repo.get(TENANT, "b") == b2
            uow.commit()
        with store() as uow:
            assert self.bookings(uow).get(TENANT, "b").seats == 2

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

    # ------------------------------------------------------------------ reads

    def test_for_session_orders_by_position_creation_then_id(self, store: Factory) -> None:
        """Positioned bookings first by position, then the rest by creation, ties by id."""
        self.open_sessions(store, make_booking_session("s1"), make_booking_session("s2", at=3))
        self.keep(
            store,
            make_booking("late", created=-10),
            make_booking("w2", status=WAITLISTED, position=2, created=-40),
            make_booking("w1", status=WAITLISTED, position=1, created=-30),
            make_booking("b", created=-20),
            make_booking("a", created=-20),
            make_booking("off", status=CANCELLED, created=-60),
            make_booking("elsewhere", session_id="s2", at=3),
        )
        with store() as uow:
            repo = self.bookings(uow)
            assert _ids(repo.for_session(TENANT, "s1")) == ["w1", "w2", "off", "a", "b", "late"]
            waiting = repo.for_session(TENANT, "s1", statuses=[WAITLISTED])
            assert _ids(waiting) == ["w1", "w2"]
            assert repo.for_session(TENANT, "s1", statuses=[]) == []
            assert repo.for_session(TENANT, "nowhere") == []
            assert repo.for_session(OTHER_TENANT, "s1") == []

    def test_seats_taken_counts_per_session_at_an_instant(self, store: Factory) -> None:
        """Seats of held, offered and confirmed bookings; lapsed holds and empty sessions left out."""  # noqa: E501
        self.open_sessions(
            store,
            make_booking_session("s1"),
            make_booking_session("s2", at=3),
            make_booking_session("s3", at=6),
            make_booking_session("s1", tenant=OTHER_TENANT),
        )
        self.keep(
            store,
            make_booking("a", seats=2),
            make_booking("h", status=HELD, hold_until=-5, seats=3),
            make_booking("o", status=OFFERED, hold_until=5),
            make_booking("w", status=WAITLISTED),
            make_booking("c", status=CANCELLED, seats=4),
            make_booking("x", session_id="s2", at=3, seats=5),
            make_booking("theirs", tenant=OTHER_TENANT, seats=7),
        )
        with store() as uow:
            repo = self.bookings(uow)
            ids = ["s3", "s2", "s1", "s2", "missing"]
            assert repo.seats_taken(TENANT, ids, at=_at(-10)) == {"s2": 5, "s1": 6}
            assert repo.seats_taken(TENANT, ["s1"], at=_at(-5)) == {"s1": 3}
            assert repo.seats_taken(TENANT, ["s1"], at=_at(5)) == {"s1": 2}
            assert repo.seats_taken(OTHER_TENANT, ["s1", "s2"], at=_at(0)) == {"s1": 7}
            assert repo.seats_taken(TENANT, [], at=_at(0)) == {}

    def test_counts_bookings_per_session_by_status(self, store: Factory) -> None:
        """``counts`` counts bookings of every status (or of ``statuses``) per session."""
        self.open_sessions(
            store,
            make_booking_session("s1"),
            make_booking_session("s2", at=3),
            make_booking_session("s3", at=6),
            make_booking_session("s1", tenant=OTHER_TENANT),
        )
        self.keep(
            store,
            make_booking("a"),
            make_booking("w", status=WAITLISTED),
            make_booking("c", status=CANCELLED),
            make_booking("x", session_id="s2", at=3, status=CANCELLED),
            make_booking("theirs", tenant=OTHER_TENANT),
        )
        with store() as uow:
            repo = self.bookings(uow)
            ids = ["s3", "s2", "s1", "s2", "missing"]
            assert repo.counts(TENANT, ids) == {"s2": 1, "s1": 3}
            assert repo.counts(TENANT, ids, statuses=[CANCELLED]) == {"s2": 1, "s1": 1}
            assert repo.counts(TENANT, ids, statuses=[]) == {}
            assert repo.counts(OTHER_TENANT, ["s1"]) == {"s1": 1}

    def test_by_key_finds_the_booking_a_key_made(self, store: Factory) -> None:
        """``by_key`` returns the booking, ``None`` for an unknown key or another tenant's."""
        self.open_sessions(store, make_booking_session("s1"))
        booking = make_booking("a", key="req-1")
        self.keep(store, booking, make_booking("b"))
        with store() as uow:
            repo = self.bookings(uow)
            assert repo.by_key(TENANT, "req-1") == booking
            assert repo.by_key(TENANT, "req-2") is None
            assert repo.by_key(OTHER_TENANT, "req-1") is None

    def test_for_participant_reads_the_agenda_by_start_then_id(self, store: Factory) -> None:
        """Window (half-open, by session start), statuses, keyset ``after`` and ``limit``."""
        self.open_sessions(store, *(make_booking_session(f"s{n}", at=3 * n) for n in range(1, 5)))
        ana = "student:ana"
        self.keep(
            store,
            make_booking("d4", session_id="s4", at=12, participant=ana),
            make_booking("b2", session_id="s2", at=6, participant=ana, status=HELD, hold_until=1),
            make_booking("a1", session_id="s1", at=3, participant=ana),
            make_booking("c3", session_id="s3", at=9, participant=ana, status=CANCELLED),
            make_booking("z1", session_id="s1", at=3, participant="tutor:ana"),
            make_booking("a3", session_id="s3", at=9, participant=ana, status=WAITLISTED),
            make_booking("o1", session_id="s1", at=3, participant="student:bo"),
        )
        who = ResourceRef("student", "ana")
        with store() as uow:
            repo = self.bookings(uow)
            assert _ids(repo.for_participant(TENANT, who)) == ["a1", "b2", "a3", "c3", "d4"]
            window = TimeSpan(_at(6), _at(12))
            assert _ids(repo.for_participant(TENANT, who, window=window)) == ["b2", "a3", "c3"]
            active = repo.for_participant(TENANT, who, statuses=[CONFIRMED, WAITLISTED])
            assert _ids(active) == ["a1", "a3", "d4"]
            after = repo.for_participant(TENANT, who, after=(_at(9), "a3"), limit=2)
            assert _ids(after) == ["c3", "d4"]
            assert _ids(repo.for_participant(TENANT, who, after=(_at(6), "b2"))) == [
                "a3",
                "c3",
                "d4",
            ]
            assert _ids(repo.for_participant(TENANT, who, limit=2)) == ["a1", "b2"]
            assert repo.for_participant(TENANT, who, statuses=[]) == []
            assert repo.for_participant(OTHER_TENANT, who) == []

    def test_expiring_reads_lapsed_holds_of_every_tenant(self, store: Factory) -> None:
        """Held and offered bookings run out by ``before`` (inclusive), earliest first, capped."""
        self.open_sessions(
            store, make_booking_session("s1"), make_booking_session("s1", tenant=OTHER_TENANT)
        )
        self.keep(
            store,
            make_booking("h1", status=HELD, hold_until=-3),
            make_booking("o1", status=OFFERED, hold_until=-2),
            make_booking("h9", status=HELD, hold_until=-1),
            make_booking("late", status=HELD, hold_until=5),
            make_booking("done", status=CONFIRMED),
            make_booking("h2", tenant=OTHER_TENANT, status=HELD, hold_until=-3),
            make_booking("h3", tenant=OTHER_TENANT, status=HELD, hold_until=-2.5),
        )
        with store() as uow:
            repo = self.bookings(uow)
            everyone = repo.expiring(None, before=_at(-1), limit=10)
            assert [(b.tenant, b.id) for b in everyone] == [
                (TENANT, "h1"),
                (OTHER_TENANT, "h2"),
                (OTHER_TENANT, "h3"),
                (TENANT, "o1"),
                (TENANT, "h9"),
            ]
            assert _ids(repo.expiring(None, before=_at(-1), limit=2)) == ["h1", "h2"]
            assert _ids(repo.expiring(TENANT, before=_at(-2), limit=10)) == ["h1", "o1"]
            assert repo.expiring(OTHER_TENANT, before=_at(-4), limit=10) == []

    def test_next_position_follows_the_last_one(self, store: Factory) -> None:
        """1 for an empty waitlist, then one after the highest position (whatever its status)."""
        self.open_sessions(store, make_booking_session("s1"), make_booking_session("s2", at=3))
        with store() as uow:
            assert self.bookings(uow).next_position(TENANT, "s1") == 1
        self.keep(
            store,
            make_booking("a", status=WAITLISTED, position=1),
            make_booking("b", status=CANCELLED, position=4),
            make_booking("c"),
        )
        with store() as uow:
            repo = self.bookings(uow)
            assert repo.next_position(TENANT, "s1") == 5
            assert repo.next_position(TENANT, "s2") == 1
            assert repo.next_position(OTHER_TENANT, "s1") == 1

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
