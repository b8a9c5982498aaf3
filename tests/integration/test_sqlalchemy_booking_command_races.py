"""Racing booking *commands* (``kit.bookings.book``), not bare repository writes.

- One request sent several times at once with its idempotency key (a client
  retrying on a timeout): every copy returns the one booking the first made.
- One key reused at once for different sessions: one booking is made, every
  other copy gets ``IdempotencyKeyReused`` naming it.
- One participant booking several sessions of one day at once under a
  per-day limit of one: exactly one booking is stored, every other copy gets
  ``BookingRefused`` with rule ``"per_day"``.

Writers are 8 threads, or 8 forked processes; engines as in ``conftest.py`` (a SQLite file always,
PostgreSQL and MariaDB when their URLs are set). ``SESSIONKIT_RACE_ROUNDS``
sets the rounds per test (default 3).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import BookingRefused, IdempotencyKeyReused
from sessionkit.model import ResourceRef
from sessionkit.policies import BookingRules
from sessionkit.testing.clocks import ManualClock

ROUNDS = int(os.environ.get("SESSIONKIT_RACE_ROUNDS", "3"))
WRITERS = 8
T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _kit(engine: Engine, rules: BookingRules) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW), booking_rules=rules
    )


ROOM = max(WRITERS, ROUNDS)
"""Seats enough for every round's booking to land in one session (no session ever fills)."""


def _open(kit: SessionKit, count: int, *, capacity: int = ROOM) -> list[str]:
    """Open ``count`` sessions, one an hour from 9:00 on 4 March; return their ids.

    Up to fifteen fit the day; more (many rounds) run into the next days.
    """
    first = datetime(2026, 3, 4, 9, tzinfo=UTC)
    return [
        kit.sessions.create_extra(
            T,
            actor="tina",
            start=first + timedelta(hours=n),
            end=first + timedelta(hours=n, minutes=45),
            resources=[ResourceRef("tutor", f"t{n}")],
            lifecycle="lms",
            capacity=capacity,
            title="Algebra",
        ).id
        for n in range(count)
    ]


def _run(work: Callable[[int], str], n: int) -> str:
    try:
        return work(n)
    except BaseException as exc:  # noqa: BLE001  # reported to the test as a failure
        return f"error: {exc!r}"


def _race(work: Callable[[int], str], engine: Engine, *, processes: bool = False) -> list[str]:
    """Run ``work(n)`` for ``n`` in ``range(WRITERS)`` released together; return the outcomes.

    Writers are threads, or with ``processes`` forked processes (each drops
    the parent's pooled connections first).
    """
    if processes:
        context = multiprocessing.get_context("fork")
        start = context.Barrier(WRITERS)
        results = context.Queue()

        def child(n: int) -> None:
            engine.dispose(close=False)
            start.wait(timeout=60)
            results.put((n, _run(work, n)))

        workers = [context.Process(target=child, args=(n,)) for n in range(WRITERS)]
        for worker in workers:
            worker.start()
        found = dict(results.get(timeout=120) for _ in workers)
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        return [found[n] for n in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    outcomes = [""] * WRITERS

    def run(n: int) -> None:
        barrier.wait(timeout=60)
        outcomes[n] = _run(work, n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return outcomes


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT count(*) FROM sessionkit_bookings")).scalar_one()
        )


WRITER_KINDS = [
    pytest.param(False, id="threads"),
    pytest.param(
        True,
        id="processes",
        marks=pytest.mark.skipif(sys.platform != "linux", reason="forks worker processes"),
    ),
]


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

        outcomes = _race(book, race_engine, processes=processes)
        assert len(set(outcomes)) == 1, outcomes
        assert not outcomes[0].startswith("error"), outcomes
    assert _stored(race_engine) == ROUNDS


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

        outcomes = sorted(_race(book, race_engine, processes=processes))
        made = [o for o in outcomes if o.startswith("made ")]
        assert len(made) == 1, outcomes
        winner = made[0].removeprefix("made ")
        assert sorted(o for o in outcomes if o not in made) == [f"reused {winner}"] * (WRITERS - 1)
    assert _stored(race_engine) == ROUNDS


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

        outcomes = sorted(_race(book, race_engine, processes=processes))
        assert outcomes == ["per_day"] * (WRITERS - 1) + ["won"], outcomes
    assert _stored(race_engine) == ROUNDS
