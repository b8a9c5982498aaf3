"""The booking reads every adapter answers alike: by session, participant, key, and seats.

:class:`BookingReadsContract` is one topic of
:class:`~sessionkit.testing.contract.BookingsRepositoryContract`: the reads of
:class:`~sessionkit.ports.BookingRepository` but ``bookable``, whose contract
is :class:`~sessionkit.testing.contract.booking_listing.BookableContract`.
"""

from __future__ import annotations

from sessionkit.model.booking import (
    CANCELLED,
    CONFIRMED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
    Seating,
)
from sessionkit.model.session import ResourceRef
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._booking_support import (
    BookingContractBase,
    at_hours,
    booking_ids,
    make_booking,
    make_booking_session,
)
from sessionkit.testing.contract._support import OTHER_TENANT, TENANT, page_through
from sessionkit.timespan import TimeSpan

BEFORE = at_hours(-0.5)
"""Half an hour before ``T0``, when session ``s1`` starts."""

__all__ = ["BookingReadsContract"]


class BookingReadsContract(BookingContractBase):
    """The booking reads: ``for_session``, ``for_sessions``, ``seats_taken``, ``seating``, ...

    ``counts``, ``by_key``, ``for_participant``, ``expiring`` and ``next_position``.
    """

    def keep_listed(self, store: Factory, cancelled: Booking) -> None:
        """Store session ``s1``'s bookings of the listing tests, with ``cancelled`` among them.

        ``w1`` and ``w2`` waitlisted (positions 1 and 2, made after others),
        ``B`` and ``a`` made at one instant (ids compare by code point: ``B``
        first, whatever the database's collation), ``late`` last; one booking
        of ``s2`` beside them.
        """
        self.open_sessions(store, make_booking_session("s1"), make_booking_session("s2", at=3))
        self.keep(
            store,
            make_booking("late", created=-10),
            make_booking("w2", status=WAITLISTED, position=2, created=-40),
            make_booking("w1", status=WAITLISTED, position=1, created=-30),
            make_booking("a", created=-20),
            make_booking("B", created=-20),
            cancelled,
            make_booking("elsewhere", session_id="s2", at=3),
        )

    def test_for_session_orders_by_position_creation_then_id(self, store: Factory) -> None:
        """Positioned bookings first by position, then the rest by creation, ties by id."""
        self.keep_listed(store, make_booking("off", status=CANCELLED, created=-60))
        with store() as uow:
            repo = self.bookings(uow)
            assert booking_ids(repo.for_session(TENANT, "s1")) == [
                "w1",
                "w2",
                "off",
                "B",
                "a",
                "late",
            ]
            waiting = repo.for_session(TENANT, "s1", statuses=[WAITLISTED])
            assert booking_ids(waiting) == ["w1", "w2"]
            assert repo.for_session(TENANT, "s1", statuses=[]) == []
            assert repo.for_session(TENANT, "nowhere") == []
            assert repo.for_session(OTHER_TENANT, "s1") == []

    def test_for_session_pages_in_that_order(self, store: Factory) -> None:
        """``after`` a booking's ``session_order`` and ``limit`` page the order, ties included."""
        self.keep_listed(store, make_booking("c", created=-20, status=CANCELLED))
        order = ["w1", "w2", "B", "a", "c", "late"]
        with store() as uow:
            repo = self.bookings(uow)

            def pages_of(size: int) -> list[Booking]:
                return page_through(
                    lambda after: repo.for_session(TENANT, "s1", after=after, limit=size),
                    lambda booking: booking.session_order,
                    rows=len(order),
                    what=f"for_session(limit={size})",
                )

            for size in (1, 2, 4, 6, 7):
                assert booking_ids(pages_of(size)) == order, size
            placed, unplaced = repo.for_session(TENANT, "s1", limit=3)[1:3]
            after_placed = repo.for_session(TENANT, "s1", after=placed.session_order)
            assert booking_ids(after_placed) == order[2:]
            rest = repo.for_session(TENANT, "s1", after=unplaced.session_order, limit=2)
            assert booking_ids(rest) == ["a", "c"]
            kept = repo.for_session(
                TENANT, "s1", statuses=[CONFIRMED], after=unplaced.session_order
            )
            assert booking_ids(kept) == ["a", "late"]
            last = repo.for_session(TENANT, "s1")[-1]
            assert repo.for_session(TENANT, "s1", after=last.session_order) == []

    def test_for_sessions_reads_each_sessions_bookings_in_that_order(self, store: Factory) -> None:
        """By session id, each in ``for_session`` order; sessions with none left out."""
        self.keep_listed(store, make_booking("off", status=CANCELLED, created=-60))
        self.open_sessions(
            store, make_booking_session("s3", at=6), make_booking_session("s1", tenant=OTHER_TENANT)
        )
        self.keep(store, make_booking("theirs", tenant=OTHER_TENANT))
        with store() as uow:
            repo = self.bookings(uow)

            def read(tenant: str, ids: list[str], **kw: list[str]) -> dict[str, list[str]]:
                found = repo.for_sessions(tenant, ids, **kw)
                return {session_id: booking_ids(mine) for session_id, mine in found.items()}

            everyone = ["w1", "w2", "off", "B", "a", "late"]
            ids = ["s2", "s1", "s3", "s1", "missing"]
            assert read(TENANT, ids) == {"s1": everyone, "s2": ["elsewhere"]}
            assert read(TENANT, ids, statuses=[CANCELLED, WAITLISTED]) == {
                "s1": ["w1", "w2", "off"]
            }
            assert read(TENANT, ["s1"], statuses=[]) == {}
            assert read(TENANT, []) == {}
            assert read(OTHER_TENANT, ["s1", "s2"]) == {"s1": ["theirs"]}
            single = repo.for_session(TENANT, "s1", statuses=[CONFIRMED])
            assert repo.for_sessions(TENANT, ["s1"], statuses=[CONFIRMED]) == {"s1": single}

    def test_for_sessions_reads_past_one_statements_ids(self, store: Factory) -> None:
        """Thousands of ids, more than one ``IN`` list holds: the last ones are read too."""
        self.keep_listed(store, make_booking("off", status=CANCELLED, created=-60))
        with store() as uow:
            repo = self.bookings(uow)
            ids = [f"a{n:04}" for n in range(2000)] + ["s2", "s1"]  # s1, s2 sort last
            found = repo.for_sessions(TENANT, ids, statuses=[CONFIRMED, WAITLISTED])
            assert {session_id: booking_ids(mine) for session_id, mine in found.items()} == {
                "s1": ["w1", "w2", "B", "a", "late"],
                "s2": ["elsewhere"],
            }

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
            assert repo.seats_taken(TENANT, ids, at=at_hours(-10)) == {"s2": 5, "s1": 6}
            assert repo.seats_taken(TENANT, ["s1"], at=at_hours(-5)) == {"s1": 3}
            assert repo.seats_taken(TENANT, ["s1"], at=at_hours(5)) == {"s1": 2}
            assert repo.seats_taken(OTHER_TENANT, ["s1", "s2"], at=at_hours(0)) == {"s1": 7}
            assert repo.seats_taken(TENANT, [], at=at_hours(0)) == {}

    def test_seating_reads_the_seats_and_the_bookings_a_command_acts_on(
        self, store: Factory
    ) -> None:
        """Seats taken at the instant, run-out holds and offers, the waitlist, one's own.

        s1 starts at ``T0``: just before, its waitlist waits; from then on, it ran out.
        """
        self.open_sessions(
            store,
            make_booking_session("s1", capacity=10),
            make_booking_session("s2", at=3),
            make_booking_session("s1", tenant=OTHER_TENANT),
        )
        ana = "student:ana"
        self.keep(
            store,
            make_booking("c1", participant=ana, seats=2),
            make_booking("live", status=HELD, hold_until=5),
            make_booking("lapsed", status=HELD, hold_until=-1, created=-40),
            make_booking("gone", status=OFFERED, hold_until=-2, position=1),
            make_booking("w2", status=WAITLISTED, position=3, participant="student:eve"),
            make_booking("w1", status=WAITLISTED, position=2),
            make_booking("x", participant=ana, status=CANCELLED, seats=4),
            make_booking("y", session_id="s2", at=3, participant=ana),
            make_booking("theirs", tenant=OTHER_TENANT, status=WAITLISTED, position=1),
        )
        with store() as uow:
            repo = self.bookings(uow)
            seating = repo.seating(TENANT, "s1", at=BEFORE, participant=ResourceRef.parse(ana))
            assert seating.taken == 3
            assert booking_ids(seating.lapsed) == ["gone", "lapsed"]
            assert booking_ids(seating.waiting) == ["w1", "w2"]
            assert booking_ids(seating.mine) == ["c1"]
            assert seating.mine[0] == repo.get(TENANT, "c1")
            eve = repo.seating(TENANT, "s1", at=BEFORE, participant=ResourceRef("student", "eve"))
            assert booking_ids(eve.mine) == ["w2"]
            ran_out = repo.seating(
                TENANT, "s1", at=BEFORE, participant=ResourceRef("student", "lapsed")
            )
            assert ran_out.mine == ()  # a hold that ran out is the command's to expire
            earlier = repo.seating(TENANT, "s1", at=at_hours(-3))
            assert (earlier.taken, earlier.lapsed, earlier.mine) == (5, (), ())
            assert booking_ids(earlier.waiting) == ["w1", "w2"]
            assert repo.seating(TENANT, "s2", at=BEFORE) == Seating(taken=1)
            assert repo.seating(TENANT, "nowhere", at=BEFORE) == Seating(taken=0)
            theirs = repo.seating(OTHER_TENANT, "s1", at=BEFORE)
            assert (theirs.taken, booking_ids(theirs.waiting)) == (0, ["theirs"])
            started = repo.seating(
                TENANT, "s1", at=at_hours(0), participant=ResourceRef("student", "eve")
            )
            assert started.taken == 3
            assert booking_ids(started.lapsed) == ["gone", "w1", "w2", "lapsed"]
            assert (started.waiting, started.mine) == ((), ())

    def test_seating_names_the_participants_own_bookings_exactly(self, store: Factory) -> None:
        """``mine`` is the participant's kind and id, exactly: ``student:Ana`` is another one."""
        self.open_sessions(store, make_booking_session("s1"))
        self.keep(
            store,
            make_booking("lower", participant="student:ana"),
            make_booking("upper", participant="student:Ana"),
            make_booking("tutor", participant="tutor:ana"),
        )
        with store() as uow:
            repo = self.bookings(uow)
            for kind, ident, expected in [
                ("student", "ana", ["lower"]),
                ("student", "Ana", ["upper"]),
                ("tutor", "ana", ["tutor"]),
                ("tutor", "Ana", []),
            ]:
                seating = repo.seating(
                    TENANT, "s1", at=BEFORE, participant=ResourceRef(kind, ident)
                )
                assert (seating.taken, booking_ids(seating.mine)) == (3, expected), ident

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
            assert booking_ids(repo.for_participant(TENANT, who)) == ["a1", "b2", "a3", "c3", "d4"]
            window = TimeSpan(at_hours(6), at_hours(12))
            assert booking_ids(repo.for_participant(TENANT, who, window=window)) == [
                "b2",
                "a3",
                "c3",
            ]
            active = repo.for_participant(TENANT, who, statuses=[CONFIRMED, WAITLISTED])
            assert booking_ids(active) == ["a1", "a3", "d4"]
            after = repo.for_participant(TENANT, who, after=(at_hours(9), "a3"), limit=2)
            assert booking_ids(after) == ["c3", "d4"]
            assert booking_ids(repo.for_participant(TENANT, who, after=(at_hours(6), "b2"))) == [
                "a3",
                "c3",
                "d4",
            ]
            assert booking_ids(repo.for_participant(TENANT, who, limit=2)) == ["a1", "b2"]
            assert repo.for_participant(TENANT, who, statuses=[]) == []
            assert repo.for_participant(OTHER_TENANT, who) == []

    def test_for_participant_is_exact_and_ties_by_code_point(self, store: Factory) -> None:
        """The participant's kind and id compare exactly; one start's bookings go by id.

        Ids by code point (``B`` before ``a``), pages too, whatever the
        database's collation; ``student:Ana`` is not ``student:ana``.
        """
        self.open_sessions(store, make_booking_session("s1"), make_booking_session("s2"))
        ana = "student:ana"
        self.keep(
            store,
            make_booking("b", participant=ana, status=CANCELLED),
            make_booking("B", session_id="s2", participant=ana),
            make_booking("a", participant=ana),
            make_booking("A", session_id="s2", participant="student:Ana"),
        )
        who = ResourceRef("student", "ana")
        with store() as uow:
            repo = self.bookings(uow)

            def pages_of(size: int) -> list[Booking]:
                return page_through(
                    lambda after: repo.for_participant(TENANT, who, after=after, limit=size),
                    lambda booking: (booking.session_start, booking.id),
                    rows=3,
                    what=f"for_participant(limit={size})",
                )

            for size in (1, 2, 3):
                assert booking_ids(pages_of(size)) == ["B", "a", "b"], size
            other = repo.for_participant(TENANT, ResourceRef("student", "Ana"))
            assert booking_ids(other) == ["A"]

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
            everyone = repo.expiring(None, before=at_hours(-1), limit=10)
            assert [(b.tenant, b.id) for b in everyone] == [
                (TENANT, "h1"),
                (OTHER_TENANT, "h2"),
                (OTHER_TENANT, "h3"),
                (TENANT, "o1"),
                (TENANT, "h9"),
            ]
            assert booking_ids(repo.expiring(None, before=at_hours(-1), limit=2)) == ["h1", "h2"]
            assert booking_ids(repo.expiring(TENANT, before=at_hours(-2), limit=10)) == ["h1", "o1"]
            assert repo.expiring(OTHER_TENANT, before=at_hours(-4), limit=10) == []

    def test_expiring_reads_waitlist_places_once_their_session_starts(self, store: Factory) -> None:
        """A waitlist place runs out at its session's start, ordered with the holds by when."""
        self.open_sessions(
            store,
            make_booking_session("s1"),
            make_booking_session("s9", at=9),
            make_booking_session("s1", tenant=OTHER_TENANT),
        )
        self.keep(
            store,
            make_booking("w1", status=WAITLISTED, position=1),
            make_booking("w9", session_id="s9", at=9, status=WAITLISTED, position=1),
            make_booking("h1", status=HELD, hold_until=-3),
            make_booking("h2", session_id="s9", at=9, status=HELD, hold_until=2),
            make_booking("c1", status=CONFIRMED),
            make_booking("x1", status=CANCELLED, participant="student:w0"),
            make_booking("theirs", tenant=OTHER_TENANT, status=WAITLISTED, position=1),
        )
        with store() as uow:
            repo = self.bookings(uow)
            assert booking_ids(repo.expiring(TENANT, before=at_hours(-1), limit=10)) == ["h1"]
            everyone = repo.expiring(None, before=at_hours(0), limit=10)
            assert [(b.tenant, b.id) for b in everyone] == [
                (TENANT, "h1"),
                (TENANT, "w1"),  # at the same instant, by tenant
                (OTHER_TENANT, "theirs"),
            ]
            later = repo.expiring(TENANT, before=at_hours(9), limit=10)
            assert booking_ids(later) == ["h1", "w1", "h2", "w9"]
            assert booking_ids(repo.expiring(TENANT, before=at_hours(9), limit=2)) == ["h1", "w1"]

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
