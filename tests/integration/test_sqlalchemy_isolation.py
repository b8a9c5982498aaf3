"""The store's own units run in READ COMMITTED whatever isolation the engine is given.

A seat count or conflict check after a lock must see what the lock's
previous holder committed. Under an engine set to ``REPEATABLE READ`` the
count read a snapshot taken before the lock was granted: 8 writers for a
capacity-2 session stored 8 bookings on PostgreSQL, and on MariaDB an option
engine's level outlived the store's own option engine. ``AUTOCOMMIT`` made each
statement its own transaction (a raw "SAVEPOINT does not exist" after the
session's rows were committed). PostgreSQL and MariaDB only: SQLite's
``BEGIN IMMEDIATE`` serialises writers whatever the level.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import CapacityExceeded
from sessionkit.model.session import Session
from sessionkit.testing.contract.bookings import make_booking, make_booking_session

from ._racing import WRITER_KINDS, WRITERS, race_rounds

LEVELS = ["REPEATABLE READ", "SERIALIZABLE", "AUTOCOMMIT"]
CAPACITY = 2
ROUNDS = 3


@pytest.fixture
def engine(race_engine: Engine) -> Engine:
    if race_engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE at any level")
    return race_engine


def _isolation(store: SqlAlchemyStore) -> tuple[str, bool]:
    """The level a unit of ``store`` runs in, and whether its writes wait for its commit."""
    with store.unit_of_work() as uow:
        connection = uow.db().connection()
        if connection.dialect.name == "postgresql":
            level = connection.execute(text("SHOW transaction_isolation")).scalar_one()
            in_transaction = connection.execute(
                text("SELECT now() = statement_timestamp()")  # equal only outside a transaction
            ).scalar_one()
            return str(level).upper(), not in_transaction
        level, autocommit = connection.execute(text("SELECT @@tx_isolation, @@autocommit")).one()
        return str(level).replace("-", " ").upper(), not autocommit


@pytest.mark.parametrize("level", LEVELS)
def test_a_unit_runs_in_read_committed_whatever_the_engine_says(engine: Engine, level: str) -> None:
    store = SqlAlchemyStore(engine.execution_options(isolation_level=level))
    assert _isolation(store) == ("READ COMMITTED", True)
    with store.unit_of_work() as uow:  # not committed: nothing stays
        uow.sessions.add(make_booking_session("gone"))
    with store.unit_of_work() as uow:
        assert uow.sessions.get_many("acme", ["gone"]) == []
    # The pool hands the connection back at the engine's own level.
    with engine.execution_options(isolation_level=level).connect() as connection:
        if engine.dialect.name == "postgresql" and level != "AUTOCOMMIT":
            shown = connection.execute(text("SHOW transaction_isolation")).scalar_one()
            assert str(shown).upper() == level


@pytest.mark.parametrize("level", ["REPEATABLE READ", "AUTOCOMMIT"])
def test_an_engine_created_with_another_level_runs_units_in_read_committed(
    engine: Engine, level: str
) -> None:
    arguments = {}
    if engine.dialect.name == "postgresql":  # the throwaway schema, which a hook sets
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        arguments = {"options": f"-c search_path={schema}"}
    made = create_engine(
        engine.url, isolation_level=level, poolclass=NullPool, connect_args=arguments
    )
    try:
        assert _isolation(SqlAlchemyStore(made)) == ("READ COMMITTED", True)
    finally:
        made.dispose()


def test_a_connection_in_read_committed_already_is_left_alone(engine: Engine) -> None:
    # Setting the level costs each unit two driver calls and the pool's reset: skipped
    # where SQLAlchemy knows the connection runs in READ COMMITTED (PostgreSQL's default).
    store = SqlAlchemyStore(engine.execution_options(isolation_level="READ COMMITTED"))
    with store.unit_of_work() as uow:
        connection = uow.db().connection()
        assert "isolation_level" not in connection.get_execution_options() or (
            connection.get_execution_options()["isolation_level"] == "READ COMMITTED"
        )
    assert store.backend.isolation_to_set({}, engine.dialect) == (
        None if engine.dialect.default_isolation_level == "READ COMMITTED" else "READ COMMITTED"
    )


def _book(store: SqlAlchemyStore, round_: int, n: int) -> str:
    booking = make_booking(f"r{round_}-w{n}", session_id=f"r{round_}", participant=f"s:w{n}")
    try:
        with store.unit_of_work() as uow:
            uow.bookings.add(booking)
            uow.commit()
    except CapacityExceeded:
        return "full"
    return "won"


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_bookers_on_a_repeatable_read_engine_never_overbook(
    engine: Engine, processes: bool
) -> None:
    repeatable = engine.execution_options(isolation_level="REPEATABLE READ")
    store = SqlAlchemyStore(repeatable)
    sessions: list[Session] = [
        make_booking_session(f"r{n}", capacity=CAPACITY) for n in range(ROUNDS)
    ]
    with store.unit_of_work() as uow:
        uow.sessions.add_many(sessions)
        uow.commit()
    outcomes = race_rounds(
        partial(_book, store),
        repeatable,
        rounds=ROUNDS,
        writers=WRITERS,
        processes=processes,
        per_process=WRITERS // 2,
    )
    expected = {"won": CAPACITY, "full": WRITERS - CAPACITY}
    assert {r: dict(Counter(o)) for r, o in outcomes.items()} == dict.fromkeys(
        range(ROUNDS), expected
    )
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT session_id, count(*) FROM sessionkit_bookings GROUP BY session_id")
        ).all()
    assert sorted((s, int(c)) for s, c in stored) == [(f"r{n}", CAPACITY) for n in range(ROUNDS)]
