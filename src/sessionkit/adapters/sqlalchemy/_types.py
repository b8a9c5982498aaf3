"""Column types that store sessionkit's values the same way on SQLite, PostgreSQL and MySQL.

Instants are timezone-aware in the domain. PostgreSQL keeps them in
``timestamptz`` columns (so a range over them can feed the exclusion
constraint); SQLite and MySQL/MariaDB have no zone-aware type, so there they are
stored as naive UTC. Either way they come back as aware UTC datetimes.
Occurrence keys are naive local wall-clock times and stay naive everywhere.
MySQL's ``DATETIME`` keeps whole seconds unless asked for microseconds, so
both types ask for ``DATETIME(6)`` there.

Keys (tenants, ids, resources, participants, idempotency keys, groups) compare
exactly and sort by code point, as Python's ``str`` does: ``COLLATE "C"`` on
PostgreSQL, and on MySQL/MariaDB a binary collation that does not pad:
``utf8mb4_nopad_bin`` on MariaDB, ``utf8mb4_0900_bin`` on MySQL 8. Their
default collations fold case and accents (MySQL would call ``"A"`` and ``"a"``
the same primary key), and even ``utf8mb4_bin`` is ``PAD SPACE``: it calls
``"acme "`` and ``"acme"`` the same tenant. SQLite compares bytes already.

Money amounts are exact decimals (:class:`Amount`): ``NUMERIC(21, 6)`` on
PostgreSQL and MySQL, text on SQLite, whose ``NUMERIC`` would hand them to a
float. Nothing is ever rounded on the way in: a value the column cannot hold
exactly is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime, Numeric, String, Text
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from sessionkit.errors._base import shown

__all__ = [
    "AMOUNT_PRECISION",
    "AMOUNT_SCALE",
    "KEY_LENGTH",
    "Amount",
    "ExactText",
    "JSONValue",
    "LocalDateTime",
    "UTCDateTime",
    "exact_amount",
    "exact_collation",
    "key_type",
    "pad_space_key_type",
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


def exact_collation(dialect: Dialect) -> str | None:
    """Return the collation that compares ``dialect``'s text exactly, by code point.

    ``"C"`` on PostgreSQL; on MySQL/MariaDB a binary collation without space
    padding, which the two servers name differently (neither knows the other's
    name): ``utf8mb4_nopad_bin`` on MariaDB (10.2 on), ``utf8mb4_0900_bin`` on
    MySQL (8.0 on). ``None`` on SQLite, whose default ``BINARY`` is exact.
    Which server a ``mysql://`` URL reaches is known once the dialect has
    connected; an unconnected MySQL dialect is taken for MySQL.
    """
    if dialect.name == "postgresql":
        return "C"
    if dialect.name in _MYSQL:
        return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"
    return None


class _ExactString(TypeDecorator[str]):
    """Text that compares exactly (see :func:`exact_collation`); ``VARCHAR`` or ``TEXT``."""

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type, with the exact collation, for ``dialect``."""
        collation = exact_collation(dialect)
        length = self.length
        if dialect.name == "postgresql":
            impl: TypeEngine[Any] = (
                postgresql.VARCHAR(length, collation=collation)
                if length is not None
                else postgresql.TEXT(collation=collation)
            )
        elif dialect.name in _MYSQL:
            impl = (
                mysql.VARCHAR(length, charset="utf8mb4", collation=collation)
                if length is not None
                else mysql.TEXT(charset="utf8mb4", collation=collation)
            )
        else:
            impl = String(length) if length is not None else Text()
        return dialect.type_descriptor(impl)


def key_type(length: int = KEY_LENGTH) -> TypeEngine[str]:
    """Return a ``VARCHAR(length)`` that compares exactly, by code point, on every database.

    ``"acme"``, ``"acme "``, ``"ACME"`` and ``"e\u0301"``/``"\u00e9"`` are four
    different keys everywhere (see :func:`exact_collation`).
    """
    return _ExactString(length)


ExactText: TypeEngine[str] = _ExactString()
"""Unbounded text that compares exactly (a ``TEXT`` column with :func:`exact_collation`)."""


def pad_space_key_type(length: int = KEY_LENGTH) -> TypeEngine[str]:
    """Return the key type of migrations 0001 to 0006, frozen: ``utf8mb4_bin`` on MySQL.

    ``utf8mb4_bin`` ignores trailing spaces (``PAD SPACE``); migration 0007
    converts these columns to :func:`key_type`. Only those migrations use it,
    so that they keep creating what they always created.
    """
    return (
        String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), *_MYSQL)
    )


JSONValue: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON documents (metadata, resource lists); ``jsonb`` on PostgreSQL."""


_combine = datetime.combine
"""``datetime.combine(day, time, zone)``: a row's instant with the zone set or dropped.

Each bookable session and booking read converts two to six instants, so the
conversion is on every read's hot path: on CPython 3.11 ``value.replace(tzinfo=...)``
costs four times as much as this (about 0.7 against 0.17 us), and
``astimezone`` from a ``ZoneInfo`` twice as much.
"""

_UTC_ZONE = ZoneInfo("UTC")
_ETC_UTC = ZoneInfo("Etc/UTC")
"""Zones that are UTC under another name: psycopg reads ``timestamptz`` in the
connection's ``TimeZone``, by default the server's, often ``Etc/UTC``. ``ZoneInfo``
returns one cached object per key, so they are compared by identity (a driver's
own tzinfo need not even be hashable); any other zone goes through ``astimezone``."""


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
        if value.tzinfo is not UTC:
            if value.tzinfo is None:
                raise ValueError(
                    f"an instant must be timezone-aware, got {shown(value.isoformat())}"
                )
            value = value.astimezone(UTC)
        # The domain's instants (TimeSpan ends, clock readings) are UTC already: no
        # conversion, only SQLite and MySQL want the zone dropped.
        return value if dialect.name == "postgresql" else _combine(value, value.time())

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None] | None:
        """Return :meth:`process_result_value` as Core calls it, with a shortcut on PostgreSQL.

        A store's connection reads ``timestamptz`` in UTC (its ``TimeZone``),
        which psycopg gives as ``datetime.timezone.utc``: such a value is
        returned as it is, without the two calls of the decorator's wrapper
        (a listing reads two instants per row).
        """
        process = super().result_processor(dialect, coltype)
        if process is None or dialect.name != "postgresql":
            return process

        def read(value: Any) -> datetime | None:
            if value is not None and value.tzinfo is UTC:
                return value  # type: ignore[no-any-return]
            return process(value)

        return read

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Read the column back as an aware UTC instant."""
        if value is None:
            return None
        zone = value.tzinfo
        if zone is UTC:
            return value
        if zone is None or zone is _ETC_UTC or zone is _UTC_ZONE:  # naive UTC; psycopg's Etc/UTC
            return _combine(value, value.time(), UTC)
        return value.astimezone(UTC)


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
            raise ValueError(
                f"an occurrence key is naive local time, got {shown(value.isoformat())}"
            )
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
