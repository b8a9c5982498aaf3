"""The bookable-sessions read every adapter answers alike: a provider's listing of free seats.

:class:`BookableContract` is one topic of
:class:`~sessionkit.testing.contract.BookingsRepositoryContract`:
``BookingRepository.bookable``, whose sessions are busy ones with resources
(a listing of a provider's slots).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.model.booking import CANCELLED, HELD, OFFERED, WAITLISTED
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._booking_support import (
    BookingContractBase,
    at_hours,
    make_booking,
)
from sessionkit.testing.contract._support import OTHER_TENANT, TENANT, make_session
from sessionkit.timespan import TimeSpan

__all__ = ["BookableContract"]


def slot(
    session_id: str,
    *,
    at: float,
    capacity: int = 1,
    resource: ResourceRef | str = "teacher:ana",
    busy: bool = True,
    tenant: str = TENANT,
) -> Session:
    """Return a one-hour session of ``resource`` for the bookable tests, ``at`` hours after T0."""
    made = make_session(session_id, tenant=tenant, at=at, resources=(resource,), busy=busy)
    return attrs.evolve(made, capacity=capacity)


class BookableContract(BookingContractBase):
    """``bookable``: busy sessions with seats free at an instant, by start, narrowed and paged."""

    def open_slots(self, store: Factory) -> None:
        """Store a provider's sessions around ``T0`` and their bookings (see the bookable tests).

        On teacher ana, one hour each: ``before`` (-1 h), ``now`` (0 h, starts
        at the read's instant), ``full`` (1 h, capacity 1, booked), ``open``
        (2 h, capacity 3, two of its bookings taking seats at 0 h, one until 1 h, and
        one waiting for a seat), ``idle``
        (3 h, not busy), ``later`` (4 h, capacity 2), ``tie-b`` (6 h) and
        ``past-end`` (10 h). On other resources: ``tie-a`` (6 h, room r1) and
        ``ben`` (2 h, teacher ben). Another tenant has an ``open`` of its own.
        """
        ana, ben, room = "teacher:ana", ResourceRef("teacher", "ben"), ResourceRef("room", "r1")
        self.open_sessions(
            store,
            slot("before", at=-1),
            slot("now", at=0),
            slot("full", at=1, capacity=1),
            slot("open", at=2, capacity=3),
            slot("idle", at=3, busy=False),
            slot("later", at=4, capacity=2),
            slot("tie-b", at=6, resource=ana),
            slot("tie-a", at=6, resource=room),
            slot("past-end", at=10),
            slot("ben", at=2, resource=ben),
            slot("open", at=2, capacity=3, tenant=OTHER_TENANT),
        )
        self.keep(
            store,
            make_booking("f1", session_id="full", at=1),
            make_booking("o1", session_id="open", at=2),
            make_booking("o2", session_id="open", at=2, status=HELD, hold_until=1),
            make_booking("o3", session_id="open", at=2, status=HELD, hold_until=0),
            make_booking(
                "o4", session_id="open", at=2, status=OFFERED, hold_until=-1, seats=2, created=-0.5
            ),
            make_booking("o5", session_id="open", at=2, status=WAITLISTED, position=1),
            make_booking("o6", session_id="open", at=2, status=CANCELLED, seats=3),
            make_booking("theirs", tenant=OTHER_TENANT, session_id="open", at=2, seats=2),
        )

    def test_bookable_lists_sessions_with_seats_free_by_start(self, store: Factory) -> None:
        """Busy, starting in the window and after the instant, with seats free at it; by start.

        Holds and offers count until they run out (exclusive), whatever their
        stored status; cancelled bookings never count. A waitlisted booking's
        seats take no seat but are owed to it (``book`` offers them to the
        waitlist first), so they are not free for a newcomer: at 0 h "open"
        has 1 seat free of taken ones and 1 waiting, and is not listed.
        """
        self.open_slots(store)
        window = TimeSpan(at_hours(-2), at_hours(8))
        with store() as uow:
            found = self.bookings(uow).bookable(TENANT, window=window, at=at_hours(0))
            listed = [(b.session_id, b.taken, b.remaining) for b in found]
            assert listed == [
                ("ben", 0, 1),
                ("later", 0, 2),
                ("tie-a", 0, 1),
                ("tie-b", 0, 1),
            ]
            # At 1.5 h the live hold ran out too: 3 seats, 1 taken, 1 owed, 1 free.
            found = self.bookings(uow).bookable(TENANT, window=window, at=at_hours(1.5))
            first = found[1]
            assert (first.session_id, first.taken, first.remaining) == ("open", 1, 1)
            assert (first.title, first.capacity) == ("open", 3)
            assert (first.start, first.end) == (at_hours(2), at_hours(3))
            assert first.span == TimeSpan(at_hours(2), at_hours(3))

    def test_bookable_narrows_by_resource_seats_cursor_and_limit(self, store: Factory) -> None:
        """``resource``, ``seats``, the keyset cursor ``(start, id)`` and ``limit``."""
        self.open_slots(store)
        window = TimeSpan(at_hours(-2), at_hours(8))
        ana = ResourceRef("teacher", "ana")
        with store() as uow:
            repo = self.bookings(uow)

            def ids(
                *,
                resource: ResourceRef | None = None,
                seats: int = 1,
                after: tuple[datetime, str] | None = None,
                limit: int | None = None,
            ) -> list[str]:
                found = repo.bookable(
                    TENANT,
                    window=window,
                    at=at_hours(0),
                    seats=seats,
                    resource=resource,
                    after=after,
                    limit=limit,
                )
                return [b.session_id for b in found]

            assert ids(resource=ana) == ["later", "tie-b"]
            assert ids(resource=ResourceRef("room", "r1")) == ["tie-a"]
            assert ids(resource=ResourceRef("teacher", "nobody")) == []
            assert ids(seats=2) == ["later"]
            assert ids(seats=3) == []
            assert ids(after=(at_hours(2), "ben")) == ["later", "tie-a", "tie-b"]
            assert ids(after=(at_hours(6), "tie-a")) == ["tie-b"]
            assert ids(limit=2) == ["ben", "later"]
            assert ids(after=(at_hours(2), "open"), limit=2, resource=ana) == ["later", "tie-b"]
            assert ids(limit=0) == []
            # At 1.5 h the live hold has run out too; at -3 h every hold and the offer
            # still ran, and "open" was over full (each write is judged at its own instant).
            later = repo.bookable(TENANT, window=window, at=at_hours(1.5), resource=ana)
            assert [(b.session_id, b.taken) for b in later] == [
                ("open", 1),
                ("later", 0),
                ("tie-b", 0),
            ]
            earlier = repo.bookable(TENANT, window=window, at=at_hours(-3), resource=ana)
            assert [(b.session_id, b.taken) for b in earlier] == [
                ("before", 0),
                ("now", 0),
                ("later", 0),
                ("tie-b", 0),
            ]

    def test_bookable_narrows_to_the_exact_resource(self, store: Factory) -> None:
        """``resource`` is its kind and its id, compared exactly (no case folded)."""
        self.open_sessions(
            store,
            slot("lower", at=2),
            slot("upper", at=2, resource="teacher:Ana"),
            slot("room", at=2, resource="room:ana"),
        )
        window = TimeSpan(at_hours(0), at_hours(8))
        with store() as uow:
            repo = self.bookings(uow)
            for resource, expected in [
                (ResourceRef("teacher", "ana"), ["lower"]),
                (ResourceRef("teacher", "Ana"), ["upper"]),
                (ResourceRef("room", "ana"), ["room"]),
            ]:
                found = repo.bookable(TENANT, window=window, at=at_hours(0), resource=resource)
                assert [b.session_id for b in found] == expected, resource

    def test_bookable_windows_include_their_start_and_exclude_their_end(
        self, store: Factory
    ) -> None:
        """The window is half-open: a session starting at ``window.end`` is not listed.

        One starting exactly at ``window.start`` is, and the next window,
        starting where this one ends, lists the session this one left out.
        """
        self.open_sessions(store, slot("first", at=2), slot("inside", at=3), slot("edge", at=4))
        with store() as uow:
            repo = self.bookings(uow)
            window = TimeSpan(at_hours(2), at_hours(4))
            found = repo.bookable(TENANT, window=window, at=at_hours(0))
            assert [b.session_id for b in found] == ["first", "inside"]
            following = TimeSpan(at_hours(4), at_hours(5))
            found = repo.bookable(TENANT, window=following, at=at_hours(0))
            assert [(b.session_id, b.start) for b in found] == [("edge", at_hours(4))]

    def test_bookable_sees_one_tenant_only(self, store: Factory) -> None:
        """Another tenant's sessions and bookings are invisible, even under the same ids."""
        self.open_slots(store)
        window = TimeSpan(at_hours(-2), at_hours(8))
        with store() as uow:
            theirs = self.bookings(uow).bookable(OTHER_TENANT, window=window, at=at_hours(0))
            assert [(b.session_id, b.taken, b.remaining) for b in theirs] == [("open", 2, 1)]
            assert self.bookings(uow).bookable("nobody", window=window, at=at_hours(0)) == []

    def test_bookable_leaves_out_the_closed_statuses(self, store: Factory) -> None:
        """``closed`` ``(lifecycle, status)`` pairs: their sessions are not listed, busy or not.

        A session finished ahead of its time keeps its hour busy but takes no
        bookings; the pair names the lifecycle too, so another lifecycle's
        status of the same name is still listed.
        """
        finished = attrs.evolve(slot("finished", at=2), status="FINISHED")
        done = attrs.evolve(slot("done", at=3), status="COMPLETED", lifecycle="consulting")
        other = attrs.evolve(slot("other", at=4), status="COMPLETED")  # lms has no such status
        self.open_sessions(store, finished, done, other, slot("open", at=5))
        with store() as uow:
            repo = self.bookings(uow)
            window = TimeSpan(at_hours(0), at_hours(8))
            every = repo.bookable(TENANT, window=window, at=at_hours(0))
            assert [b.session_id for b in every] == ["finished", "done", "other", "open"]
            shut = [("lms", "FINISHED"), ("consulting", "COMPLETED")]
            found = repo.bookable(TENANT, window=window, at=at_hours(0), closed=shut)
            assert [b.session_id for b in found] == ["other", "open"]
            page = repo.bookable(
                TENANT, window=window, at=at_hours(0), closed=shut, after=(at_hours(4), "other")
            )
            assert [b.session_id for b in page] == ["open"]

    def test_bookable_keeps_the_known_pairs(self, store: Factory) -> None:
        """``known`` keeps the sessions whose ``(lifecycle, status)`` it names; ``None``, every one.

        The kit names the statuses its lifecycles have: a session of a
        lifecycle or status renamed or removed since it was stored is refused
        by ``book``, so not listed. The pair names the lifecycle too: another
        lifecycle's status of the same name is not kept.
        """
        gone = attrs.evolve(slot("gone", at=2), lifecycle="retired")
        retired = attrs.evolve(slot("retired", at=3), status="RETIRED")
        consulting = attrs.evolve(slot("consulting", at=4), lifecycle="consulting")
        self.open_sessions(store, gone, retired, consulting, slot("lms", at=5))
        with store() as uow:
            repo = self.bookings(uow)
            window = TimeSpan(at_hours(0), at_hours(8))
            every = repo.bookable(TENANT, window=window, at=at_hours(0), known=None)
            assert [b.session_id for b in every] == ["gone", "retired", "consulting", "lms"]
            known = [("lms", "SCHEDULED"), ("consulting", "SCHEDULED"), ("lms", "OPEN")]
            found = repo.bookable(TENANT, window=window, at=at_hours(0), known=known)
            assert [b.session_id for b in found] == ["consulting", "lms"]
            only = [("lms", "SCHEDULED"), ("consulting", "RETIRED")]
            page = repo.bookable(TENANT, window=window, at=at_hours(0), known=only, limit=1)
            assert [b.session_id for b in page] == ["lms"]
            assert repo.bookable(TENANT, window=window, at=at_hours(0), known=[]) == []

    def test_bookable_keeps_the_known_pairs_of_a_kit_with_many_lifecycles(
        self, store: Factory
    ) -> None:
        """``known`` of 1,000 lifecycles and more is one filter a database takes.

        A kit of many lifecycles (one per school, say) names every status of
        each: an ``OR`` of 2,000 pairs nested one level per pair, which SQLite
        refused ("Expression tree is too large (maximum depth 1000)").
        """
        consulting = attrs.evolve(slot("consulting", at=3), lifecycle="consulting")
        done = attrs.evolve(slot("done", at=4), lifecycle="school999", status="DONE")
        self.open_sessions(store, consulting, done, slot("lms", at=5))
        many = [(f"school{n:03}", s) for n in range(1000) for s in ("SCHEDULED", "OPEN")]
        known = [*many, ("lms", "SCHEDULED"), ("lms", "OPEN"), ("consulting", "OPEN")]
        with store() as uow:
            window = TimeSpan(at_hours(0), at_hours(8))
            found = self.bookings(uow).bookable(TENANT, window=window, at=at_hours(0), known=known)
            assert [b.session_id for b in found] == ["lms"]

    def test_bookable_owes_nothing_to_a_place_above_the_capacity(self, store: Factory) -> None:
        """A waitlist place asking for more seats than the capacity holds none back.

        Its session's capacity was lowered below it (by the host's own admin):
        it can never be offered them, and the next write to the session ends
        it, so ``book`` takes the seat free beside it and the listing shows
        that seat. A place that fits the capacity is still owed its seats.
        """
        self.open_sessions(store, slot("lowered", at=2, capacity=2), slot("fits", at=3, capacity=3))
        self.keep(
            store,
            make_booking("l1", session_id="lowered", at=2),
            make_booking("l2", session_id="lowered", at=2, status=WAITLISTED, position=1, seats=3),
            make_booking("f1", session_id="fits", at=3),
            make_booking("f2", session_id="fits", at=3, status=WAITLISTED, position=1, seats=2),
        )
        with store() as uow:
            window = TimeSpan(at_hours(0), at_hours(8))
            found = self.bookings(uow).bookable(TENANT, window=window, at=at_hours(0))
            assert [(b.session_id, b.taken, b.remaining) for b in found] == [("lowered", 1, 1)]
