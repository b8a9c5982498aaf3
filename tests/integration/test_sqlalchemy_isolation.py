"""The store's own units run in READ COMMITTED whatever isolation the engine is given.

A seat count or conflict check after a lock must see what the lock's
previous holder committed. Under an engine set to ``REPEATABLE READ`` the
count read a snapshot taken before the lock was granted: 8 writers for a
capacity-2 session stored 8 bookings on PostgreSQL, and on MariaDB an option
engine's level outlived the store's own option engine. ``AUTOCOMMIT`` made each
statement its own transaction (a raw "SAVEPOINT does not exist" after the
session's rows were committed). PostgreSQL and MariaDB only: SQLite's
``BEGIN IMMEDIATE`` serialises writers whatever the level.

A unit joined to the host's session runs in the host's level. Where the count
after the session's lock reads a snapshot (PostgreSQL's ``REPEATABLE READ`` and
``SERIALIZABLE``, MariaDB's ``REPEATABLE READ``, its default) two hosts that had
each read before booking both took a capacity-1 session's last seat, as did a
host booking after a unit of the store's own had taken it (PostgreSQL's
serializable checks do not watch a ``READ COMMITTED`` commit): such a unit is
refused before it locks anything.
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import partial

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import NullPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import CapacityExceeded, InvalidValue, SessionConflict
from sessionkit.model.session import ResourceRef, Session
from sessionkit.testing.contract import TENANT, make_session
from sessionkit.testing.contract.bookings import make_booking, make_booking_session

from ._racing import WRITER_KINDS, WRITERS, race, race_rounds, scalar, sent_statements

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
        assert uow.sessions.get_many(TENANT, ["gone"]) == []
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


def _stale(engine: Engine, level: str) -> bool:
    """Whether a joined unit at ``level`` counts from a snapshot, and so is refused."""
    if level == "READ COMMITTED":
        return False
    return engine.dialect.name == "postgresql" or level == "REPEATABLE READ"


def _book_joined(
    engine: Engine, store: SqlAlchemyStore, level: str, booking_id: str, ready: threading.Barrier
) -> str:
    """Book ``s1`` in a host session at ``level`` that read before booking; say how it went."""
    with OrmSession(engine.execution_options(isolation_level=level)) as host:
        host.execute(text("SELECT count(*) FROM sessionkit_sessions")).scalar_one()  # the snapshot
        ready.wait(timeout=30)
        try:
            with store.join(host) as uow:
                uow.bookings.add(make_booking(booking_id, session_id="s1"))
                uow.commit()
            host.commit()
        except CapacityExceeded:
            return "full"
        except InvalidValue as error:
            expected = "READ COMMITTED"
            if engine.dialect.name != "postgresql":
                expected += " or SERIALIZABLE"
            said = (error.value, error.expected)
            return "refused" if said == (level, expected) else f"wrongly refused: {said}"
    return "won"


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_hosts_that_read_first_never_overbook_the_last_seat(engine: Engine, level: str) -> None:
    """Two hosts at ``level`` each read, then book a capacity-1 session in a joined unit.

    Before, under REPEATABLE READ both won: the second's lock waited for the
    first, and its count then read the snapshot of its first read.
    """
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.commit()
    ready = threading.Barrier(2)
    outcomes = race(
        lambda n: _book_joined(engine, store, level, f"b{n}", ready),
        engine,
        writers=2,
        processes=False,
    )
    expected = ["refused", "refused"] if _stale(engine, level) else ["full", "won"]
    assert sorted(outcomes) == expected
    assert scalar(engine, "SELECT count(*) FROM sessionkit_bookings") == expected.count("won")


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_a_host_that_read_before_a_units_booking_never_overbooks(
    engine: Engine, level: str
) -> None:
    """A host reads, a unit of the store's own takes the last seat, the host books.

    Before, PostgreSQL's SERIALIZABLE stored the host's booking too: its
    checks do not watch the store's own units, which run READ COMMITTED.
    """
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.commit()
    with OrmSession(engine.execution_options(isolation_level=level)) as host:
        host.execute(text("SELECT count(*) FROM sessionkit_sessions")).scalar_one()
        with store.unit_of_work() as uow:
            uow.bookings.add(make_booking("own"))
            uow.commit()
        with store.join(host) as uow:
            assert uow.sessions.get(TENANT, "s1").capacity == 1  # reads are not refused
            stale = _stale(engine, level)
            with pytest.raises(InvalidValue if stale else CapacityExceeded):
                uow.bookings.add(make_booking("joined"))
            if stale:  # every command that locks a session to count its bookings
                with pytest.raises(InvalidValue):
                    uow.bookings.lock_session(TENANT, "s1")
                with pytest.raises(InvalidValue):
                    uow.bookings.lock_participant(TENANT, ResourceRef.parse("student:al"))
    assert scalar(engine, "SELECT count(*) FROM sessionkit_bookings") == 1


def test_read_uncommitted_is_refused_on_mariadb_and_is_read_committed_on_postgresql(
    engine: Engine,
) -> None:
    """A joined unit under READ UNCOMMITTED: MariaDB's is refused, naming it; PostgreSQL's is not.

    MariaDB's READ UNCOMMITTED reads rows no one committed (a booking or a
    session that may yet roll back), so a count or conflict check after a
    lock is not one of the levels kept: refused before anything is locked or
    written, as REPEATABLE READ is. PostgreSQL runs READ UNCOMMITTED as READ
    COMMITTED.
    """
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.commit()
    refused = engine.dialect.name == "mysql"
    with OrmSession(engine.execution_options(isolation_level="READ UNCOMMITTED")) as host:
        with store.join(host) as uow:
            if refused:
                with pytest.raises(InvalidValue) as booking:
                    uow.bookings.add(make_booking("joined"))
                with pytest.raises(InvalidValue) as session:
                    uow.sessions.add(make_session("busy"))
                for caught in (booking, session):
                    said = (caught.value.value, caught.value.expected)
                    assert said == ("READ UNCOMMITTED", "READ COMMITTED or SERIALIZABLE")
                    assert str(caught.value).startswith(
                        "your transaction runs in READ UNCOMMITTED, and sessionkit's unit joined"
                    )
            else:
                uow.bookings.add(make_booking("joined"))
                uow.sessions.add(make_session("busy"))
            uow.commit()
        host.commit()
    assert scalar(engine, "SELECT count(*) FROM sessionkit_bookings") == (0 if refused else 1)
    assert scalar(engine, "SELECT count(*) FROM sessionkit_sessions") == (1 if refused else 2)


def test_the_level_is_read_once_per_joined_unit_and_never_by_the_stores_own(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("MariaDB's level is read on the driver's cursor, which no listener sees")
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=5))
        uow.commit()
    shown = partial(sent_statements, engine, lambda statement: "isolation" in statement)
    with shown() as sent, store.unit_of_work() as uow:
        uow.bookings.lock_session(TENANT, "s1")
        uow.bookings.add(make_booking("own"))
        uow.commit()
    assert sent == []
    with shown() as sent, OrmSession(engine) as host, store.join(host) as uow:
        uow.bookings.add(make_booking("a"))
        uow.bookings.add(make_booking("b"))
        uow.commit()
        host.commit()
    assert sent == ["SHOW transaction_isolation"]


def _snapshot(engine: Engine, level: str) -> bool:
    """Whether a joined unit at ``level`` on PostgreSQL reads a snapshot older than its writes."""
    return engine.dialect.name == "postgresql" and level != "READ COMMITTED"


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_a_host_that_read_before_a_units_session_never_double_books_a_teacher(
    engine: Engine, level: str
) -> None:
    """A host reads, a unit of the store's own books teacher ana, the host books her too.

    Before, on MariaDB under REPEATABLE READ (its default) the host's conflict
    query, after the named lock, read the snapshot of its first read: ana held
    two sessions at once. PostgreSQL's exclusion constraint refuses it at any
    level; under REPEATABLE READ and SERIALIZABLE the host's snapshot cannot
    show the blocker, and the refusal was the driver's IntegrityError (23P01).
    """
    store = SqlAlchemyStore(engine)
    with OrmSession(engine.execution_options(isolation_level=level)) as host:
        # Not the sessions: MariaDB's SERIALIZABLE read would lock the unit's insert out.
        host.execute(text("SELECT count(*) FROM sessionkit_bookings")).scalar_one()
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("own"))
            uow.commit()
        refused = engine.dialect.name == "mysql" and level == "REPEATABLE READ"
        with store.join(host) as uow:
            with pytest.raises(InvalidValue if refused else SessionConflict) as caught:
                uow.sessions.add(make_session("joined"))
            if not refused:
                conflict = caught.value
                assert isinstance(conflict, SessionConflict)
                assert conflict.session == make_session("joined")
                unseen = _snapshot(engine, level)
                assert [s.id for s in conflict.conflicts] == ([] if unseen else ["own"])
                assert ("committed after your transaction's first read" in str(conflict)) is unseen
            uow.sessions.add(make_session("free", resources=()))  # no resource to check
            uow.commit()
        host.commit()
    with store.unit_of_work() as uow:
        stored = uow.sessions.get_many(TENANT, ["own", "joined", "free"])
        assert sorted(s.id for s in stored) == ["free", "own"]


@pytest.mark.parametrize("level", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_hosts_batch_or_move_onto_a_session_it_cannot_see_is_a_session_conflict(
    engine: Engine, level: str
) -> None:
    """add_many and update, in a host whose snapshot predates the blocker, on PostgreSQL.

    The refused session of a batch is the one whose row the constraint names
    (not the batch's first busy session), on the resource it names.
    """
    if engine.dialect.name != "postgresql":
        pytest.skip("no exclusion constraint: the check before the write reads fresh or is refused")
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("moved", at=5, resources=("teacher:ana", "room:1")))
        uow.commit()
    with OrmSession(engine.execution_options(isolation_level=level)) as host:
        host.execute(text("SELECT count(*) FROM sessionkit_bookings")).scalar_one()
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("own", resources=("room:1",)))
            uow.commit()
        with store.join(host) as uow:
            early = make_session("early", at=-3, resources=("teacher:ana", "room:1"))
            late = make_session("late", resources=("teacher:ana", "room:1"))
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.add_many([early, late])
            assert (caught.value.session, caught.value.conflicts) == (late, ())
            assert str(caught.value).startswith(
                f"session 'late' ({late.span.isoformat()}) needs room:1, already busy with "
            )
            moved = make_session("moved", resources=("teacher:ana", "room:1"))
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.update(moved, expected_version=1)
            assert (caught.value.session, caught.value.conflicts) == (
                make_session("moved", version=2, resources=("teacher:ana", "room:1")),
                (),
            )
            uow.commit()
        host.commit()
    with store.unit_of_work() as uow:
        stored = uow.sessions.get_many(TENANT, ["own", "early", "late", "moved"])
        assert [(s.id, s.span.start) for s in stored] == [
            ("own", make_session("own").span.start),
            ("moved", make_session("moved", at=5).span.start),
        ]
