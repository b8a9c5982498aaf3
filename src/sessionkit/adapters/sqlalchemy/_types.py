"""Column types that store sessionkit's values the same way on SQLite, PostgreSQL and MySQL.

Instants are timezone-aware in the domain. PostgreSQL keeps them in
``timestamptz`` columns (so a range over them can feed the exclusion
constraint); SQLite and MySQL/MariaDB have no zone-aware type, so there they are
stored as naive UTC. Either way they come back as aware UTC datetimes.
Occurrence keys are naive local wall-clock times and stay naive everywhere.
MySQL's ``DATETIME`` keeps whole seconds unless asked for microseconds, so
both types ask for ``DATETIME(6)`` there.

Keys (tenants, ids, resources) compare and sort by code point, as Python's
``str`` does: ``COLLATE "C"`` on PostgreSQL and ``utf8mb4_bin`` on MySQL, whose
default collations would fold case (MySQL would even call ``"A"`` and ``"a"``
the same primary key). SQLite compares bytes already.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["JSONValue", "KEY_LENGTH", "LocalDateTime", "UTCDateTime", "key_type"]

KEY_LENGTH = 128
"""The longest tenant, session, series or schedule item id the schema accepts."""

_MYSQL = ("mysql", "mariadb")


def key_type(length: int = KEY_LENGTH) -> TypeEngine[str]:
    """Return a string type that compares by code point on every supported database."""
    return (
        String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), *_MYSQL)
    )


JSONValue: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON documents (metadata, resource lists); ``jsonb`` on PostgreSQL."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant: ``timestamptz`` on PostgreSQL, naive UTC elsewhere; always read as UTC."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type for ``dialect``."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware instant to what the column holds."""
        if value is None:
            return None
        if value.tzinfo is UTC:
            # The domain's instants (TimeSpan ends, clock readings) are UTC already: no
            # conversion, only SQLite and MySQL want the zone dropped.
            return value if dialect.name == "postgresql" else value.replace(tzinfo=None)
        if value.tzinfo is None:
            raise ValueError(f"an instant must be timezone-aware, got {value.isoformat()!r}")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Read the column back as an aware UTC instant."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LocalDateTime(TypeDecorator[datetime]):
    """A naive local wall-clock time (an occurrence key), with microseconds on MySQL too."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type for ``dialect``."""
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Refuse aware values: a key is the local time as written, not an instant."""
        if value is not None and value.tzinfo is not None:
            raise ValueError(f"an occurrence key is naive local time, got {value.isoformat()!r}")
        return value

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Return the stored wall-clock time, naive."""
        return value
