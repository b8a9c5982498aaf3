"""Racing booking *commands* (``kit.bookings.book``), not bare repository writes.

- One request sent several times at once with its idempotency key (a client
  retrying on a timeout): every copy returns the one booking the first made.
- One key reused at once for different sessions: one booking is made, every
  other copy gets ``IdempotencyKeyReused`` naming it.
- One request that creates its session (a ``SessionDraft``) sent several
  times at once with its key: one session and one booking are stored, and
  every copy returns that booking (the copies that lost the session's time
  or the key replay the winner's).
- Several clients asking for one free hour at once, each with a draft and a
  key of their own: one session and one booking, every other client gets
  ``SessionConflict``; nothing of theirs is stored.
- One participant booking several sessions of one day at once under a
  per-day limit of one: exactly one booking is stored, every other copy gets
  ``BookingRefused`` with rule ``"per_day"``.

Writers are 8 threads, or 8 forked processes; engines as in ``conftest.py`` (a SQLite file always,
PostgreSQL and MariaDB when their URLs are set). ``SESSIONKIT_RACE_ROUNDS``
sets the rounds per test (default 3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import BookingRefused, IdempotencyKeyReused, SessionConflict
from sessionkit.model import ResourceRef
from sessionkit.policies import BookingRules
from sessionkit.services import SessionDraft
from sessionkit.testing.clocks import ManualClock

from ._racing import WRITER_KINDS, WRITERS, hourly_sessions, race, rounds, scalar

ROUNDS = rounds(3)
T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _kit(engine: Engine, rules: BookingRules) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW), booking_rules=rules
    )


STORED = "SELECT count(*) FROM sessionkit_bookings"
SESSIONS = "SELECT count(*) FROM sessionkit_sessions"
ROOM = max(WRITERS, ROUNDS)
"""Seats enough for every round's booking to land in one session (no session ever fills)."""


def _open(kit: SessionKit, count: int, *, capacity: int = ROOM) -> list[str]:
    return hourly_sessions(kit, T, count, capacity=capacity)


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_request_retried_at_once_makes_one_booking(race_engine: Engine, processes: bool) -> None:
    kit = _kit(race_engine, BookingRules())
    sessions = _open(kit, ROUNDS)
    for round_, session_id in enumerate(sessions):

        def book(n: int, session_id: str = session_id, round_: int = round_) -> str:
            booking = kit.bookings.book(
                T, session_id, "student:ana", actor="ana", idempotency_key=f"k{round_}"
            )
            return booking.id

        outcomes = race(book, race_engine, writers=WRITERS, processes=processes)
        assert len(set(outcomes)) == 1, outcomes
        assert not outcomes[0].startswith("error"), outcomes
    assert scalar(race_engine, STORED) == ROUNDS


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_key_reused_at_once_for_other_sessions_makes_one_booking(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine, BookingRules())
    sessions = _open(kit, WRITERS)
    for round_ in range(ROUNDS):

        def book(n: int, round_: int = round_) -> str:
            try:
                booking = kit.bookings.book(
                    T, sessions[n], f"student:r{round_}", actor="ana", idempotency_key=f"k{round_}"
                )
            except IdempotencyKeyReused as reused:
                return f"reused {reused.booking_id}"
            return f"made {booking.id}"

        outcomes = sorted(race(book, race_engine, writers=WRITERS, processes=processes))
        made = [o for o in outcomes if o.startswith("made ")]
        assert len(made) == 1, outcomes
        winner = made[0].removeprefix("made ")
        assert sorted(o for o in outcomes if o not in made) == [f"reused {winner}"] * (WRITERS - 1)
    assert scalar(race_engine, STORED) == ROUNDS


def _hour(round_: int, *, title: str = "Intro") -> SessionDraft:
    """Consultant c's hour on 4 March at 9:00 plus ``round_`` hours, one seat."""
    start = datetime(2026, 3, 4, 9, tzinfo=UTC) + timedelta(hours=round_)
    return SessionDraft(
        start=start,
        end=start + timedelta(minutes=45),
        resources=[ResourceRef("consultant", "c")],
        lifecycle="lms",
        capacity=1,
        title=title,
    )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_drafted_request_retried_at_once_makes_one_session(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine, BookingRules())
    for round_ in range(ROUNDS):

        def book(n: int, round_: int = round_) -> str:
            booking = kit.bookings.book(
                T, _hour(round_), "client:ana", actor="ana", idempotency_key=f"k{round_}"
            )
            return f"{booking.id} {booking.session_id}"

        outcomes = race(book, race_engine, writers=WRITERS, processes=processes)
        assert len(set(outcomes)) == 1, outcomes
        assert not outcomes[0].startswith("error"), outcomes
    assert scalar(race_engine, STORED) == ROUNDS
    assert scalar(race_engine, SESSIONS) == ROUNDS


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_clients_asking_for_one_hour_at_once_get_one_session(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine, BookingRules())
    for round_ in range(ROUNDS):

        def book(n: int, round_: int = round_) -> str:
            try:
                kit.bookings.book(
                    T,
                    _hour(round_, title=f"Intro {n}"),
                    f"client:c{n}",
                    actor=f"c{n}",
                    idempotency_key=f"k{round_}-{n}",
                )
            except SessionConflict:
                return "conflict"
            return "made"

        outcomes = sorted(race(book, race_engine, writers=WRITERS, processes=processes))
        assert outcomes == ["conflict"] * (WRITERS - 1) + ["made"], outcomes
    assert scalar(race_engine, STORED) == ROUNDS
    assert scalar(race_engine, SESSIONS) == ROUNDS


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_per_day_limit_holds_across_sessions_booked_at_once(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine, BookingRules(per_day=1))
    sessions = _open(kit, WRITERS)
    for round_ in range(ROUNDS):

        def book(n: int, round_: int = round_) -> str:
            try:
                kit.bookings.book(T, sessions[n], f"student:r{round_}", actor="ana")
            except BookingRefused as refused:
                return refused.rule
            return "won"

        outcomes = sorted(race(book, race_engine, writers=WRITERS, processes=processes))
        assert outcomes == ["per_day"] * (WRITERS - 1) + ["won"], outcomes
    assert scalar(race_engine, STORED) == ROUNDS


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_waitlisted_booking_leaving_as_a_seat_frees_is_cancelled(
    race_engine: Engine, processes: bool
) -> None:
    # One writer cancels the confirmed booking, which offers its seat to the waitlisted one;
    # the other cancels the waitlisted one. Both read their booking before the lock used to,
    # so on PostgreSQL and MariaDB the second failed with ConcurrentModification and the
    # booking that asked to leave was left holding the seat as an offer.
    kit = _kit(race_engine, BookingRules(waitlist=True))
    for session_id in _open(kit, ROUNDS, capacity=1):
        seated = kit.bookings.book(T, session_id, "student:ana", actor="ana", confirm=True)
        queued = kit.bookings.book(T, session_id, "student:ben", actor="ben", waitlist=True)
        leaving = [seated.id, queued.id]

        def cancel(n: int, leaving: list[str] = leaving) -> str:
            return kit.bookings.cancel(T, leaving[n], actor="x").status

        outcomes = race(cancel, race_engine, writers=2, processes=processes)
        assert outcomes == ["CANCELLED", "CANCELLED"]
        statuses = {b.id: b.status for b in kit.bookings.for_session(T, session_id)}
        assert statuses == {seated.id: "CANCELLED", queued.id: "CANCELLED"}
