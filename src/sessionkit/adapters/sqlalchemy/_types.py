"""Column types that store sessionkit's values the same way on SQLite, PostgreSQL and MySQL.

Instants are timezone-aware in the domain. PostgreSQL keeps them in
``timestamptz`` columns (so a range over them can feed the exclusion
constraint); SQLite and MySQL/MariaDB have no zone-aware type, so there they are
stored as naive UTC. Either way they come back as aware UTC datetimes.
Occurrence keys are naive local wall-clock times and stay naive everywhere.
MySQL's ``DATETIME`` keeps whole seconds unless asked for microseconds, so
both types ask for ``DATETIME(6)`` there.

Money amounts are exact decimals (:class:`Amount`): ``NUMERIC(21, 6)`` on
PostgreSQL and MySQL, text on SQLite, whose ``NUMERIC`` would hand them to a
float. Nothing is ever rounded on the way in: a value the column cannot hold
exactly is refused.

Keys (tenants, ids, resources) compare and sort by code point, as Python's
``str`` does: ``COLLATE "C"`` on PostgreSQL and ``utf8mb4_bin`` on MySQL, whose
default collations would fold case (MySQL would even call ``"A"`` and ``"a"``
the same primary key). SQLite compares bytes already.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "AMOUNT_PRECISION",
    "AMOUNT_SCALE",
    "KEY_LENGTH",
    "Amount",
    "JSONValue",
    "LocalDateTime",
    "UTCDateTime",
    "exact_amount",
    "key_type",
]

KEY_LENGTH = 128
"""The longest tenant, session, series or schedule item id the schema accepts."""

_MYSQL = ("mysql", "mariadb")

AMOUNT_SCALE = 6
"""Decimal places an :class:`Amount` column keeps: the minor unit (at most 4) and sub-units."""
AMOUNT_PRECISION = 15 + AMOUNT_SCALE
"""Digits an :class:`Amount` column keeps: 15 before the point, as amounts are below 1e15
(:data:`sessionkit.model.money.MAX_AMOUNT`)."""
_STEP = Decimal(1).scaleb(-AMOUNT_SCALE)
_LIMIT = Decimal(10) ** (AMOUNT_PRECISION - AMOUNT_SCALE)


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


def exact_amount(value: Decimal) -> Decimal | None:
    """Return ``value`` with :data:`AMOUNT_SCALE` places, or ``None`` if that would change it."""
    try:
        fixed = value.quantize(_STEP)
    except InvalidOperation:  # more digits than the context's precision: far too big
        return None
    return fixed if fixed == value and abs(fixed) < _LIMIT else None


class Amount(TypeDecorator[Decimal]):
    """An exact decimal: ``NUMERIC(21, 6)``, or on SQLite its fixed-point text; never a float.

    SQLite stores a ``NUMERIC`` column's values as integers or floats (and the
    driver hands floats back), so there the column is ``VARCHAR`` and holds
    the digits. A value with more than :data:`AMOUNT_SCALE` places, or of
    1e15 and above, raises ``ValueError`` instead of being rounded.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type for ``dialect``."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(AMOUNT_PRECISION + 2))  # sign and point
        return dialect.type_descriptor(Numeric(AMOUNT_PRECISION, AMOUNT_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Check that the column holds ``value`` exactly; text on SQLite."""
        if value is None:
            return None
        fixed = exact_amount(value)
        if fixed is None:
            raise ValueError(
                f"{value} does not fit an amount column exactly (at most {AMOUNT_SCALE} decimal "
                f"places, below {_LIMIT:.0E})"
            )
        return format(fixed, "f") if dialect.name == "sqlite" else fixed

    def process_result_value(self, value: Any, _dialect: Dialect) -> Decimal | None:
        """Read the column back as a ``Decimal`` (with the column's six places)."""
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)
