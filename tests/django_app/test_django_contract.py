"""The Django adapter against the shipped storage contract, unchanged: SQLite and PostgreSQL.

SQLite in memory keeps its database in the main thread's connection, so the
race tests run on PostgreSQL (``concurrent_units`` is off for SQLite); there
two racing writers meet the exclusion constraint and the version check.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import ClassVar

import pytest

from sessionkit.contrib.django.store import DjangoStore, DjangoUnitOfWork
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.testing.contract import (
    AnalyticsContract,
    AnalyticsUseContract,
    BookingsRepositoryContract,
    CountersRepositoryContract,
    JournalRepositoryContract,
    OverridesRepositoryContract,
    PaymentEventsRepositoryContract,
    PaymentsRepositoryContract,
    PresenceRepositoryContract,
    ReschedulesRepositoryContract,
    SeriesRepositoryContract,
    SessionCodesRepositoryContract,
    SessionsRepositoryContract,
    StorageContract,
    SubscriptionsRepositoryContract,
    UsageRepositoryContract,
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
    def _database(self, request: pytest.FixtureRequest) -> Iterator[None]:
        self.using = request.getfixturevalue(
            "postgres_db" if self.alias == "postgres" else "sqlite_db"
        )
        yield
        clear(self.using)  # no rows left for the next module's tests on the same database

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


class TestSQLiteReschedules(DjangoFactory, ReschedulesRepositoryContract):
    pass


class TestSQLiteJournal(DjangoFactory, JournalRepositoryContract):
    pass


class TestSQLitePayments(DjangoFactory, PaymentsRepositoryContract):
    pass


class TestSQLitePaymentEvents(DjangoFactory, PaymentEventsRepositoryContract):
    pass


class TestSQLitePresence(DjangoFactory, PresenceRepositoryContract):
    pass


class TestSQLiteOverrides(DjangoFactory, OverridesRepositoryContract):
    pass


class TestSQLiteSubscriptions(DjangoFactory, SubscriptionsRepositoryContract):
    pass


class TestSQLiteUsage(DjangoFactory, UsageRepositoryContract):
    pass


class TestSQLiteCounters(DjangoFactory, CountersRepositoryContract):
    pass


class TestSQLiteSessionCodes(DjangoFactory, SessionCodesRepositoryContract):
    pass


class TestSQLiteAnalytics(DjangoFactory, AnalyticsContract):
    pass


class TestSQLiteAnalyticsUse(DjangoFactory, AnalyticsUseContract):
    pass


class TestPostgresStore(DjangoFactory, StorageContract):
    alias = "postgres"


class TestPostgresSessions(DjangoFactory, SessionsRepositoryContract):
    alias = "postgres"


class TestPostgresSeries(DjangoFactory, SeriesRepositoryContract):
    alias = "postgres"


class TestPostgresBookings(DjangoFactory, BookingsRepositoryContract):
    alias = "postgres"


class TestPostgresReschedules(DjangoFactory, ReschedulesRepositoryContract):
    alias = "postgres"


class TestPostgresJournal(DjangoFactory, JournalRepositoryContract):
    alias = "postgres"


class TestPostgresPayments(DjangoFactory, PaymentsRepositoryContract):
    alias = "postgres"


class TestPostgresPaymentEvents(DjangoFactory, PaymentEventsRepositoryContract):
    alias = "postgres"


class TestPostgresPresence(DjangoFactory, PresenceRepositoryContract):
    alias = "postgres"


class TestPostgresOverrides(DjangoFactory, OverridesRepositoryContract):
    alias = "postgres"


class TestPostgresSubscriptions(DjangoFactory, SubscriptionsRepositoryContract):
    alias = "postgres"


class TestPostgresUsage(DjangoFactory, UsageRepositoryContract):
    alias = "postgres"


class TestPostgresCounters(DjangoFactory, CountersRepositoryContract):
    alias = "postgres"


class TestPostgresSessionCodes(DjangoFactory, SessionCodesRepositoryContract):
    alias = "postgres"


class TestPostgresAnalytics(DjangoFactory, AnalyticsContract):
    alias = "postgres"


class TestPostgresAnalyticsUse(DjangoFactory, AnalyticsUseContract):
    alias = "postgres"


if not POSTGRES_URL:
    del TestPostgresStore, TestPostgresSessions, TestPostgresSeries, TestPostgresBookings
    del TestPostgresReschedules, TestPostgresPayments, TestPostgresPaymentEvents
    del TestPostgresPresence, TestPostgresOverrides, TestPostgresSubscriptions
    del TestPostgresUsage, TestPostgresCounters, TestPostgresSessionCodes
    del TestPostgresAnalytics, TestPostgresAnalyticsUse, TestPostgresJournal

    def test_postgres_contract() -> None:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the Django PostgreSQL contract")
