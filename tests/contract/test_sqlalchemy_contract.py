"""The SQLAlchemy adapter against the storage contract: SQLite (memory, file), PostgreSQL, MySQL.

PostgreSQL runs when ``SESSIONKIT_TEST_POSTGRES_URL`` is set (``.ci/run`` sets
it), MySQL/MariaDB when ``SESSIONKIT_TEST_MYSQL_URL`` is; each run works in a
schema (a database, for MySQL) of its own, created for the run and dropped after.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.contract import T0, TENANT, StorageContract, _event, make_session

# Port rules the SQL adapter does not meet yet (being rewritten on branch wt-sql): their
# contract tests skip. Empty it as the adapter catches up.
SQL_PENDING = frozenset({"events_after_close"})

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


class _PortsSinceTheContract(StorageContract):
    """The contract as ``ports.py`` now reads, until branch wt-mem brings the contract up to date.

    Three of its tests predate the ports of 5e75c82: a series holds one session
    per start (the ``series_start`` key), and events are published once the
    unit of work closed, not by ``commit``. Delete this class after the merge.
    """

    def test_occurrence_keys_are_per_series_and_extras_have_none(
        self, store: UnitOfWorkFactory
    ) -> None:
        """One key may repeat across series, and extras (at other starts) share a series."""
        key = T0.replace(tzinfo=None)
        self.given(
            store,
            make_session("a", series_id="series-1", key=key, busy=False),
            make_session("b", series_id="series-2", key=key, busy=False),
            make_session("x1", series_id="series-1", is_extra=True, busy=False, at=1),
            make_session("x2", series_id="series-1", is_extra=True, busy=False, at=2),
        )
        assert self.stored(store) == ["a", "b", "x1", "x2"]

    def test_for_series(self, store: UnitOfWorkFactory) -> None:
        """A series' sessions (extras included) from ``start_from`` on, by start."""
        self.given(
            store,
            make_session("w3", series_id="series-1", at=3),
            make_session("w1", series_id="series-1", at=1),
            make_session("extra", series_id="series-1", is_extra=True, at=1.5, busy=False),
            make_session("w0", series_id="series-1", at=0),
            make_session("other", series_id="series-2", at=2, resources=()),
        )
        with store() as uow:
            found = [s.id for s in uow.sessions.for_series(TENANT, "series-1")]
            assert found == ["w0", "w1", "extra", "w3"]
            later = uow.sessions.for_series(TENANT, "series-1", start_from=T0 + timedelta(hours=1))
            assert [s.id for s in later] == ["w1", "extra", "w3"]

    def test_events_are_published_after_the_commit_in_order(
        self, store: UnitOfWorkFactory, publisher: RecordingPublisher
    ) -> None:
        """Committed events are published in order once the unit of work closed, not before."""
        a, b = make_session("a"), make_session("b", at=1)
        events = [_event(session=a), _event(session=b), _event()]
        with store() as uow:
            uow.sessions.add(a)
            uow.collect(events[:2])
            uow.commit()
            uow.sessions.add(b)
            uow.collect(iter(events[2:]))
            uow.commit()
            assert publisher.events == []
        assert publisher.events == events


class TestSQLiteMemoryStore(_PortsSinceTheContract):
    """SQLite in memory: one connection shared by every thread (StaticPool)."""

    pending = SQL_PENDING

    engines: ClassVar[dict[int, Engine]] = {}

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
        factory = SqlAlchemyStore(engine, publisher).unit_of_work
        self.engines[id(factory)] = engine
        return factory

    def dispose_store(self, store: UnitOfWorkFactory) -> None:
        self.engines.pop(id(store)).dispose()


class TestSQLiteFileStore(_PortsSinceTheContract):
    """SQLite in a file: a connection per thread, writes serialised by BEGIN IMMEDIATE."""

    pending = SQL_PENDING

    engines: ClassVar[dict[int, Engine]] = {}

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        engine = create_engine(f"sqlite:///{self.directory / 'sessions.db'}")
        create_schema(engine)
        factory = SqlAlchemyStore(engine, publisher).unit_of_work
        self.engines[id(factory)] = engine
        return factory

    def dispose_store(self, store: UnitOfWorkFactory) -> None:
        self.engines.pop(id(store)).dispose()


POSTGRES_SKIP = "set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL contract tests"
MYSQL_SKIP = "set SESSIONKIT_TEST_MYSQL_URL to run the MySQL/MariaDB contract tests"


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    """One schema for the whole run; each test starts from empty tables."""
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture(scope="module")
def mysql() -> Iterator[Engine]:
    """One database for the whole run; each test starts from empty tables."""
    if not MYSQL_URL:
        pytest.skip(MYSQL_SKIP)
    with mysql_database(MYSQL_URL) as engine:
        yield engine


class TestPostgresStore(_PortsSinceTheContract):
    """PostgreSQL: overlaps refused by the exclusion constraint."""

    pending = SQL_PENDING

    @pytest.fixture(autouse=True)
    def _engine(self, postgres: Engine) -> None:
        self.engine = postgres

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear_tables(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


class TestMySQLStore(_PortsSinceTheContract):
    """MySQL/MariaDB: check then write under named locks, READ COMMITTED."""

    pending = SQL_PENDING

    @pytest.fixture(autouse=True)
    def _engine(self, mysql: Engine) -> None:
        self.engine = mysql

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear_tables(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


# Without a server the classes are not collected at all: one visible skip each, not 95.
if not POSTGRES_URL:
    del TestPostgresStore

    def test_postgres_contract() -> None:
        pytest.skip(POSTGRES_SKIP)


if not MYSQL_URL:
    del TestMySQLStore

    def test_mysql_contract() -> None:
        pytest.skip(MYSQL_SKIP)
