"""The contract under concurrency: units of work racing in threads.

Sessions racing for a teacher, updates racing for a version, bookings racing
for the last seats and for one participant's lock. Skipped where the
capability ``concurrent_units`` is off.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import attrs
import pytest

from sessionkit.errors import (
    CapacityExceeded,
    ConcurrentModification,
    SessionConflict,
    UnsupportedKind,
)
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import ResourceRef
from sessionkit.ports import BOOKINGS, UnitOfWorkFactory
from sessionkit.testing.contract._booking_support import (
    at_hours,
    make_booking,
    make_booking_session,
)
from sessionkit.testing.contract._support import TENANT, ContractBase, make_session

OVERLAP = 0.25
"""How long (seconds) a racing writer waits inside its unit of work for the others to read.

Where the store lets units of work overlap, all of them arrive at once; where
it runs them in turn (one lock for the store, SQLite's write lock), the first
waits this long, once, and the rest go on without waiting.
"""


class ConcurrencyContract(ContractBase):
    """Racing writers and updates, and isolation between units of work in several threads."""

    # ------------------------------------------------------------------ concurrency

    def _race(self, count: int, work: Callable[[int], None]) -> list[BaseException | None]:
        """Run ``work(n)`` in ``count`` threads released at once; return each outcome."""
        if not self.concurrent_units:
            pytest.skip("this adapter does not run units of work in several threads")
        barrier = threading.Barrier(count)
        outcomes: list[BaseException | None] = [None] * count

        def run(n: int) -> None:
            barrier.wait()
            try:
                work(n)
            except BaseException as exc:  # noqa: BLE001  # reported to the test
                outcomes[n] = exc

        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a unit of work hung"
        return outcomes

    def test_racing_writers_book_one_resource_once(self, store: UnitOfWorkFactory) -> None:
        """Threads booking one teacher at once: one wins, the rest get SessionConflict."""
        for round_ in range(3):

            def book(n: int, round_: int = round_) -> None:
                with store() as uow:
                    uow.sessions.add(make_session(f"r{round_}-t{n}", at=10 * round_ + n / 10))
                    uow.commit()

            outcomes = self._race(8, book)
            assert sum(outcome is None for outcome in outcomes) == 1
            assert all(o is None or isinstance(o, SessionConflict) for o in outcomes), outcomes
        assert len(self.stored(store)) == 3

    def test_racing_updates_one_wins(self, store: UnitOfWorkFactory) -> None:
        """Threads updating one version of a session: one wins, the rest ConcurrentModification."""
        original = make_session("a")
        self.given(store, original)

        def retitle(n: int) -> None:
            with store() as uow:
                uow.sessions.update(attrs.evolve(original, title=f"t{n}"), expected_version=1)
                uow.commit()

        outcomes = self._race(4, retitle)
        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(o is None or isinstance(o, ConcurrentModification) for o in outcomes), outcomes
        with store() as uow:
            assert uow.sessions.get(TENANT, "a").version == 2

    def test_uncommitted_writes_are_invisible_to_other_units(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Another unit of work never sees uncommitted writes."""
        written = threading.Event()
        seen: list[int] = []

        def work(n: int) -> None:
            if n == 0:
                with store() as uow:
                    uow.sessions.add(make_session("a"))
                    written.set()
                    threading.Event().wait(0.05)
                    uow.rollback()
            else:
                written.wait(5)
                with store() as uow:
                    seen.append(uow.sessions.query(TENANT, SessionQuery()).total)

        outcomes = self._race(2, work)
        assert outcomes == [None, None]
        assert seen == [0]

    def test_racing_bookings_fill_a_session_exactly(self, store: UnitOfWorkFactory) -> None:
        """Threads booking a session with fewer seats: capacity-many win, the rest are refused.

        Each writer reads the session's seats in its unit of work, then waits
        (up to :data:`OVERLAP`) until every writer has read before it adds
        its booking and commits, so no unit commits before all have read:
        exactly ``capacity`` bookings are stored, every one of them a
        writer's that succeeded, and every other writer got
        ``CapacityExceeded``.
        """
        capacity, late = 3, 3
        count = capacity + late
        with store() as uow:
            try:
                uow.repository(BOOKINGS)
            except UnsupportedKind:
                pytest.skip("this adapter stores no bookings")
            uow.sessions.add(make_booking_session("s1", capacity=capacity))
            uow.commit()
        everyone_read = threading.Barrier(count, timeout=OVERLAP)

        def book(n: int) -> None:
            with store() as uow:
                bookings = uow.repository(BOOKINGS)
                bookings.seats_taken(TENANT, ["s1"], at=at_hours(-50))
                # Broken (timed out) where the store runs its units of work in turn.
                with contextlib.suppress(threading.BrokenBarrierError):
                    everyone_read.wait()
                bookings.add(make_booking(f"b{n}"))
                uow.commit()

        outcomes = self._race(count, book)
        won = sorted(f"b{n}" for n, outcome in enumerate(outcomes) if outcome is None)
        assert len(won) == capacity, outcomes
        assert all(o is None or isinstance(o, CapacityExceeded) for o in outcomes), outcomes
        with store() as uow:
            bookings = uow.repository(BOOKINGS)
            assert sorted(b.id for b in bookings.for_session(TENANT, "s1")) == won
            assert bookings.seats_taken(TENANT, ["s1"], at=at_hours(-50)) == {"s1": capacity}

    def test_racing_bookings_of_one_participant_queue_on_its_lock(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Writers holding one participant's lock run in turn, each seeing the last one's booking.

        What a per-day or per-week limit rests on: each writer locks a session
        of its own, then the participant (``lock_participant``), reads the
        participant's bookings and books only if there is none, waiting (up
        to :data:`OVERLAP`) for the others to read first. Exactly one books;
        a ``lock_participant`` that locks nothing lets every writer book.
        """
        count = 4
        with store() as uow:
            try:
                uow.repository(BOOKINGS)
            except UnsupportedKind:
                pytest.skip("this adapter stores no bookings")
            uow.sessions.add_many([make_booking_session(f"s{n}", at=n) for n in range(count)])
            uow.commit()
        who = ResourceRef("student", "ana")
        everyone_read = threading.Barrier(count, timeout=OVERLAP)

        def book(n: int) -> None:
            with store() as uow:
                bookings = uow.repository(BOOKINGS)
                bookings.lock_session(TENANT, f"s{n}")
                bookings.lock_participant(TENANT, who)
                theirs = bookings.for_participant(TENANT, who)
                # Broken (timed out) where the lock, or the store, runs the writers in turn.
                with contextlib.suppress(threading.BrokenBarrierError):
                    everyone_read.wait()
                if not theirs:
                    bookings.add(
                        make_booking(f"b{n}", session_id=f"s{n}", at=n, participant=str(who))
                    )
                uow.commit()

        outcomes = self._race(count, book)
        assert outcomes == [None] * count
        with store() as uow:
            booked = uow.repository(BOOKINGS).for_participant(TENANT, who)
        assert len(booked) == 1, [b.id for b in booked]
