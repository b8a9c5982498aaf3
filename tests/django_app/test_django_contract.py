"""The Django adapter against the shipped storage contract, unchanged: SQLite and PostgreSQL.

SQLite in memory keeps its database in the main thread's connection, so the
race tests run on PostgreSQL (``concurrent_units`` is off for SQLite); there
two racing writers meet the exclusion constraint and the version check.
"""

from __future__ import annotations

from types import TracebackType
from typing import ClassVar

import pytest

from sessionkit.contrib.django.store import DjangoStore, DjangoUnitOfWork
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.testing.contract import (
    BookingsRepositoryContract,
    SeriesRepositoryContract,
    SessionsRepositoryContract,
    StorageContract,
)

from .conftest import POSTGRES_URL, clear, close_thread_connections


class ClosingUnit(DjangoUnitOfWork):
    """A unit that closes a worker thread's connection when it closes (no leaked sockets)."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            close_thread_connections()


class DjangoFactory:
    """A :class:`~sessionkit.ports.UnitOfWorkFactory` over one alias, for the contract."""

    alias: ClassVar[str] = "default"

    @pytest.fixture(autouse=True)
    def _database(self, request: pytest.FixtureRequest) -> None:
        self.using = request.getfixturevalue(
            "postgres_db" if self.alias == "postgres" else "sqlite_db"
        )

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear(self.using)
        store = DjangoStore(publisher, using=self.using)
        return lambda: ClosingUnit(store)


class TestSQLiteStore(DjangoFactory, StorageContract):
    concurrent_units = False
    unicode_search = True


class TestSQLiteSessions(DjangoFactory, SessionsRepositoryContract):
    pass


class TestSQLiteSeries(DjangoFactory, SeriesRepositoryContract):
    pass


class TestSQLiteBookings(DjangoFactory, BookingsRepositoryContract):
    pass


class TestPostgresStore(DjangoFactory, StorageContract):
    alias = "postgres"


class TestPostgresSessions(DjangoFactory, SessionsRepositoryContract):
    alias = "postgres"


class TestPostgresSeries(DjangoFactory, SeriesRepositoryContract):
    alias = "postgres"


class TestPostgresBookings(DjangoFactory, BookingsRepositoryContract):
    alias = "postgres"


if not POSTGRES_URL:
    del TestPostgresStore, TestPostgresSessions, TestPostgresSeries, TestPostgresBookings

    def test_postgres_contract() -> None:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the Django PostgreSQL contract")
