"""What a unit of work does when a command or the database fails.

It remembers a transaction the database may have lost (``lose``), rolls back
to its last commit (``rollback``), and names the engine's pool that lent no
connection in time (``_pool_timeout``). The methods are
:class:`~._unit.SqlAlchemyUnitOfWork`'s, assigned into its body.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sessionkit.adapters.sqlalchemy import _faults
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.errors import SessionKitError, StorageTimeout

if TYPE_CHECKING:
    from sessionkit.adapters.sqlalchemy._unit import SqlAlchemyUnitOfWork


def lose(self: SqlAlchemyUnitOfWork, error: SessionKitError) -> None:
    """Remember that the database may have lost the transaction with ``error``.

    :meth:`commit` raises it then; a rollback (or a SAVEPOINT rolled back
    cleanly) forgets it.
    """
    if self._db is not None:
        _faults.lose(self._db, error)


def _pool_timeout(self: SqlAlchemyUnitOfWork, db: Db) -> StorageTimeout:
    """The error for a connection the engine's pool could not lend in its ``pool_timeout``.

    Every connection of the pool was in use (units of work, or the host's own)
    for as long as the pool waits: SQLAlchemy's bare ``TimeoutError`` before.
    """
    return pool_timed_out(db.get_bind().engine.pool, self._store.backend.name)


def pool_timed_out(pool: object, backend: str) -> StorageTimeout:
    """:func:`_pool_timeout` of ``pool`` (also the quick booking's, which has no unit)."""
    seconds = getattr(pool, "_timeout", None)
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", None)
    held = (
        f" (all {size()} of its connections, and {overflow} more, in use)"
        if callable(size) and isinstance(overflow, int) and overflow >= 0
        else ""
    )
    return StorageTimeout.waiting(
        f"a connection from the engine's pool{held}",
        backend=backend,
        timeout=None if not isinstance(seconds, int | float) else timedelta(seconds=seconds),
        setting="pool_timeout",
    )


def rollback(self: SqlAlchemyUnitOfWork) -> None:
    """Discard every write and collected event since the last commit."""
    db = self._open()
    self._events.clear()
    if self._host is None:
        db.rollback()
        _faults.forgive(db)
        return
    lost = _faults.lost(db)
    try:
        if self._savepoint is not None and self._savepoint.is_active:
            self._savepoint.rollback()
    except Exception:
        if lost is None:
            raise
        raise lost from None  # the host's transaction is gone: the host must roll back
    self._savepoint = db.begin_nested()
