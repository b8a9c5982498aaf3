"""The SQLAlchemy adapter against the storage contract: SQLite (memory, file), PostgreSQL, MySQL.

PostgreSQL runs when ``SESSIONKIT_TEST_POSTGRES_URL`` is set (``.ci/run`` sets
it), MySQL/MariaDB when ``SESSIONKIT_TEST_MYSQL_URL`` is; each run works in a
schema (a database, for MySQL) of its own, created for the run and dropped after.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.testing.contract import StorageContract

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


class TestSQLiteMemoryStore(StorageContract):
    """SQLite in memory: one connection shared by every thread (StaticPool)."""

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


class TestSQLiteFileStore(StorageContract):
    """SQLite in a file: a connection per thread, writes serialised by BEGIN IMMEDIATE."""

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


class TestPostgresStore(StorageContract):
    """PostgreSQL: overlaps refused by the exclusion constraint."""

    @pytest.fixture(autouse=True)
    def _engine(self, postgres: Engine) -> None:
        self.engine = postgres

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear_tables(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


class TestMySQLStore(StorageContract):
    """MySQL/MariaDB: check then write under named locks, READ COMMITTED."""

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
