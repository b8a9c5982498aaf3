"""The one write path: a SAVEPOINT per write, and optimistic versions on update and delete.

:func:`savepoint` wraps every write: any exception rolls the savepoint back (so
the unit of work stays usable), and an ``IntegrityError`` is handed to the
caller's translator, which raises the kind's own error instead.
:func:`update_versioned` and :func:`delete_versioned` are ``UPDATE``/``DELETE
... WHERE version = :expected``; a miss is explained by :func:`raise_stale`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, cast

from sqlalchemy import CursorResult, Executable, Table, and_, delete, select, update
from sqlalchemy.engine.base import NestedTransaction
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction

from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._faults import forgive, from_database
from sessionkit.errors import ConcurrentModification

__all__ = [
    "IMMUTABLE_COLUMNS",
    "delete_versioned",
    "raise_stale",
    "rowcount",
    "savepoint",
    "update_versioned",
]

IMMUTABLE_COLUMNS = ("tenant", "id", "created_at", "created_by")
"""Columns an update never rewrites."""

Translate = Callable[[IntegrityError], NoReturn]
"""Raises the sessionkit error behind a refused write (the savepoint is already rolled back)."""


@contextmanager
def savepoint(db: Db, translate: Translate | None = None) -> Iterator[None]:
    """Run the block in a SAVEPOINT: released on success, rolled back on any exception.

    An ``IntegrityError`` goes to ``translate`` after the rollback, so its
    queries see the database as it was before the write. When the database
    itself failed and took the whole transaction with it (MySQL after a
    deadlock, SQLite after a full disk), the SAVEPOINT is gone too: the
    error that lost it is raised, not the failed rollback's "no such
    savepoint" (see :mod:`~._faults`).
    """
    point = db.begin_nested()
    try:
        yield
    except IntegrityError as error:
        _roll_back(db, point, error)
        if translate is not None:
            translate(error)
        raise
    except BaseException as error:
        _roll_back(db, point, error)
        raise
    point.commit()


def _roll_back(db: Db, point: SessionTransaction | NestedTransaction, error: BaseException) -> None:
    """Roll ``point`` back after ``error``; if that fails because of ``error``, say nothing."""
    try:
        point.rollback()
    except Exception:
        if not from_database(error):
            raise  # the rollback's failure is the news (a connection lost meanwhile, say)
        return
    forgive(db, error)  # the transaction survived the failed statement


def rowcount(db: Db, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched."""
    return cast("CursorResult[Any]", db.execute(statement)).rowcount


def raise_stale(
    db: Db,
    table: Table,
    tenant: str,
    record_id: str,
    expected: int,
    not_found: Callable[[], Exception],
) -> NoReturn:
    """Explain a versioned write that matched no row: gone (``not_found``) or moved on."""
    actual = db.scalar(
        select(table.c.version).where(table.c.tenant == tenant, table.c.id == record_id)
    )
    if actual is None:
        raise not_found()
    raise ConcurrentModification(record_id, expected, actual)


def update_versioned(
    db: Db,
    table: Table,
    values: dict[str, Any],
    *,
    tenant: str,
    record_id: str,
    expected: int,
    not_found: Callable[[], Exception],
) -> None:
    """Rewrite the row's mutable columns if its version is still ``expected``, else raise."""
    for key in IMMUTABLE_COLUMNS:
        values.pop(key, None)
    statement = (
        update(table)
        .where(table.c.tenant == tenant, table.c.id == record_id, table.c.version == expected)
        .values(values)
    )
    if rowcount(db, statement) != 1:
        raise_stale(db, table, tenant, record_id, expected, not_found)


def delete_versioned(
    db: Db,
    table: Table,
    children: Sequence[tuple[Table, str]],
    *,
    tenant: str,
    record_id: str,
    expected: int,
    not_found: Callable[[], Exception],
) -> None:
    """Delete the row (and its rows in ``children``) if its version is ``expected``, else raise.

    ``children`` are ``(table, column)`` pairs, ``column`` holding the parent's
    id beside ``tenant``. The parent's row is locked first (``FOR UPDATE``)
    and its version checked, so a stale delete touches nothing; then the
    children go, then the parent. Parent before children is the order every
    write takes its row locks in (an update rewrites the parent's row, then
    its children's): the other way round, an update racing a delete of one
    record deadlocked.
    """
    current = and_(table.c.tenant == tenant, table.c.id == record_id, table.c.version == expected)
    if db.execute(select(table.c.id).where(current).with_for_update()).first() is None:
        raise_stale(db, table, tenant, record_id, expected, not_found)
    for child, column in children:
        db.execute(delete(child).where(child.c.tenant == tenant, child.c[column] == record_id))
    if rowcount(db, delete(table).where(current)) != 1:
        raise_stale(db, table, tenant, record_id, expected, not_found)
