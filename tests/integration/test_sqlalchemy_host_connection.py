"""A store over a ``sessionmaker`` bound to the host's ``Connection``, or joined to its session.

On SQLite and PostgreSQL a unit of work runs in the host's transaction when
the connection is in one, so the host's rollback takes the unit's writes
with it. On SQLite also when the host began it before any store installed
its hooks on the engine, as a test fixture that begins its connection first
does (pysqlite had sent no ``BEGIN``, and the unit's RELEASE committed). On
MySQL/MariaDB the store runs its units on connections of its own (READ
COMMITTED, named locks released at check-in), so they commit whatever the
host does, and the store warns when it is built so (docs/sqlalchemy.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.session import JoinTransactionMode

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SchemaWarning, SqlAlchemyStore, create_schema
from sessionkit.errors import SessionNotFound
from sessionkit.testing.clocks import ManualClock

from .conftest import server_database

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@contextmanager
def _engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    if backend != "sqlite":
        with server_database(backend) as engine:
            yield engine
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'host.sqlite3'}")
    create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _create(kit: SessionKit) -> str:
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme",
        actor="admin",
        start=start,
        end=start + timedelta(hours=1),
        resources=["teacher:ana"],
        lifecycle="lms",
        capacity=3,
    )
    kit.bookings.book("acme", session.id, "student:bo", actor="admin", confirm=True)
    return session.id


def _stored(engine: Engine, session_id: str) -> bool:
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    return _stored_in(kit, session_id)


def _stored_in(kit: SessionKit, session_id: str) -> bool:
    try:
        kit.queries.get("acme", session_id)
    except SessionNotFound:
        return False
    return True


@pytest.mark.parametrize("mode", ["conditional_savepoint", "create_savepoint"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_units_run_in_the_transaction_of_the_host_s_connection(
    backend: str, mode: JoinTransactionMode, tmp_path: Path
) -> None:
    with _engine(backend, tmp_path) as engine:
        with engine.connect() as host:
            outer = host.begin()
            maker = sessionmaker(bind=host, join_transaction_mode=mode)
            with warnings.catch_warnings():
                warnings.simplefilter("error", SchemaWarning)
                store = SqlAlchemyStore(maker)
            kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
            session_id = _create(kit)
            assert kit.bookings.remaining_seats("acme", [session_id]) == {session_id: 2}
            outer.rollback()
        assert not _stored(engine, session_id)


@pytest.mark.parametrize("mode", ["conditional_savepoint", "create_savepoint"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_unit_joined_to_a_session_on_the_host_s_connection_rolls_back_with_it(
    backend: str, mode: JoinTransactionMode, tmp_path: Path
) -> None:
    with _engine(backend, tmp_path) as engine:
        with engine.connect() as host:
            outer = host.begin()
            with OrmSession(bind=host, join_transaction_mode=mode) as session:
                store = SqlAlchemyStore(engine)
                kit = SessionKit(uow=lambda: store.join(session), clock=ManualClock(NOW))
                session_id = _create(kit)
                assert _stored_in(kit, session_id)
            outer.rollback()
        assert not _stored(engine, session_id)


def test_on_mysql_units_run_on_connections_of_their_own_and_the_store_says_so(
    tmp_path: Path,
) -> None:
    with _engine("mysql", tmp_path) as engine:
        with engine.connect() as host:
            outer = host.begin()
            maker = sessionmaker(bind=host, join_transaction_mode="create_savepoint")
            with pytest.warns(SchemaWarning, match=r"store\.join\(session\)"):
                store = SqlAlchemyStore(maker)
            kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
            session_id = _create(kit)
            outer.rollback()
        assert _stored(engine, session_id)
        # An engine-bound maker is used as it is, with no warning.
        with warnings.catch_warnings():
            warnings.simplefilter("error", SchemaWarning)
            SqlAlchemyStore(sessionmaker(bind=engine))
