"""Racing a session's waitlist: places are exact and in order, freed seats go to the first.

Each round fills a session of two seats, then races:

1. ``WRITERS`` participants joining the waitlist at once: each is WAITLISTED,
   and their positions are exactly ``1..WRITERS``, no gap and no place twice
   (the order is the order in which the database let them in: first come);
2. both seated participants cancelling at once while two newcomers try to
   book without a waitlist place: both cancels land, and each freed seat is
   offered to the first in line, so positions 1 and 2 hold the offers and
   the newcomers are refused with ``CapacityExceeded`` (nobody jumps the
   queue, whichever order the four writers reached the session in);
3. the two offered participants confirming at once: both get their seats,
   and everyone behind them still waits, in order.

Writers are threads, or forked processes; engines as in ``conftest.py`` (a
SQLite file always, PostgreSQL and MariaDB when their URLs are set).
``SESSIONKIT_RACE_ROUNDS`` sets the rounds (default 3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import CapacityExceeded
from sessionkit.model import ResourceRef
from sessionkit.policies import BookingRules
from sessionkit.testing.clocks import ManualClock

from ._racing import WRITER_KINDS, WRITERS, race, rounds

ROUNDS = rounds(3)
T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
SEATS = 2


def _kit(engine: Engine) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work,
        clock=ManualClock(NOW),
        booking_rules=BookingRules(waitlist=True),
    )


def _statuses(kit: SessionKit, session_id: str) -> dict[str, tuple[str, int | None]]:
    """Each participant's booking: its status and waitlist position."""
    return {
        str(b.participant): (b.status, b.position) for b in kit.bookings.for_session(T, session_id)
    }


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_racing_joiners_and_freed_seats_keep_the_waitlist_exact_and_fair(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine)
    first = datetime(2026, 3, 4, 9, tzinfo=UTC)
    for round_ in range(ROUNDS):
        start = first + timedelta(hours=round_)
        session_id = kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(minutes=45),
            resources=[ResourceRef("tutor", f"t{round_}")],
            lifecycle="lms",
            capacity=SEATS,
        ).id
        seated = [
            kit.bookings.book(T, session_id, f"student:s{n}", actor="x", confirm=True).id
            for n in range(SEATS)
        ]

        def join(n: int, session_id: str = session_id) -> str:
            booking = kit.bookings.book(T, session_id, f"student:w{n}", actor="x", waitlist=True)
            return f"{booking.status} {booking.position}"

        joined = race(join, race_engine, writers=WRITERS, processes=processes)
        assert sorted(joined, key=lambda said: int(said.split()[-1])) == [
            f"WAITLISTED {place}" for place in range(1, WRITERS + 1)
        ], joined
        place = {f"student:w{n}": int(said.split()[1]) for n, said in enumerate(joined)}
        in_line = sorted(place, key=place.__getitem__)

        def free_or_jump(n: int, session_id: str = session_id, seated: list[str] = seated) -> str:
            if n < SEATS:
                return kit.bookings.cancel(T, seated[n], actor="x").status
            try:
                kit.bookings.book(T, session_id, f"student:new{n}", actor="x")
            except CapacityExceeded:
                return "refused"
            return "jumped the queue"

        freed = race(free_or_jump, race_engine, writers=2 * SEATS, processes=processes)
        assert freed == ["CANCELLED"] * SEATS + ["refused"] * SEATS, freed
        after = _statuses(kit, session_id)
        offered = [who for who in in_line if after[who][0] == "OFFERED"]
        assert offered == in_line[:SEATS], (offered, after)
        assert [after[who] for who in in_line[SEATS:]] == [
            ("WAITLISTED", place[who]) for who in in_line[SEATS:]
        ]
        offers = {b.id: str(b.participant) for b in kit.bookings.for_session(T, session_id)}
        claims = [booking_id for booking_id, who in offers.items() if who in offered]

        def claim(n: int, claims: list[str] = claims) -> str:
            return kit.bookings.confirm(T, claims[n], actor="x").status

        assert race(claim, race_engine, writers=SEATS, processes=processes) == ["CONFIRMED"] * SEATS
        settled = _statuses(kit, session_id)
        assert [settled[who][0] for who in in_line] == ["CONFIRMED"] * SEATS + ["WAITLISTED"] * (
            WRITERS - SEATS
        )
        assert sum(1 for status, _ in settled.values() if status == "CONFIRMED") == SEATS
