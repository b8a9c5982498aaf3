"""The database's own faults reach the caller as typed sessionkit errors, and change nothing.

Each fault is made for real, on each database that can have it:

================== ====================== ============================ ==========================
fault              SQLite                 PostgreSQL                   MariaDB
================== ====================== ============================ ==========================
full               ``max_page_count``     (translation unit-tested)    (translation unit-tested)
read-only          a ``mode=ro`` file     a read-only transaction      a read-only session
dropped connection                        ``pg_terminate_backend``     ``KILL``
statement timeout                         ``statement_timeout``        ``max_statement_time``
lock timeout       the write lock, the    a row and a resource held    a row and a resource held
                   in-process queue       by an open unit of work      by an open unit of work
================== ====================== ============================ ==========================

Every test checks the error's type (and the builtin it also is), the driver's
exception chained as ``__cause__`` where the database raised one, and that the
stored rows are exactly as before; most also check that the store works again
afterwards. SQLite always; PostgreSQL with ``SESSIONKIT_TEST_POSTGRES_URL``,
MariaDB with ``SESSIONKIT_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema, metadata
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.errors import (
    SchemaMissing,
    SessionNotFound,
    StorageError,
    StorageFull,
    StorageReadOnly,
    StorageTimeout,
    StorageUnavailable,
)
from sessionkit.model import ResourceRef, ScheduleItem
from sessionkit.ports import BOOKINGS
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import TENANT, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)
DAY = datetime(2026, 3, 4, 9, tzinfo=UTC)
ANA = ResourceRef("teacher", "ana")
SHORT = timedelta(seconds=1)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)))
            for table in metadata.sorted_tables
        }


def _kit(store: SqlAlchemyStore) -> SessionKit:
    return SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))


def _create(kit: SessionKit, hour: int = 0, teacher: ResourceRef = ANA) -> object:
    return kit.sessions.create_extra(
        TENANT,
        actor="tina",
        start=DAY + timedelta(hours=hour),
        end=DAY + timedelta(hours=hour, minutes=45),
        resources=[teacher],
        lifecycle="lms",
        title="Algebra",
    )


def _seed(store: SqlAlchemyStore) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("s1"))
        uow.commit()


# --------------------------------------------------------------------- SQLite


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "faults.db"
    engine = create_engine(f"sqlite:///{path}")
    create_schema(engine)
    _seed(SqlAlchemyStore(engine))
    engine.dispose()
    return path


def test_sqlite_full_disk_is_storage_full(sqlite_file: Path) -> None:
    engine = create_engine(f"sqlite:///{sqlite_file}")
    before = snapshot(engine)
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()

    @event.listens_for(engine, "connect")
    def _full(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()
    kit = _kit(SqlAlchemyStore(engine))
    weekly = Recurrence.weekly(
        days=("MO", "TU", "WE", "TH", "FR"),
        at=DAY.time(),
        duration=timedelta(minutes=30),
        tz="UTC",
        start=DAY.date(),
    )
    with pytest.raises(StorageFull) as caught:
        # Hundreds of sessions: more than the pages left (none). Before, the rollback's
        # "no such savepoint" hid SQLite's "database or disk is full".
        kit.series.create(TENANT, actor="tina", title="Drill", items=[ScheduleItem("d", weekly)])
    error = caught.value
    assert isinstance(error, OSError)
    assert (error.backend, error.code) == ("sqlite", "13")
    assert isinstance(error.__cause__, sqlite3.OperationalError)
    assert error.__cause__.sqlite_errorname == "SQLITE_FULL"
    engine.dispose()
    assert snapshot(create_engine(f"sqlite:///{sqlite_file}")) == before


def test_sqlite_read_only_file_is_storage_read_only(sqlite_file: Path) -> None:
    before = snapshot(create_engine(f"sqlite:///{sqlite_file}"))
    engine = create_engine(f"sqlite:///file:{sqlite_file}?mode=ro&uri=true")
    kit = _kit(SqlAlchemyStore(engine))
    with pytest.raises(StorageReadOnly) as caught:
        _create(kit, hour=3)
    error = caught.value
    assert isinstance(error, PermissionError)
    assert isinstance(error.__cause__, sqlite3.OperationalError)
    assert error.__cause__.sqlite_errorname == "SQLITE_READONLY"
    engine.dispose()
    assert snapshot(create_engine(f"sqlite:///{sqlite_file}")) == before


def test_sqlite_write_lock_held_elsewhere_is_storage_timeout(sqlite_file: Path) -> None:
    """Another process (here: connection) holds the write lock past sqlite3's timeout."""
    before = snapshot(create_engine(f"sqlite:///{sqlite_file}"))
    other = sqlite3.connect(sqlite_file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{sqlite_file}", connect_args={"timeout": 0.2})
    kit = _kit(SqlAlchemyStore(engine))
    try:
        with pytest.raises(StorageTimeout) as caught:
            _create(kit, hour=3)
    finally:
        other.rollback()
        other.close()
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert error.waited_for == "the database's write lock"
    assert isinstance(error.__cause__, sqlite3.OperationalError)
    assert error.__cause__.sqlite_errorname == "SQLITE_BUSY"
    assert snapshot(engine) == before
    _create(kit, hour=3)  # and the store works once the lock is free
    engine.dispose()


def test_sqlite_unit_of_work_queue_is_bounded_by_lock_timeout(sqlite_file: Path) -> None:
    """A thread waits for another thread's open unit of work at most ``lock_timeout``."""
    engine = create_engine(f"sqlite:///{sqlite_file}")
    store = SqlAlchemyStore(engine, lock_timeout=timedelta(seconds=0.2))
    before = snapshot(engine)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.get(TENANT, "s1")
            holding.set()
            done.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        started = time.monotonic()
        with pytest.raises(StorageTimeout) as caught:
            _create(_kit(store), hour=3)
        assert time.monotonic() - started < 5
    finally:
        done.set()
        holder.join(timeout=30)
    error = caught.value
    assert "another unit of work" in error.waited_for
    assert error.timeout == timedelta(seconds=0.2)
    assert snapshot(engine) == before
    engine.dispose()


def test_a_sqlite_lock_timeout_longer_than_threading_allows_still_works(
    sqlite_file: Path,
) -> None:
    """The in-process queue's wait: timedelta.max raised a bare OverflowError in every unit."""
    engine = create_engine(f"sqlite:///{sqlite_file}")
    store = SqlAlchemyStore(engine, lock_timeout=timedelta.max)
    _create(_kit(store), hour=3)
    assert len(snapshot(engine)["sessionkit_sessions"]) == 2
    engine.dispose()


# --------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run this on PostgreSQL")
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture(scope="module")
def mysql() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run this on MySQL/MariaDB")
    with mysql_database(MYSQL_URL) as engine:
        yield engine


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> Engine:
    """A server database with one stored session ``s1`` of ana."""
    engine: Engine = request.getfixturevalue(request.param)
    clear_tables(engine)
    _seed(SqlAlchemyStore(engine))
    return engine


def _driver_errors(engine: Engine) -> Any:
    return engine.dialect.loaded_dbapi.Error


def _backend_id(engine: Engine, connection: Any) -> int:
    query = (
        "SELECT pg_backend_pid()"
        if engine.dialect.name == "postgresql"
        else ("SELECT CONNECTION_ID()")
    )
    return int(connection.execute(text(query)).scalar_one())


def _kill(engine: Engine, backend_id: int) -> None:
    with engine.connect() as admin:
        if engine.dialect.name == "postgresql":
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_id})
        else:
            admin.execute(text(f"KILL {backend_id}"))
        admin.commit()


def test_a_dropped_connection_is_storage_unavailable(server: Engine) -> None:
    store = SqlAlchemyStore(server)
    before = snapshot(server)

    def write() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("s2", at=5))
            _kill(server, _backend_id(server, uow.db()))
            uow.sessions.add(make_session("s3", at=7))

    with pytest.raises(StorageUnavailable) as caught:
        write()
    error = caught.value
    assert isinstance(error, ConnectionError)
    assert isinstance(error.__cause__, _driver_errors(server))
    assert error.outcome_unknown is False  # lost before the COMMIT: nothing was kept
    assert snapshot(server) == before
    _create(_kit(store), hour=3)  # the pool replaced the dead connection


def test_a_connection_dropped_before_commit_says_the_outcome_is_unknown(server: Engine) -> None:
    store = SqlAlchemyStore(server)
    before = snapshot(server)

    def write() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("s2", at=5))
            _kill(server, _backend_id(server, uow.db()))
            uow.commit()

    with pytest.raises(StorageUnavailable) as caught:
        write()
    assert isinstance(caught.value.__cause__, _driver_errors(server))
    assert any("may or may not have been applied" in note for note in caught.value.__notes__)
    assert caught.value.outcome_unknown is True  # a field an app (or a 503 body) can show
    assert snapshot(server) == before


def _kill_idle(engine: Engine, backend_id: int) -> None:
    """Kill the pooled connection ``backend_id`` from outside the pool; wait until it is gone."""
    postgres = engine.dialect.name == "postgresql"
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE pid = :id"
        if postgres
        else "SELECT count(*) FROM information_schema.PROCESSLIST "
        "WHERE ID = :id AND COMMAND <> 'Killed'"
    )
    admin_engine = create_engine(engine.url, poolclass=NullPool)
    with admin_engine.connect() as admin:
        if postgres:
            admin.execute(text("SELECT pg_terminate_backend(:id)"), {"id": backend_id})
        else:
            admin.execute(text(f"KILL {backend_id}"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not admin.execute(text(query), {"id": backend_id}).scalar():
                return
            # PostgreSQL shows pg_stat_activity as it was at a transaction's first look at it:
            # without a new transaction per look, a backend still there then stays forever.
            admin.rollback()
            time.sleep(0.05)
    raise AssertionError(f"connection {backend_id} outlived its kill by 30 s")


@pytest.mark.parametrize("over", ["engine", "sessionmaker"])
def test_a_pooled_connection_the_server_dropped_is_storage_unavailable(
    server: Engine, over: str
) -> None:
    """MySQL's units set READ COMMITTED on it first, bypassing the hook: a bare OperationalError.

    Over a sessionmaker the ORM session sets it inside ``Session.connection()``.
    """
    store = SqlAlchemyStore(server if over == "engine" else sessionmaker(bind=server))
    server.dispose()
    before = snapshot(server)
    _kit(store).queries.list(TENANT)  # the pool holds one connection, idle
    with server.connect() as connection:
        idle = _backend_id(server, connection)
    _kill_idle(server, idle)
    with pytest.raises(StorageUnavailable) as caught:
        _create(_kit(store), hour=3)
    assert isinstance(caught.value, ConnectionError)
    assert isinstance(caught.value.__cause__, _driver_errors(server))
    assert snapshot(server) == before
    _create(_kit(store), hour=3)  # the pool replaced the dead connection


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_pool_pre_ping_replaces_a_dropped_connection_before_the_unit_uses_it(backend: str) -> None:
    """The fault hook turned the pre-ping's finding into StorageUnavailable, failing the unit."""
    url = POSTGRES_URL if backend == "postgres" else MYSQL_URL
    if not url:
        pytest.skip(f"set SESSIONKIT_TEST_{backend.upper()}_URL to run this")
    scratch = postgres_schema if backend == "postgres" else mysql_database
    with scratch(url, pool_pre_ping=True) as engine:
        store = SqlAlchemyStore(engine)
        _kit(store).queries.list(TENANT)  # the pool holds one connection, idle
        with engine.connect() as connection:
            idle = _backend_id(engine, connection)
        _kill_idle(engine, idle)
        _create(_kit(store), hour=3)
        assert len(snapshot(engine)["sessionkit_sessions"]) == 1


def _hold_row(store: SqlAlchemyStore) -> Any:
    """Open a unit of work that has rewritten ``s1`` and keeps its row locked; return it."""
    holder = store.unit_of_work().__enter__()
    session = holder.sessions.get(TENANT, "s1")
    holder.sessions.update(session, expected_version=session.version)
    return holder


def _time_statements(uow: Any, server: Engine) -> None:
    """Cut the unit's statements at 300 ms: PostgreSQL's statement_timeout, MariaDB's own."""
    if server.dialect.name == "postgresql":
        uow.db().execute(text("SET LOCAL statement_timeout = '300ms'"))
    else:
        uow.db().execute(text("SET SESSION max_statement_time = 0.3"))


def test_a_row_held_by_an_open_unit_of_work_is_storage_timeout(server: Engine) -> None:
    """Before, PostgreSQL writers waited forever behind an open unit of work."""
    store = SqlAlchemyStore(server, lock_timeout=SHORT)
    before = snapshot(server)
    holder = _hold_row(store)
    try:
        started = time.monotonic()
        with pytest.raises(StorageTimeout) as caught:
            _kit(store).sessions.update(TENANT, "s1", actor="ed", title="Moved")
        waited = time.monotonic() - started
    finally:
        holder.__exit__(None, None, None)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert 0.5 < waited < 8, waited
    assert error.waited_for == "a lock on sessionkit_sessions (a row's or the table's)"
    assert error.timeout == SHORT
    assert isinstance(error.__cause__, _driver_errors(server))
    assert snapshot(server) == before


def test_a_booking_waits_for_its_session_no_longer_than_lock_timeout(server: Engine) -> None:
    """The session's row lock is a booking's first statement: bounded before it is sent."""
    store = SqlAlchemyStore(server, lock_timeout=SHORT)
    before = snapshot(server)
    holder = store.unit_of_work().__enter__()
    holder.repository(BOOKINGS).lock_session(TENANT, "s1")
    try:
        started = time.monotonic()
        with pytest.raises(StorageTimeout) as caught:
            _kit(store).bookings.book(TENANT, "s1", "student:bo", actor="bo")
        waited = time.monotonic() - started
    finally:
        holder.__exit__(None, None, None)
    error = caught.value
    assert 0.5 < waited < 8, waited
    assert error.waited_for == "a lock on sessionkit_sessions (a row's or the table's)"
    assert error.timeout == SHORT
    assert isinstance(error.__cause__, _driver_errors(server))
    assert snapshot(server) == before
    booked = _kit(store).bookings.book(TENANT, "s1", "student:bo", actor="bo")
    assert booked.status == "HELD"


def test_a_unit_that_locks_a_missing_session_still_bounds_its_waits(server: Engine) -> None:
    """A lock statement that found no row leaves the unit's later lock waits bounded."""
    store = SqlAlchemyStore(server, lock_timeout=SHORT)
    holder = store.unit_of_work().__enter__()
    holder.repository(BOOKINGS).lock_session(TENANT, "s1")
    try:
        with store.unit_of_work() as uow:
            with pytest.raises(SessionNotFound):
                uow.repository(BOOKINGS).lock_session(TENANT, "nowhere")
            started = time.monotonic()
            with pytest.raises(StorageTimeout):
                uow.repository(BOOKINGS).lock_session(TENANT, "s1")
            assert time.monotonic() - started < 8
    finally:
        holder.__exit__(None, None, None)


def test_a_lock_timeout_longer_than_the_database_allows_still_works(server: Engine) -> None:
    """PostgreSQL takes at most 2**31 - 1 ms: 25 days failed every unit with a bare DataError."""
    store = SqlAlchemyStore(server, lock_timeout=timedelta(days=25))
    _create(_kit(store), hour=3)
    with server.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM sessionkit_sessions")).scalar()
    assert stored == 2
    if server.dialect.name == "postgresql":
        with store.unit_of_work() as uow:
            uow.sessions.get(TENANT, "s1")
            bound = uow.db().execute(text("SHOW lock_timeout")).scalar()
        assert bound == "2147483647ms"


@contextmanager
def _let_go_after(seconds: float, release: Callable[[], object]) -> Iterator[threading.Event]:
    """Run ``release`` after ``seconds`` if the block is still running, else when it ends.

    A lock wait left unbounded would last forever: the holder lets go instead, and
    the waiting statement then goes through, which the test sees (the event is set).
    """
    fired = threading.Event()

    def let_go() -> None:
        fired.set()
        release()

    timer = threading.Timer(seconds, let_go)
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
        timer.join()
        if not fired.is_set():
            release()


@contextmanager
def _table_locked(server: Engine, table: str) -> Iterator[Callable[[], object]]:
    """Hold a lock on the whole of ``table`` (as an ``ALTER TABLE`` would); yield its release."""
    with server.connect() as holder:
        holder.begin()
        if server.dialect.name == "postgresql":
            holder.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

            def release() -> None:
                holder.rollback()
        else:
            holder.exec_driver_sql(f"LOCK TABLES {table} WRITE")

            def release() -> None:
                holder.exec_driver_sql("UNLOCK TABLES")
                holder.rollback()

        released = False

        def release_once() -> None:
            nonlocal released
            if not released:
                released = True
                release()

        try:
            yield release_once
        finally:
            release_once()


def test_a_listing_behind_a_table_lock_is_storage_timeout(server: Engine) -> None:
    """A plain SELECT waits for no row lock, but it waits behind a lock on its table.

    Before, MySQL/MariaDB waited by the server's ``lock_wait_timeout`` (a day by default).
    """
    store = SqlAlchemyStore(server, lock_timeout=SHORT)
    with (
        _table_locked(server, "sessionkit_bookings") as release,
        _let_go_after(8, release) as fired,
        pytest.raises(StorageTimeout),
    ):
        _kit(store).bookings.bookable(TENANT, start=NOW, end=NOW + timedelta(days=30))
    assert not fired.is_set(), "the listing waited past 8 s"


@pytest.mark.parametrize("command", ["book", "update", "get"])
def test_a_command_behind_a_lock_on_the_sessions_table_is_storage_timeout(
    server: Engine, command: str
) -> None:
    """A migration's ``ALTER TABLE`` queued behind a long transaction locks the table.

    Before, PostgreSQL bounded a booking's waits in its first statement, too late for the
    lock on its table, which the statement takes when it is parsed: a booking (and a
    session update) waited for as long as the lock was held; MySQL/MariaDB waited so for
    every command.
    """
    store = SqlAlchemyStore(server, lock_timeout=SHORT)
    kit = _kit(store)
    before = snapshot(server)
    run: dict[str, Callable[[], object]] = {
        "book": partial(kit.bookings.book, TENANT, "s1", "student:bo", actor="bo"),
        "update": partial(kit.sessions.update, TENANT, "s1", actor="ed", title="Moved"),
        "get": partial(kit.queries.get, TENANT, "s1"),
    }
    with _table_locked(server, "sessionkit_sessions") as release:
        started = time.monotonic()
        with _let_go_after(8, release) as fired, pytest.raises(StorageTimeout) as caught:
            run[command]()
        waited = time.monotonic() - started
    assert not fired.is_set(), f"{command} waited past 8 s"
    assert 0.5 < waited < 8, waited
    assert caught.value.timeout == SHORT
    assert snapshot(server) == before
    run[command]()  # the lock is gone: the command goes through


def test_a_unit_that_reads_before_it_locks_still_bounds_its_waits(server: Engine) -> None:
    """A unit's first read does not use up its bound: the lock it takes later is bounded."""
    store = SqlAlchemyStore(server, lock_timeout=SHORT)
    for locks in ("the booking's lock", "an update"):
        holder = _hold_row(store)
        with (
            _let_go_after(8, partial(holder.__exit__, None, None, None)) as fired,
            store.unit_of_work() as uow,
        ):
            bookings = uow.repository(BOOKINGS)
            bookings.for_participant(TENANT, ResourceRef("student", "bo"))
            if locks == "an update":
                session = uow.sessions.get(TENANT, "s1")
                with pytest.raises(StorageTimeout):
                    uow.sessions.update(session, expected_version=session.version)
            else:
                with pytest.raises(StorageTimeout):
                    bookings.lock_session(TENANT, "s1")
        assert not fired.is_set(), f"{locks}: the wait outlasted 8 s"


def test_a_resource_held_by_an_open_unit_of_work_is_storage_timeout(server: Engine) -> None:
    store = SqlAlchemyStore(server, lock_timeout=SHORT)
    before = snapshot(server)
    holder = store.unit_of_work().__enter__()
    holder.sessions.add(make_session("held", at=10))  # locks ana until the unit ends
    try:
        with pytest.raises(StorageTimeout) as caught:
            _create(_kit(store), hour=3)
    finally:
        holder.__exit__(None, None, None)
    error = caught.value
    assert "'teacher:ana'" in error.waited_for
    assert repr(TENANT) in error.waited_for
    if server.dialect.name == "postgresql":
        assert isinstance(error.__cause__, _driver_errors(server))
    else:  # GET_LOCK answers 0 when its wait runs out: no driver error to chain
        assert error.__cause__ is None
    assert snapshot(server) == before
    _create(_kit(store), hour=3)


def test_a_resource_wait_of_timedelta_max_waits_for_the_holder(server: Engine) -> None:
    """MariaDB's GET_LOCK answered 0 at once to a huge timeout: a StorageTimeout without a wait."""
    store = SqlAlchemyStore(server, lock_timeout=timedelta.max)
    holder = store.unit_of_work().__enter__()
    holder.sessions.add(make_session("held", at=10))  # locks ana until the unit ends
    with _let_go_after(1.0, lambda: holder.__exit__(None, None, None)) as fired:
        _create(_kit(store), hour=3)
    assert fired.is_set()  # it waited for the holder, then went through
    assert len(snapshot(server)["sessionkit_sessions"]) == 2


def test_a_statement_timeout_is_storage_timeout(server: Engine) -> None:
    """The host's statement timeout cuts a write that waits behind an open unit of work."""
    store = SqlAlchemyStore(server, lock_timeout=None)
    before = snapshot(server)
    holder = _hold_row(store)

    def write() -> None:
        with store.unit_of_work() as uow:
            _time_statements(uow, server)
            session = uow.sessions.get(TENANT, "s1")
            uow.sessions.update(session, expected_version=session.version)

    try:
        with pytest.raises(StorageTimeout) as caught:
            write()
    finally:
        holder.__exit__(None, None, None)
        server.dispose()  # no pooled connection keeps the statement timeout
    error = caught.value
    assert error.waited_for == "the statement to finish"
    assert error.code == ("57014" if server.dialect.name == "postgresql" else "1969")
    assert isinstance(error.__cause__, _driver_errors(server))
    assert snapshot(server) == before


def test_a_statement_timeout_during_a_resource_wait_is_storage_timeout(server: Engine) -> None:
    """MariaDB's max_statement_time ends GET_LOCK with NULL: it was a plain StorageError."""
    store = SqlAlchemyStore(server, lock_timeout=None)
    before = snapshot(server)
    holder = store.unit_of_work().__enter__()
    holder.sessions.add(make_session("held", at=10))  # locks ana until the unit ends

    def write() -> None:
        with store.unit_of_work() as uow:
            _time_statements(uow, server)
            uow.sessions.add(make_session("s2", at=5))

    try:
        with pytest.raises(StorageTimeout) as caught:
            write()
    finally:
        holder.__exit__(None, None, None)
        server.dispose()  # no pooled connection keeps the statement timeout
    assert "'teacher:ana'" in caught.value.waited_for
    assert snapshot(server) == before


def test_a_read_only_database_is_storage_read_only(server: Engine) -> None:
    store = SqlAlchemyStore(server)
    before = snapshot(server)
    if server.dialect.name == "postgresql":

        def write() -> None:
            with store.unit_of_work() as uow:
                uow.db().execute(text("SET TRANSACTION READ ONLY"))
                uow.sessions.add(make_session("s2", at=5))

        with pytest.raises(StorageReadOnly) as caught:
            write()
    else:
        read_only = create_engine(server.url)

        @event.listens_for(read_only, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.close()

        try:
            with pytest.raises(StorageReadOnly) as caught:
                _create(_kit(SqlAlchemyStore(read_only)), hour=3)
        finally:
            read_only.dispose()
    error = caught.value
    assert isinstance(error, PermissionError)
    assert isinstance(error, StorageError)
    assert isinstance(error.__cause__, _driver_errors(server))
    assert snapshot(server) == before


# ------------------------------------------------------------------ tables never made


def test_a_database_without_sessionkit_s_tables_says_so(blank_engine: Engine) -> None:
    # The new user's first mistake: no upgrade(engine) or create_schema(engine) yet.
    unmade = blank_engine
    kit = _kit(SqlAlchemyStore(unmade))
    with pytest.raises(SchemaMissing) as caught:
        _create(kit)
    error = caught.value
    assert isinstance(error, StorageError)
    assert isinstance(error, LookupError)
    assert error.missing is not None
    assert error.missing.startswith("sessionkit_")  # the table, not database.table
    assert "." not in error.missing
    assert str(error).endswith(
        "Make or upgrade them first: sessionkit.adapters.sqlalchemy.upgrade(engine) (or alembic "
        "upgrade head where your own Alembic history holds sessionkit's tables); nothing was "
        "written"
    )
    assert "manage.py" not in str(error)
    assert isinstance(error.__cause__, _driver_errors(unmade))
    # The tick reports each kind's read as failed with the same error, and goes on.
    report = kit.tick()
    assert {failure.kind for failure in report.failed} == {
        "top_up",
        "reschedules",
        "advance",
        "expire_holds",
    }
    assert all(isinstance(failure.error, SchemaMissing) for failure in report.failed)
    assert inspect(unmade).get_table_names() == []


@pytest.mark.parametrize("make", ["create_schema", "upgrade"])
@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{tmp}/no-such-dir/kit.db",
        pytest.param(
            "postgresql+psycopg://postgres@127.0.0.1:1/test",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="psycopg only with PostgreSQL"),
        ),
    ],
)
def test_a_database_that_cannot_be_reached_is_storage_unavailable_to_both_makers(
    make: str, url: str, tmp_path: Path
) -> None:
    # upgrade(engine) let the driver's OperationalError out bare, where create_schema(engine)
    # on the same engine raised StorageUnavailable.
    from sessionkit.adapters.sqlalchemy import upgrade

    maker: Callable[[Engine], None] = upgrade if make == "upgrade" else create_schema
    engine = create_engine(url.format(tmp=tmp_path), poolclass=NullPool)
    try:
        with pytest.raises(StorageUnavailable) as caught:
            maker(engine)
    finally:
        engine.dispose()
    assert isinstance(caught.value.__cause__, Exception)
    assert type(caught.value.__cause__).__name__ == "OperationalError"
    # It never connected: nothing was begun, so nothing was "rolled back".
    assert "rolled back" not in str(caught.value)
    assert "sessionkit could not finish the operation" in str(caught.value)
    assert not (tmp_path / "no-such-dir").exists()
