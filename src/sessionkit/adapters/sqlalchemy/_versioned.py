"""Optimistic versions: one UPDATE ... WHERE version = :expected, and what a miss means."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, cast

from sqlalchemy import CursorResult, Executable, Table, select, update
from sqlalchemy.orm import Session as OrmSession

from sessionkit.errors import ConcurrentModification

__all__ = ["IMMUTABLE_COLUMNS", "raise_stale", "rowcount", "update_versioned"]

IMMUTABLE_COLUMNS = ("tenant", "id", "created_at", "created_by")
"""Columns an update never rewrites."""


def rowcount(db: OrmSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched."""
    return cast("CursorResult[Any]", db.execute(statement)).rowcount


def raise_stale(
    db: OrmSession,
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
    db: OrmSession,
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
