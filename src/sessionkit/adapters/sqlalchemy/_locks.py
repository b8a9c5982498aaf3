"""The in-process queue of units of work on one SQLite engine.

SQLite lets one transaction write at a time, and ``BEGIN IMMEDIATE`` makes a
second writer wait inside sqlite3 (bounded by its ``timeout`` connect
argument). Units of work of one process on one engine therefore queue on a
lock of the engine's own first, where the wait is bounded by the store's
``lock_timeout`` and a thread that opens a second unit while it holds one is
refused (:class:`~sessionkit.errors.NestedUnitOfWork`) rather than left waiting
for itself. Which units take the lock is the unit of work's decision
(:class:`~._unit.SqlAlchemyUnitOfWork`).
"""

from __future__ import annotations

import threading
import weakref
from datetime import timedelta

from sqlalchemy.engine import Engine

from sessionkit.errors import NestedUnitOfWork, StorageTimeout

__all__ = ["acquire", "engine_lock", "refuse_nested", "release"]

_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()
_OWNERS: dict[int, int] = {}
"""The thread that took each engine lock held now (by the lock's id).

Kept by lock, not per thread: a unit of work entered in one thread may be
left in another (a web framework running a dependency's set-up and tear-down
on two threads of its pool). The thread that entered it then holds nothing,
where a per-thread record it was never cleared from refused its every later
unit as nested.
"""


def engine_lock(engine: Engine) -> threading.Lock:
    """Return the lock that queues the units of work of this process on ``engine``."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(engine)
        if lock is None:
            lock = _LOCKS[engine] = threading.Lock()
        return lock


def refuse_nested(lock: threading.Lock) -> None:
    """Raise ``NestedUnitOfWork`` if the current thread holds ``lock`` already."""
    if _OWNERS.get(id(lock)) == threading.get_ident():
        raise NestedUnitOfWork("SQLite database")


def acquire(lock: threading.Lock, timeout: timedelta | None) -> threading.Lock:
    """Take ``lock`` for the current thread and return it, waiting at most ``timeout``.

    ``None`` waits as long as it takes, and so does a ``timeout`` longer than
    :data:`threading.TIMEOUT_MAX`. A wait that runs out raises ``StorageTimeout``.
    """
    # threading refuses a wait past TIMEOUT_MAX (about 292 years) with OverflowError.
    seconds = -1 if timeout is None else min(timeout.total_seconds(), threading.TIMEOUT_MAX)
    if not lock.acquire(timeout=seconds):
        raise StorageTimeout.waiting(
            "another unit of work of this process on the SQLite database",
            backend="sqlite",
            timeout=timeout,
        )
    _OWNERS[id(lock)] = threading.get_ident()
    return lock


def release(lock: threading.Lock) -> None:
    """Give back ``lock``, taken with :func:`acquire` (by this thread or another)."""
    _OWNERS.pop(id(lock), None)
    lock.release()
