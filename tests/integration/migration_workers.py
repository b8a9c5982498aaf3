"""What the migration race tests' workers run: spawned processes that migrate one database at once.

A worker process keeps, in :func:`start` (the pool's initializer), the
barrier that releases the workers of one race together (its timeout is the
test's). :func:`migrate` and :func:`create` connect to the database the test
names, wait at the barrier, then upgrade or create the schema, and return
``"ok"`` or ``"error: <the error>"``.

This module is imported by name in the workers (its directory is on their
``sys.path``), never through the test package, so it imports nothing
relatively; it does nothing when imported.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Barrier
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from sessionkit.adapters.sqlalchemy import create_schema, upgrade

_barrier: list[Barrier] = []


def start(barrier: Barrier) -> None:
    """Keep the barrier that releases the workers of one race together (the pool's initializer)."""
    _barrier.append(barrier)


def migrate(url: str, connect_args: dict[str, Any], revision: str) -> str:
    """Wait for the other workers, upgrade to ``revision``; ``"ok"`` or the error."""
    return _released(url, connect_args, lambda engine: upgrade(engine, revision))


def create(url: str, connect_args: dict[str, Any]) -> str:
    """Wait for the other workers, ``create_schema``; ``"ok"`` or the error."""
    return _released(url, connect_args, create_schema)


def _released(url: str, connect_args: dict[str, Any], work: Callable[[Engine], None]) -> str:
    engine = create_engine(url, connect_args=connect_args, poolclass=NullPool)
    try:
        _barrier[0].wait()
        work(engine)
    except Exception as error:  # noqa: BLE001  # reported to the test as a failure
        return f"error: {error!r}"
    finally:
        engine.dispose()
    return "ok"
