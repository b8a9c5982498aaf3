"""Racing bookers of one session: the database never stores more seats than the capacity.

Each round opens a session of capacity ``N`` and lets ``N + k`` writers book
it at once, each in its own unit of work through ``uow.bookings.add`` alone
(no ``lock_session`` first: ``add`` must be safe by itself). Exactly the
seats that fit are stored and every other writer gets ``CapacityExceeded``;
one participant racing with itself stores one booking and gets
``AlreadyBooked`` everywhere else.

Runs on a SQLite file always, on PostgreSQL with ``SESSIONKIT_TEST_POSTGRES_URL``
and on MariaDB/MySQL with ``SESSIONKIT_TEST_MYSQL_URL``; writers are 8 threads,
or 2 forked processes of 4 threads each. ``SESSIONKIT_RACE_ROUNDS`` sets the
number of rounds per test (default 3; run 1000 by hand to stress the locks).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from functools import partial

import attrs
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.errors import AlreadyBooked, CapacityExceeded
from sessionkit.testing.contract.bookings import make_booking, make_booking_session

from ._racing import WRITER_KINDS, WRITERS, race_rounds, rounds, sent_statements

ROUNDS = rounds(3)
PROCESSES = 2


@attrs.frozen
class Race:
    """One kind of race: the session's capacity, the seats each writer asks, who writes."""

    capacity: int
    seats: int
    same_participant: bool = False

    def expected(self) -> list[str]:
        """Return the sorted outcomes of one round."""
        if self.same_participant:
            return ["double"] * (WRITERS - 1) + ["won"]
        won = min(WRITERS, self.capacity // self.seats)
        return ["full"] * (WRITERS - won) + ["won"] * won


RACES = {
    "one-seat": Race(capacity=5, seats=1),
    "two-seats": Race(capacity=7, seats=2),
    "same-participant": Race(capacity=WRITERS, seats=1, same_participant=True),
}


@pytest.fixture
def engine(race_engine: Engine) -> Engine:
    return race_engine


@pytest.fixture(params=sorted(RACES))
def race(request: pytest.FixtureRequest, engine: Engine) -> Race:
    """The race, with one session per round opened in ``engine``."""
    chosen = RACES[request.param]
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        uow.sessions.add_many(
            [make_booking_session(f"r{n}", capacity=chosen.capacity) for n in range(ROUNDS)]
        )
        uow.commit()
    return chosen


def _attempt(store: SqlAlchemyStore, race: Race, round_: int, n: int) -> str:
    """Book the round's session once; say how it went."""
    writer = f"r{round_}-w{n}"
    booking = make_booking(
        writer,
        session_id=f"r{round_}",
        participant="student:same" if race.same_participant else f"student:{writer}",
        seats=race.seats,
    )
    try:
        with store.unit_of_work() as uow:
            uow.bookings.add(booking)
            uow.commit()
    except CapacityExceeded as error:
        numbers = (error.capacity, error.asked, error.taken + error.asked > error.capacity)
        if numbers != (race.capacity, race.seats, True):
            return f"wrong numbers: {error!r} {numbers}"
        return "full"
    except AlreadyBooked as error:
        if not race.same_participant or error.participant != "student:same":
            return f"wrong double: {error!r}"
        return "double"
    return "won"


def _assert_capacity_held(engine: Engine, race: Race, outcomes: dict[int, list[str]]) -> None:
    wrong = {r: sorted(o) for r, o in outcomes.items() if sorted(o) != race.expected()}
    assert not wrong, (race, dict(Counter(x for o in wrong.values() for x in o)), wrong)
    won = race.expected().count("won")
    with engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT session_id, count(*), sum(seats) FROM sessionkit_bookings "
                "GROUP BY session_id ORDER BY session_id"
            )
        ).all()
    assert sorted((s, int(c), int(n)) for s, c, n in stored) == sorted(
        (f"r{r}", won, won * race.seats) for r in range(ROUNDS)
    )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_writers_booking_one_session_never_overbook(
    engine: Engine, race: Race, processes: bool
) -> None:
    """Writers are 8 threads, or 2 forked processes of 4 threads each."""
    store = SqlAlchemyStore(engine)
    outcomes = race_rounds(
        partial(_attempt, store, race),
        engine,
        rounds=ROUNDS,
        writers=WRITERS,
        processes=processes,
        per_process=WRITERS // PROCESSES,
    )
    _assert_capacity_held(engine, race, outcomes)


def test_a_refused_booking_keeps_its_session_locked(engine: Engine) -> None:
    """The lock outlives the refused write's SAVEPOINT (PostgreSQL would drop one taken inside).

    The command still holds the session while it decides what to do instead
    (queue on the waitlist at ``next_position``, say).
    """
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE holds the whole database, not a row")
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.bookings.add(make_booking("a"))
        uow.commit()
    probe = (
        select(sessions_table.c.id).where(sessions_table.c.id == "s1").with_for_update(nowait=True)
    )
    with store.unit_of_work() as uow:
        with pytest.raises(CapacityExceeded):
            uow.bookings.add(make_booking("b"))
        with engine.connect() as other, pytest.raises(DBAPIError):
            other.execute(probe)
    with engine.connect() as other:
        assert other.execute(probe).scalar() == "s1"


def _row_locks(engine: Engine) -> contextlib.AbstractContextManager[list[str]]:
    """Collect the ``... FOR UPDATE`` statements sent to ``engine`` inside the block."""
    return sent_statements(engine, keep=lambda statement: "FOR UPDATE" in statement)


def _store_with_s1(engine: Engine) -> tuple[SqlAlchemyStore, str]:
    """A store holding session ``s1``, and its tenant."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite locks the whole database (BEGIN IMMEDIATE), no row")
    store = SqlAlchemyStore(engine)
    session = make_booking_session("s1", capacity=5)
    with store.unit_of_work() as uow:
        uow.sessions.add(session)
        uow.commit()
    return store, session.tenant


def test_a_session_is_locked_once_per_transaction(engine: Engine) -> None:
    """``add`` reuses the lock ``lock_session`` took in the same transaction, not a later one."""
    store, tenant = _store_with_s1(engine)
    with store.unit_of_work() as uow, _row_locks(engine) as sent:
        uow.bookings.lock_session(tenant, "s1")
        uow.bookings.add(make_booking("a"))
        assert len(sent) == 1
        uow.commit()  # ends the transaction and its locks
        uow.bookings.add(make_booking("b"))
        assert len(sent) == 2


def test_a_joined_unit_locks_again_after_its_savepoint_rolled_back(engine: Engine) -> None:
    """A joined unit is a SAVEPOINT; rolling it back drops its locks on PostgreSQL."""
    store, tenant = _store_with_s1(engine)
    host_engine = engine.execution_options(isolation_level="READ COMMITTED")  # as join asks
    with OrmSession(host_engine) as host, store.join(host) as uow, _row_locks(engine) as sent:
        uow.bookings.lock_session(tenant, "s1")
        uow.rollback()
        uow.bookings.add(make_booking("a"))
        assert len(sent) == 2
