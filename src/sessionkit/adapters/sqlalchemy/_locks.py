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
_OWNERS: dict[threading.Lock, int] = {}
"""The thread that took each engine lock held now.

Kept by lock, not per thread: a unit of work entered in one thread may be
left in another (a web framework running a dependency's set-up and tear-down
on two threads of its pool). The thread that entered it then holds nothing,
where a per-thread record it was never cleared from refused its every later
unit as nested. Keyed by the lock itself, not its ``id``: an entry keeps its
lock alive, so a lock made later cannot take a held one's address and be
refused as nested for the thread that took that one.
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
    if _OWNERS.get(lock) == threading.get_ident():
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
    _OWNERS[lock] = threading.get_ident()
    return lock


def release(lock: threading.Lock, *, _owners: dict[threading.Lock, int] = _OWNERS) -> None:
    """Give back ``lock``, taken with :func:`acquire` (by this thread or another).

    Called by the collector too, on any thread, for a unit entered and never
    left, and so perhaps during interpreter shutdown, once this module's
    globals are cleared: hence ``_owners``, bound when the module is loaded.
    """
    _owners.pop(lock, None)
    lock.release()
