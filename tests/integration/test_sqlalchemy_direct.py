"""A booking's statements on the driver's cursor: the same rows as Core, and Core when watched.

``_direct.run`` sends the session's row lock and the checked insert (and, on
PostgreSQL, the transaction's lock bound before them) on the DBAPI cursor
beneath Core (the booking command's hot path). These tests hold
it to Core on every backend (SQLite file; PostgreSQL and MariaDB when their
URLs are set): the session it reads and the booking row it writes are exactly
Core's, anything that watches or changes Core's statements makes Core run
them, a statement Core renders per call is left to Core, and a driver error is
Core's error. The lock-timeout translation on this path is tested in
``test_sqlalchemy_faults.py`` (a booking waits no longer than ``lock_timeout``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from sqlalchemy import Connection, Engine, String, bindparam, column, event, select, table
from sqlalchemy.exc import DBAPIError, InvalidRequestError, PendingRollbackError, StatementError
from sqlalchemy.sql.base import Executable

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy import _booking_statements as sql
from sessionkit.adapters.sqlalchemy import _direct as direct
from sessionkit.adapters.sqlalchemy._backend import _SET_LOCK_TIMEOUT
from sessionkit.adapters.sqlalchemy.booking_rows import booking_values, bookings_table
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.model import ResourceRef, Session
from sessionkit.ports import BOOKINGS
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import TENANT

from ._racing import sent_statements

NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)
START = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)
METADATA = {"note": "Grüße ✓", "levels": [1, 2.5, None, "B2"], "nested": {"ok": True}}


def _kit(store: SqlAlchemyStore) -> SessionKit:
    return SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))


def _session(kit: SessionKit) -> Session:
    return kit.sessions.create_extra(
        TENANT,
        actor="tina",
        start=START,
        end=START + timedelta(minutes=90),
        title="Conversation — B2",
        resources=["teacher:ana", "room:7"],
        tz="Europe/Berlin",
        lifecycle="lms",
        capacity=4,
        metadata=METADATA,
    )


def _book(kit: SessionKit, session_id: str, who: str) -> Any:
    return kit.bookings.book(
        TENANT,
        session_id,
        f"student:{who}",
        actor="desk",
        seats=2,
        role="student",
        hold_for=timedelta(minutes=20),
        metadata=METADATA,
    )


def _row(engine: Engine, booking_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        found = connection.execute(
            select(bookings_table).where(bookings_table.c.id == booking_id)
        ).one()
    return dict(found._mapping)


def test_a_booking_sends_its_statements_on_the_driver_cursor(race_engine: Engine) -> None:
    store = SqlAlchemyStore(race_engine)
    kit = _kit(store)
    session = _session(kit)
    direct._CACHE.pop(race_engine.dialect, None)
    _book(kit, session.id, "ada")
    compiled = direct._CACHE[race_engine.dialect]
    # PostgreSQL's lock bound comes first, on the same path (through Core it cost about a
    # sixth of a booking's client CPU); the other databases have no statement for it.
    bound: list[Executable] = [_SET_LOCK_TIMEOUT] if store.backend.name == "postgresql" else []
    lock = sql.SESSION_FOR_UPDATE
    # PostgreSQL's quick way (no unit of work) reads the capacity under its lock and passes it.
    quick = store.backend.name == "postgresql"
    checked = sql.insert_checked(store.backend.name, True, True, True)
    insert = sql.insert_checked("postgresql", True, True, True, capacity=True) if quick else checked
    assert list(compiled) == [*bound, lock, insert]
    assert all(entry is not None for entry in compiled.values())


def test_the_lock_bound_on_the_driver_cursor_sets_the_transactions_bound(
    race_engine: Engine,
) -> None:
    if race_engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL bounds a transaction's lock waits with a statement")
    store = SqlAlchemyStore(race_engine, lock_timeout=timedelta(milliseconds=1500))
    with store.unit_of_work() as uow:
        db = uow.db()
        timeout = db.connection().exec_driver_sql("SHOW lock_timeout").scalar_one()
        zone = db.connection().exec_driver_sql("SHOW TimeZone").scalar_one()
    assert (timeout, zone) == ("1500ms", "UTC")
    with race_engine.connect() as connection:  # SET LOCAL: the next transaction has neither
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar_one() == "0"


def test_the_driver_path_reads_and_writes_exactly_what_core_does(race_engine: Engine) -> None:
    store = SqlAlchemyStore(race_engine)
    kit = _kit(store)
    session = _session(kit)
    with store.unit_of_work() as uow:
        on_driver = uow.repository(BOOKINGS).lock_session(TENANT, session.id)
    with sent_statements(race_engine) as sent, store.unit_of_work() as uow:
        through_core = uow.repository(BOOKINGS).lock_session(TENANT, session.id)
    assert any("FOR UPDATE" in s or "sessionkit_sessions" in s for s in sent)
    assert on_driver == through_core == session
    assert on_driver.metadata == METADATA

    first = _book(kit, session.id, "ada")
    with sent_statements(race_engine) as sent:
        second = _book(kit, session.id, "bo")
    assert any(s.lstrip().startswith("INSERT") for s in sent)
    assert attrs.evolve(second, id=first.id, participant=first.participant) == first
    assert first.metadata == METADATA
    assert first.hold_expires_at == NOW + timedelta(minutes=20)
    written, copied = _row(race_engine, first.id), _row(race_engine, second.id)
    for varying in ("id", "participant_id"):
        written.pop(varying), copied.pop(varying)
    assert written == copied
    refused = kit.bookings.can_book(TENANT, session.id, "student:cy", seats=1)
    assert refused is not None
    assert refused.rule == "capacity"


def test_a_listener_echo_or_schema_translation_leaves_the_statements_to_core(
    race_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqlAlchemyStore(race_engine)
    kit = _kit(store)
    session = _session(kit)
    with race_engine.connect() as connection:
        assert direct._plain(connection)
        assert not direct._plain(connection.execution_options(schema_translate_map={None: "x"}))
    for hook in (
        "before_execute",
        "after_execute",
        "before_cursor_execute",
        "after_cursor_execute",
    ):

        def noted(*_args: Any) -> None:
            pass

        event.listen(race_engine, hook, noted)
        try:
            with race_engine.connect() as connection:
                assert not direct._plain(connection)
        finally:
            event.remove(race_engine, hook, noted)
    with sent_statements(race_engine) as sent:
        _book(kit, session.id, "ada")
    assert sum("sessionkit_sessions" in s and "FOR UPDATE" in s for s in sent) == (
        0 if race_engine.dialect.name == "sqlite" else 1
    )
    assert sum(s.lstrip().startswith("INSERT INTO sessionkit_bookings") for s in sent) == 1
    race_engine.echo = True
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            _book(kit, session.id, "bo")
        with race_engine.connect() as connection:
            assert not direct._plain(connection)
    finally:
        race_engine.echo = False
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert any(m.lstrip().startswith("INSERT INTO sessionkit_bookings") for m in logged)


@pytest.mark.parametrize("target", ["connection", "Connection", "Engine"])
def test_a_listener_of_the_connection_or_a_class_leaves_the_statements_to_core(
    race_engine: Engine, target: str
) -> None:
    seen: list[str] = []

    def noted(*args: Any) -> None:
        seen.append(args[2])  # before_cursor_execute(connection, cursor, statement, ...)

    def delivered(connection: Connection) -> bool:
        """Whether Core calls the listener for a statement of ``connection``."""
        seen.clear()
        connection.exec_driver_sql("SELECT 1").all()
        return bool(seen)

    # Listening on a class sets its _has_events for good; the test puts the flag back.
    flags = {kind: kind.__dict__.get("_has_events") for kind in (Connection, Engine)}
    with race_engine.connect() as connection:
        assert direct._plain(connection)
        listened: object = {"connection": connection, "Connection": Connection, "Engine": Engine}[
            target
        ]
        event.listen(listened, "before_cursor_execute", noted)
        try:
            with race_engine.connect() as other:
                for each in (connection, other):
                    # What Core would show the listener, the cursor path leaves to Core.
                    assert direct._plain(each) is not delivered(each)
                # SQLAlchemy 2.0 before about 2.0.50 calls no listener of the Connection
                # class (nor did the cursor path skip it then): elsewhere Core calls it.
                assert delivered(connection) or target == "Connection"
                assert delivered(other) is (target != "connection") or target == "Connection"
        finally:
            event.remove(listened, "before_cursor_execute", noted)
            for kind, flag in flags.items():
                if flag is not None:
                    kind._has_events = flag
                elif "_has_events" in kind.__dict__:
                    del kind._has_events
    with race_engine.connect() as connection:
        assert direct._plain(connection)


def test_a_statement_core_renders_per_call_is_left_to_core(race_engine: Engine) -> None:
    store = SqlAlchemyStore(race_engine)
    session = _session(_kit(store))
    expanding = select(sessions_table.c.id, sessions_table.c.capacity).where(
        sessions_table.c.id.in_(bindparam("ids", expanding=True))
    )
    assert direct._compile(race_engine.dialect, expanding) is None
    with race_engine.connect() as connection:
        ran = direct.run(connection, expanding, {"ids": [session.id, "nowhere"]})
    assert ran.row == {"id": session.id, "capacity": 4}


def test_a_driver_error_is_cores_error_and_the_connection_recovers(race_engine: Engine) -> None:
    store = SqlAlchemyStore(race_engine)
    session = _session(_kit(store))
    missing = select(column("id", String)).select_from(table("sessionkit_nowhere"))
    missing = missing.where(column("id", String) == bindparam("session_id"))
    with race_engine.connect() as connection:
        with pytest.raises(DBAPIError) as caught:
            direct.run(connection, missing, {"session_id": session.id})
        connection.rollback()
        params = {"tenant": TENANT, "session_id": session.id}
        lock = direct.run(connection, sql.SESSION_FOR_UPDATE, params)
    assert isinstance(caught.value.orig, race_engine.dialect.loaded_dbapi.Error)
    assert "sessionkit_nowhere" in str(caught.value.statement)
    assert direct._CACHE[race_engine.dialect][missing] is not None  # the driver's path failed
    assert lock.row is not None
    assert lock.row["id"] == session.id


def test_psycopg_runs_each_statement_on_a_cursor_of_its_own_kept_until_it_fails(
    race_engine: Engine,
) -> None:
    # psycopg looks a cursor's dumpers and loaders up again for each new cursor or query:
    # there each statement keeps a cursor per connection. Elsewhere every run gets a new one.
    store = SqlAlchemyStore(race_engine)
    kit = _kit(store)
    session = _session(kit)
    params = {"tenant": TENANT, "session_id": session.id}
    missing = select(column("id", String)).select_from(table("sessionkit_nowhere"))
    missing = missing.where(column("id", String) == bindparam("session_id"))
    kept = race_engine.dialect.driver == "psycopg"
    with race_engine.connect() as connection:
        seen: list[Any] = []
        compiled = direct._compiled(connection, sql.SESSION_FOR_UPDATE)
        assert compiled is not None
        for _ in range(2):
            with direct._sent(connection, compiled, params) as cursor:
                seen.append(cursor)
                assert cursor.fetchone() is not None
        assert seen[0] is seen[1] if kept else seen[0] is not seen[1]
        if kept:
            assert not seen[0].closed  # left open for the next run
        with pytest.raises(DBAPIError):
            direct.run(connection, missing, params)
        connection.rollback()
        failed = direct._compiled(connection, missing)
        assert failed is not None
        assert failed.kept is kept
        cursors = connection.connection.info.get(direct._CURSORS, {})
        assert failed.sql not in cursors  # dropped: the next run gets a new cursor
        lock = direct.run(connection, sql.SESSION_FOR_UPDATE, params)
        assert lock.row is not None
        assert lock.row["id"] == session.id
        # A listing never keeps its cursor, which would hold its rows.
        with direct._sent(connection, compiled, params, keep=False) as cursor:
            cursor.fetchall()
        assert cursor is not cursors.get(compiled.sql)
        # The lock's, kept over the pool's checkouts (by statement).
        assert (compiled.sql in cursors) is kept


def test_a_transaction_core_would_refuse_is_refused_as_core_does(
    race_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failed COMMIT, or a transaction ended inside its ``with`` block: Core's errors.

    On the driver's cursor the statement would run in a new transaction the
    driver begins and Core knows nothing of.
    """
    store = SqlAlchemyStore(race_engine)
    session = _session(_kit(store))
    params = {"tenant": TENANT, "session_id": session.id}
    dbapi = race_engine.dialect.loaded_dbapi

    def refuse(dbapi_connection: Any) -> None:
        dbapi_connection.rollback()  # as a COMMIT the server refused: the transaction is over
        raise dbapi.IntegrityError("refused at COMMIT")

    with race_engine.connect() as connection:
        connection.begin()
        monkeypatch.setattr(race_engine.dialect, "do_commit", refuse)
        with pytest.raises(DBAPIError):
            connection.commit()
        monkeypatch.undo()
        transaction = connection.get_transaction()
        assert transaction is not None
        assert not transaction.is_active
        assert direct._plain(connection)  # nothing watches: only the transaction says no
        with pytest.raises(PendingRollbackError):
            direct.run(connection, sql.SESSION_FOR_UPDATE, params)
        connection.rollback()
        locked = direct.run(connection, sql.SESSION_FOR_UPDATE, params).row
        assert locked is not None
        assert locked["id"] == session.id
        connection.rollback()
        with connection.begin() as begun:
            begun.commit()
            with pytest.raises(InvalidRequestError, match="closed transaction inside context"):
                direct.run(connection, sql.SESSION_FOR_UPDATE, params)


def test_a_statement_outside_a_transaction_begins_one_as_core_does(race_engine: Engine) -> None:
    """What the statement wrote is committed by the connection's ``commit``, as through Core."""
    store = SqlAlchemyStore(race_engine)
    kit = _kit(store)
    session = _session(kit)
    booking = _book(kit, session.id, "ada")
    statement = sql.insert_checked(race_engine.dialect.name, True, False, False)
    other = attrs.evolve(booking, id="b-direct", participant=ResourceRef.parse("student:bea"))
    params = booking_values(other)
    params["at"] = NOW
    with race_engine.connect() as connection:
        assert connection.get_transaction() is None
        assert direct.run(connection, statement, params).rowcount == 1
        assert connection.in_transaction()
        connection.commit()
    assert _row(race_engine, "b-direct")["participant_id"] == "bea"


def test_a_dialect_execution_hook_leaves_the_statements_to_core(race_engine: Engine) -> None:
    """A ``do_execute`` listener may run the statement itself: it must see the booking's."""
    store = SqlAlchemyStore(race_engine)
    kit = _kit(store)
    session = _session(kit)
    ran: list[str] = []

    def executing(_cursor: Any, statement: str, *_rest: Any) -> None:
        ran.append(statement)

    event.listen(race_engine, "do_execute", executing)
    try:
        with race_engine.connect() as connection:
            assert not direct._plain(connection)
        _book(kit, session.id, "ada")
    finally:
        event.remove(race_engine, "do_execute", executing)
    assert sum(s.lstrip().startswith("INSERT INTO sessionkit_bookings") for s in ran) == 1


def test_a_dialect_with_its_own_do_execute_leaves_the_statements_to_core(
    race_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialect_class = type(race_engine.dialect)
    with race_engine.connect() as connection:
        assert direct._plain(connection)
        monkeypatch.setattr(dialect_class, "do_execute", lambda *args: None)
        assert not direct._plain(connection)


def test_a_value_the_types_refuse_raises_what_core_raises(race_engine: Engine) -> None:
    """A processor's error is a ``StatementError``; psycopg's own dumping error passes as is."""
    store = SqlAlchemyStore(race_engine)
    session = _session(_kit(store))
    checked = select(sessions_table.c.id).where(
        sessions_table.c.id == bindparam("session_id"),
        sessions_table.c.metadata == bindparam("metadata", type_=sessions_table.c.metadata.type),
    )
    params = {"session_id": session.id, "metadata": {"not json": object()}}
    raised: list[BaseException] = []
    for watch in (False, True):
        with race_engine.connect() as connection:
            if watch:
                connection = connection.execution_options(schema_translate_map={None: None})
            assert direct._plain(connection) is not watch
            with pytest.raises(Exception) as caught:  # noqa: PT011 - compared with Core's below
                direct.run(connection, checked, params)
            raised.append(caught.value)
    on_driver, through_core = raised
    assert type(on_driver) is type(through_core)
    if race_engine.dialect.name == "postgresql":  # the JSON is dumped by psycopg, in execute
        assert type(on_driver) is TypeError
    else:
        assert isinstance(on_driver, StatementError)
        assert type(on_driver.orig) is type(through_core.orig) is TypeError  # type: ignore[attr-defined]


def test_a_listing_reads_on_the_driver_cursor_exactly_what_core_reads(race_engine: Engine) -> None:
    """``direct.rows``: the bookable listing's rows, converted as Core converts them."""
    from sessionkit.adapters.sqlalchemy import _booking_queries as queries

    store = SqlAlchemyStore(race_engine)
    kit = _kit(store)
    session = _session(kit)
    _book(kit, session.id, "ada")
    statement = queries.bookable(True, False, True, 2)
    params: dict[str, Any] = {
        "tenant": TENANT,
        "start": NOW,
        "end": NOW + timedelta(days=30),
        "at": NOW,
        "seats": 1,
        "resource": "teacher:ana",
        "limit": 10,
        "closed_0_l": "lms",
        "closed_0_s": "FINISHED",
        "closed_1_l": "lms",
        "closed_1_s": "CANCELLED",
    }
    direct._CACHE.pop(race_engine.dialect, None)
    with race_engine.connect() as connection:
        on_driver = direct.rows(connection, statement, params)
        through_core = [tuple(row) for row in connection.execute(statement, params)]
    assert direct._CACHE[race_engine.dialect][statement] is not None  # not left to Core
    listed = [tuple(row) for row in on_driver]
    assert listed == through_core
    [(ident, title, start, end, capacity, taken, owed)] = listed
    assert (ident, title, capacity, int(taken), int(owed)) == (
        session.id,
        "Conversation — B2",
        4,
        2,
        0,
    )
    assert (start, end) == (START, START + timedelta(minutes=90))
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC
    params["closed_0_s"] = "SCHEDULED"  # the session's own status now shuts it
    with race_engine.connect() as connection:
        assert direct.rows(connection, statement, params) == []
    with sent_statements(race_engine) as sent, race_engine.connect() as connection:
        watched = direct.rows(connection, statement, {**params, "closed_0_s": "FINISHED"})
    assert [tuple(row) for row in watched] == through_core
    assert sum("sessionkit_bookings" in s for s in sent) == 1


def test_a_driver_error_of_a_listing_is_cores_error(race_engine: Engine) -> None:
    missing = select(column("id", String)).select_from(table("sessionkit_nowhere"))
    with race_engine.connect() as connection:
        with pytest.raises(DBAPIError) as caught:
            direct.rows(connection, missing, {})
        connection.rollback()
        assert direct.rows(connection, select(bindparam("one", 1)), {}) == [(1,)]
    assert isinstance(caught.value.orig, race_engine.dialect.loaded_dbapi.Error)
    assert "sessionkit_nowhere" in str(caught.value.statement)
