"""The SQLAlchemy adapter against the generic repository contract, for five kinds.

Sessions, series, bookings and payments are sessionkit's own; notes are defined here and nowhere
in sessionkit: an attrs record, its table, two mapping functions and one
registration line are all the SQL adapter needs to store a new kind, with
``Duplicate`` for its unique key translated from the database's refusal.

SQLite in memory always; PostgreSQL with ``SESSIONKIT_TEST_POSTGRES_URL`` and
MySQL/MariaDB with ``SESSIONKIT_TEST_MYSQL_URL``, each in a schema (database)
of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs
import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, UniqueConstraint, text
from sqlalchemy import create_engine as make_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, SqlKind, create_schema, register
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.ports import EventPublisher, Kind, Repository, UniqueKey, UnitOfWorkFactory
from sessionkit.testing.contract import (
    TENANT,
    BookingsRepositoryContract,
    CountersRepositoryContract,
    JournalRepositoryContract,
    OverridesRepositoryContract,
    PaymentEventsRepositoryContract,
    PaymentsRepositoryContract,
    PresenceRepositoryContract,
    RepositoryContract,
    ReschedulesRepositoryContract,
    SeriesRepositoryContract,
    SessionCodesRepositoryContract,
    SessionsRepositoryContract,
    SubscriptionsRepositoryContract,
    UsageRepositoryContract,
)

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


# ---------------------------------------------------------------------- a kind of our own


@attrs.frozen
class Note:
    """A record kind sessionkit has never heard of."""

    id: str
    tenant: str
    text: str
    ref: str | None = None
    version: int = 1


NOTES: Kind[Repository[Note]] = Kind("note", Note, unique=(UniqueKey("ref", ("ref",)),))

notes_metadata = MetaData()
notes_table = Table(
    "test_notes",
    notes_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("text", String(255), nullable=False),
    Column("ref", String(64)),
    Column("version", Integer, nullable=False),
    UniqueConstraint("tenant", "ref", name="uq_test_notes_tenant_ref"),
)


def note_values(note: Note) -> dict[str, Any]:
    return attrs.asdict(note)


def note_from_row(row: Mapping[str, Any]) -> Note:
    return Note(row["id"], row["tenant"], row["text"], row["ref"], row["version"])


register(
    NOTES,
    SqlKind(notes_table, note_values, note_from_row, unique={"ref": "uq_test_notes_tenant_ref"}),
)


class NotesContract(RepositoryContract[Note]):
    kind = NOTES

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Note:
        return Note(record_id, tenant, text=f"note {variant}", ref=f"ref-{variant}")

    def change(self, record: Note) -> Note:
        return attrs.evolve(record, text=record.text + " (changed)")

    def collide(self, record: Note, new_id: str) -> Note:
        return attrs.evolve(record, id=new_id)


# ---------------------------------------------------------------------- the databases


def _create_all(engine: Engine) -> None:
    """Create sessionkit's tables and the notes table, in the engine's own schema."""
    with engine.begin() as connection:
        schema = None
        if connection.dialect.name == "postgresql":
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        create_schema(connection)
        notes_metadata.create_all(connection.execution_options(schema_translate_map={None: schema}))


def _clear(engine: Engine) -> None:
    clear_tables(engine)
    with engine.begin() as connection:
        connection.execute(notes_table.delete())


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL contract tests")
    with postgres_schema(POSTGRES_URL) as engine:
        _create_all(engine)
        yield engine


@pytest.fixture(scope="module")
def mysql() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run the MySQL/MariaDB contract tests")
    with mysql_database(MYSQL_URL) as engine:
        _create_all(engine)
        yield engine


class OnSQLite:
    """SQLite in memory, a fresh database per store."""

    engines: ClassVar[dict[int, Engine]] = {}

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        engine = make_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        _create_all(engine)
        factory = SqlAlchemyStore(engine, publisher).unit_of_work
        self.engines[id(factory)] = engine
        return factory

    def dispose_store(self, store: UnitOfWorkFactory) -> None:
        self.engines.pop(id(store)).dispose()


class OnPostgres:
    """PostgreSQL: one schema per module, emptied per store."""

    engine: Engine

    @pytest.fixture(autouse=True)
    def _engine(self, postgres: Engine) -> None:
        self.engine = postgres

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        _clear(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


class OnMySQL:
    """MySQL/MariaDB: one database per module, emptied per store."""

    engine: Engine

    @pytest.fixture(autouse=True)
    def _engine(self, mysql: Engine) -> None:
        self.engine = mysql

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        _clear(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


class TestSQLiteSessions(OnSQLite, SessionsRepositoryContract):
    pass


class TestSQLiteSeries(OnSQLite, SeriesRepositoryContract):
    pass


class TestSQLiteNotes(OnSQLite, NotesContract):
    pass


class TestSQLiteBookings(OnSQLite, BookingsRepositoryContract):
    pass


class TestSQLitePayments(OnSQLite, PaymentsRepositoryContract):
    pass


class TestSQLitePaymentEvents(OnSQLite, PaymentEventsRepositoryContract):
    pass


class TestSQLiteReschedules(OnSQLite, ReschedulesRepositoryContract):
    pass


class TestSQLiteJournal(OnSQLite, JournalRepositoryContract):
    pass


class TestPostgresJournal(OnPostgres, JournalRepositoryContract):
    pass


class TestMySQLJournal(OnMySQL, JournalRepositoryContract):
    pass


class TestPostgresSessions(OnPostgres, SessionsRepositoryContract):
    pass


class TestPostgresSeries(OnPostgres, SeriesRepositoryContract):
    pass


class TestPostgresNotes(OnPostgres, NotesContract):
    pass


class TestPostgresBookings(OnPostgres, BookingsRepositoryContract):
    pass


class TestPostgresPayments(OnPostgres, PaymentsRepositoryContract):
    pass


class TestPostgresPaymentEvents(OnPostgres, PaymentEventsRepositoryContract):
    pass


class TestPostgresReschedules(OnPostgres, ReschedulesRepositoryContract):
    pass


class TestMySQLSessions(OnMySQL, SessionsRepositoryContract):
    pass


class TestMySQLSeries(OnMySQL, SeriesRepositoryContract):
    pass


class TestMySQLNotes(OnMySQL, NotesContract):
    pass


class TestMySQLBookings(OnMySQL, BookingsRepositoryContract):
    pass


class TestMySQLPayments(OnMySQL, PaymentsRepositoryContract):
    pass


class TestMySQLPaymentEvents(OnMySQL, PaymentEventsRepositoryContract):
    pass


class TestMySQLReschedules(OnMySQL, ReschedulesRepositoryContract):
    pass


# -- usage (issue 14) -------------------------------------------------------------


class TestSQLiteSubscriptions(OnSQLite, SubscriptionsRepositoryContract):
    pass


class TestSQLiteUsage(OnSQLite, UsageRepositoryContract):
    pass


class TestSQLiteCounters(OnSQLite, CountersRepositoryContract):
    pass


class TestSQLiteSessionCodes(OnSQLite, SessionCodesRepositoryContract):
    pass


class TestPostgresSubscriptions(OnPostgres, SubscriptionsRepositoryContract):
    pass


class TestPostgresUsage(OnPostgres, UsageRepositoryContract):
    pass


class TestPostgresCounters(OnPostgres, CountersRepositoryContract):
    pass


class TestPostgresSessionCodes(OnPostgres, SessionCodesRepositoryContract):
    pass


class TestMySQLSubscriptions(OnMySQL, SubscriptionsRepositoryContract):
    pass


class TestMySQLUsage(OnMySQL, UsageRepositoryContract):
    pass


class TestMySQLCounters(OnMySQL, CountersRepositoryContract):
    pass


class TestMySQLSessionCodes(OnMySQL, SessionCodesRepositoryContract):
    pass


class TestSQLitePresence(OnSQLite, PresenceRepositoryContract):
    pass


class TestSQLiteOverrides(OnSQLite, OverridesRepositoryContract):
    pass


class TestPostgresPresence(OnPostgres, PresenceRepositoryContract):
    pass


class TestPostgresOverrides(OnPostgres, OverridesRepositoryContract):
    pass


class TestMySQLPresence(OnMySQL, PresenceRepositoryContract):
    pass


class TestMySQLOverrides(OnMySQL, OverridesRepositoryContract):
    pass
