"""A unit of work entered and never left is not kept alive by the fault hook's registry.

The registry of open units (``_faults._LIVE``, and the entering context's
list) held each unit strongly: one whose ``__exit__`` never ran stayed for the
life of the process, and with it its session and the pooled connection it
had taken.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, _faults, _locks, create_schema


def _abandon(engine: Engine) -> weakref.ref[object]:
    """Enter a unit, take its connection, and drop it without leaving it."""
    uow = SqlAlchemyStore(engine).unit_of_work()
    uow.__enter__()
    assert uow.series.active() == []
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    assert id(uow) in _faults._LIVE
    return weakref.ref(uow)


def test_a_unit_entered_and_never_left_is_collected_with_its_entry(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'abandoned.db'}")
    create_schema(engine)
    before = dict(_faults._LIVE)
    try:
        gone = _abandon(engine)
        gc.collect()
        assert gone() is None
        assert dict(_faults._LIVE) == before  # its entry went with it
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # back in the pool
    finally:
        # SQLite's in-process lock is still the abandoned unit's: no later unit of this
        # thread may meet it (its owner entry outlives the lock, by the lock's id).
        _locks.release(_locks.engine_lock(engine))
        engine.dispose()
