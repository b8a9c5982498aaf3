"""A unit of work entered and never left is not kept alive, nor its SQLite lock held.

The registry of open units (``_faults._LIVE``, and the entering context's
list) held each unit strongly: one whose ``__exit__`` never ran stayed for the
life of the process, and with it its session and the pooled connection it
had taken. Once that was fixed, the unit was collected, but on SQLite the
in-process lock of its engine stayed taken: every later writer of the engine
waited for it, and the thread that took it was refused as nested.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from tests._frozen_heap import frozen_heap

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, _faults, _locks, create_schema
from sessionkit.model import Series


@pytest.fixture(autouse=True)
def _collect_only_what_the_test_made() -> Iterator[None]:
    # Each gc.collect() here walked the whole suite's heap: 8 s a test on CI (0.1 s alone).
    with frozen_heap():
        yield


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'abandoned.db'}")
    create_schema(engine)
    yield engine
    lock = _locks.engine_lock(engine)
    if lock.locked():  # left taken when a test fails: no other test may meet it
        _locks.release(lock)
    engine.dispose()


def _abandon(engine: Engine) -> weakref.ref[object]:
    """Enter a unit, take its connection, and drop it without leaving it."""
    uow = SqlAlchemyStore(engine).unit_of_work()
    uow.__enter__()
    assert uow.series.active() == []
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    assert id(uow) in _faults._LIVE
    assert _locks.engine_lock(engine).locked()
    return weakref.ref(uow)


def test_a_unit_entered_and_never_left_is_collected_with_its_entry(engine: Engine) -> None:
    before = dict(_faults._LIVE)
    gone = _abandon(engine)
    gc.collect()
    assert gone() is None
    assert dict(_faults._LIVE) == before  # its entry went with it
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # back in the pool


def _active_series(store: SqlAlchemyStore) -> list[Series]:
    with store.unit_of_work() as uow:
        return uow.series.active()


def test_a_collected_unit_gives_the_sqlite_lock_to_another_threads_unit(engine: Engine) -> None:
    store = SqlAlchemyStore(engine, lock_timeout=timedelta(seconds=1))
    gone = _abandon(engine)
    gc.collect()
    assert gone() is None
    assert not _locks.engine_lock(engine).locked()
    with ThreadPoolExecutor(1) as other:  # it waited for the lock, then StorageTimeout
        assert other.submit(_active_series, store).result(timeout=10) == []


def test_a_collected_unit_leaves_its_thread_free_to_open_another(engine: Engine) -> None:
    store = SqlAlchemyStore(engine, lock_timeout=timedelta(seconds=1))
    gone = _abandon(engine)
    gc.collect()
    assert gone() is None
    assert _active_series(store) == []  # NestedUnitOfWork: this thread still held the lock


def test_a_lock_made_where_a_held_one_was_is_not_taken_for_it() -> None:
    # The owner of each held lock was kept by the lock's id: one dropped while held (its
    # engine collected with its unit) left its entry, and a lock made later at its address
    # was refused as nested for the thread that took the dropped one.
    held = threading.Lock()
    _locks.acquire(held, None)
    address = id(held)
    del held
    fresh = [threading.Lock() for _ in range(100)]
    try:
        for lock in fresh:
            _locks.refuse_nested(lock)
            assert _locks.acquire(lock, timedelta(seconds=1)) is lock
            _locks.release(lock)
    finally:
        for lock in [lock for lock in _locks._OWNERS if id(lock) == address]:
            _locks.release(lock)
    assert address not in map(id, _locks._OWNERS)
