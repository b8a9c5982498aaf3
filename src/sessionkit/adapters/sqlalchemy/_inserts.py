"""Bulk inserts: rows handed to the driver's ``executemany`` with their values converted by column.

A Core ``insert()`` executed with a list of dicts builds a parameter dict per
row and runs every bound value through its type's bind processor one row at a
time; for a batch of a few thousand sessions that costs SQLite more than the
driver's own ``executemany``. :func:`insert_rows` does the same conversion
column by column (each column's processor, the very one SQLAlchemy would use,
mapped over its values; each distinct instant converts once per write, also
when a child table repeats its parent's span; SQLite's usual instants are
formatted straight to their stored text) and hands the driver plain tuples.
It does so where the driver takes
positional ``?`` parameters (SQLite); elsewhere, and for a table whose omitted
columns have client-side defaults, it is a plain Core ``executemany``
(PostgreSQL's ``insertmanyvalues`` batching stays as it is).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect

from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._types import LocalDateTime, UTCDateTime

__all__ = ["insert_rows"]

Processor = Callable[[Any], Any]


class _Plan:
    """A table's positional ``INSERT`` for one column set and dialect, and its processors."""

    __slots__ = ("getters", "processors", "sql")

    def __init__(
        self, sql: str, names: Sequence[str], processors: list[tuple[int, Processor, type | None]]
    ) -> None:
        self.sql = sql
        self.getters = [itemgetter(name) for name in names]
        self.processors = processors
        """``(position, processor, kind)``; ``kind`` is the instant type of an instant column."""


@functools.lru_cache(maxsize=256)
def _plan(dialect: Dialect, table: Table, names: tuple[str, ...]) -> _Plan | None:
    """The positional insert of ``names`` into ``table``, or ``None`` to go through Core."""
    if dialect.paramstyle != "qmark" or not names:
        return None
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    order = compiled.positiontup
    if order is None or sorted(order) != sorted(names):
        return None  # an omitted column has a client-side default: Core must fill it in
    processors: list[tuple[int, Processor, type | None]] = []
    for position, name in enumerate(order):
        column_type = table.c[name].type
        bind = column_type.dialect_impl(dialect).bind_processor(dialect)
        if bind is not None:
            process: Processor = bind
            # Equal instants convert to equal values (naive keys never equal aware instants),
            # so each distinct instant of a column type converts once per write.
            instant = isinstance(column_type, UTCDateTime | LocalDateTime)
            kind = type(column_type) if instant else None
            if instant and dialect.name == "sqlite":
                process = _sqlite_instant(process, UTC if kind is UTCDateTime else None)
            processors.append((position, process, kind))
    return _Plan(str(compiled), order, processors)


def _sqlite_instant(process: Processor, zone: tzinfo | None) -> Processor:
    """``process`` (an instant column's SQLite processor), quicker for the usual instants.

    SQLite stores an instant as the text ``YYYY-MM-DD HH:MM:SS.ffffff`` of its
    naive UTC (or local) wall time; for an instant in ``zone`` (``UTC`` for
    aware instants, ``None`` for naive keys) that is the first 26 characters
    of its ``isoformat``, without the two calls and the dict of the column's
    processor. Anything else goes through ``process`` itself, errors and all.
    """
    text = datetime.isoformat
    if process(datetime(1, 1, 1, tzinfo=zone)) != "0001-01-01 00:00:00.000000":
        return process  # a storage format of its own: keep it

    def converted(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is zone:
            return text(value, " ", "microseconds")[:26]
        return process(value)

    return converted


def _converted(column: list[Any], process: Processor, done: dict[Any, Any] | None) -> list[Any]:
    if done is None:
        return list(map(process, column))
    for value in dict.fromkeys(column):
        if value not in done:
            done[value] = process(value)
    return list(map(done.__getitem__, column))


def insert_rows(
    db: Db,
    table: Table,
    rows: Sequence[dict[str, Any]],
    instants: dict[type, dict[Any, Any]] | None = None,
) -> None:
    """Insert ``rows`` (dicts with the same keys, as a kind's values function makes them).

    One ``executemany``; a refused row raises SQLAlchemy's ``IntegrityError`` as
    a Core insert would. ``instants`` carries converted instants from one call
    to the next of one write (a session's resource rows repeat its span).
    """
    if not rows:
        return
    connection = db.connection()
    names = tuple(rows[0])
    plan = _plan(connection.dialect, table, names)
    if plan is None:
        connection.execute(insert(table), list(rows))
        return
    # Column by column: one list per column and one tuple per row, no row-sized temporaries.
    columns: list[list[Any]] = [list(map(get, rows)) for get in plan.getters]
    memo = {} if instants is None else instants
    for position, process, kind in plan.processors:
        done = None if kind is None else memo.setdefault(kind, {})
        columns[position] = _converted(columns[position], process, done)
    tuples = list(zip(*columns, strict=True))
    connection.exec_driver_sql(plan.sql, tuples)
