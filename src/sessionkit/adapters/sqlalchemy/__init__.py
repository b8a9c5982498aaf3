"""The SQLAlchemy storage adapter: sessions, series, bookings and payments in SQL databases.

SQLite, PostgreSQL and MySQL/MariaDB; install with the ``sqlalchemy`` extra
(``postgres`` or ``mysql`` for those drivers). The adapter owns its tables
(:mod:`.rows`) and converts explicitly between rows and domain values
(:mod:`.mapping`); nothing else in sessionkit imports SQLAlchemy. It passes
:mod:`sessionkit.testing.contract` unchanged.

>>> from sqlalchemy import create_engine
>>> from sqlalchemy.pool import StaticPool
>>> from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
>>> engine = create_engine(
...     "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
... )
>>> create_schema(engine)
>>> store = SqlAlchemyStore(engine)
>>> with store.unit_of_work() as uow:
...     uow.series.active()
[]

Every kind is stored by one generic, versioned :class:`SqlRepository` driven by
a :class:`SqlKind` (table, row mapping, unique constraints, child tables,
parent foreign keys); ``register(kind, SqlKind(...))`` makes a new kind
storable, and sessions, series, bookings, payments and payment-event receipts
are registered the same way.

See ``docs/sqlalchemy.md`` for embedding in an application, Alembic and the
concurrency guarantees of each database, and ``docs/extending.md`` for a new
kind end to end.
"""

from __future__ import annotations

from sessionkit.adapters.sqlalchemy._backend import SchemaWarning, install_sqlite_hooks
from sessionkit.adapters.sqlalchemy._bookings import SqlAlchemyBookingRepository
from sessionkit.adapters.sqlalchemy._journal import SqlAlchemyJournalRepository
from sessionkit.adapters.sqlalchemy._kind import ChildTable, SqlKind, SqlUnit, register
from sessionkit.adapters.sqlalchemy._payments import SqlAlchemyPaymentRepository
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy._reschedules import SqlAlchemyRescheduleRepository
from sessionkit.adapters.sqlalchemy._series import SqlAlchemySeriesRepository
from sessionkit.adapters.sqlalchemy._sessions import SqlAlchemySessionRepository
from sessionkit.adapters.sqlalchemy._types import key_type
from sessionkit.adapters.sqlalchemy.attendance_rows import AttendanceOverrideRow, PresenceRow
from sessionkit.adapters.sqlalchemy.booking_rows import BookingRow
from sessionkit.adapters.sqlalchemy.journal_rows import JournalRow
from sessionkit.adapters.sqlalchemy.migrations import alembic_config, upgrade
from sessionkit.adapters.sqlalchemy.payment_rows import PaymentEventRow, PaymentRow
from sessionkit.adapters.sqlalchemy.reschedule_rows import RescheduleRow
from sessionkit.adapters.sqlalchemy.rows import (
    EXCLUSION_CONSTRAINT,
    Base,
    ScheduleItemRow,
    SeriesRow,
    SessionResourceRow,
    SessionRow,
    metadata,
)
from sessionkit.adapters.sqlalchemy.schema import create_schema, drop_schema
from sessionkit.adapters.sqlalchemy.store import SqlAlchemyStore, SqlAlchemyUnitOfWork

__all__ = [
    "EXCLUSION_CONSTRAINT",
    "Base",
    "BookingRow",
    "ChildTable",
    "JournalRow",
    "PaymentEventRow",
    "PaymentRow",
    "RescheduleRow",
    "PresenceRow",
    "AttendanceOverrideRow",
    "ScheduleItemRow",
    "SchemaWarning",
    "SeriesRow",
    "SessionResourceRow",
    "SessionRow",
    "SqlKind",
    "SqlRepository",
    "SqlAlchemyBookingRepository",
    "SqlAlchemyJournalRepository",
    "SqlAlchemyPaymentRepository",
    "SqlAlchemyRescheduleRepository",
    "SqlAlchemySeriesRepository",
    "SqlAlchemySessionRepository",
    "SqlAlchemyStore",
    "SqlAlchemyUnitOfWork",
    "SqlUnit",
    "alembic_config",
    "create_schema",
    "drop_schema",
    "install_sqlite_hooks",
    "key_type",
    "metadata",
    "register",
    "upgrade",
]
