"""Every store against the analytics contracts: memory, SQLite, PostgreSQL and MySQL/MariaDB.

The server databases run when their URL is set, each in a schema (database)
of its own for the run, emptied per test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.testing.contract import AnalyticsContract, AnalyticsUseContract

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


class TestMemoryAnalytics(AnalyticsContract, AnalyticsUseContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestSQLiteAnalytics(AnalyticsContract, AnalyticsUseContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
        return SqlAlchemyStore(engine, publisher).unit_of_work


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL analytics contract")
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture(scope="module")
def mysql() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run the MySQL/MariaDB analytics contract")
    with mysql_database(MYSQL_URL) as engine:
        yield engine


class TestPostgresAnalytics(AnalyticsContract, AnalyticsUseContract):
    @pytest.fixture(autouse=True)
    def _engine(self, postgres: Engine) -> None:
        self.engine = postgres

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear_tables(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


class TestMySQLAnalytics(AnalyticsContract, AnalyticsUseContract):
    @pytest.fixture(autouse=True)
    def _engine(self, mysql: Engine) -> None:
        self.engine = mysql

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear_tables(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


def test_an_adapter_without_analytics_says_so() -> None:
    """A unit of work that does not compute analytics raises UnsupportedKind, as for any kind."""
    from sessionkit.errors import UnsupportedKind
    from sessionkit.ports import ANALYTICS, UnitOfWorkBase

    class Bare(UnitOfWorkBase):
        def repository(self, kind: object) -> object:  # type: ignore[override]
            raise UnsupportedKind(getattr(kind, "name", "?"), "Bare")

    with pytest.raises(UnsupportedKind) as refused:
        _ = Bare().analytics
    assert refused.value.kind == ANALYTICS.name
