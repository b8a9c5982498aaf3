"""The adapter's engine and pool listeners are installed once per object, whatever its address."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.event import registry
from sqlalchemy.pool import QueuePool

from sessionkit.adapters.sqlalchemy._backend import install_mysql_hooks, install_sqlite_hooks
from sessionkit.adapters.sqlalchemy._faults import install_fault_hook
from sessionkit.adapters.sqlalchemy._hooks import listen_once


def _listener(*_args: Any) -> None:
    return None


def _creator() -> Any:
    raise AssertionError("no connection is made")


def test_a_pool_at_a_dead_pools_address_gets_the_listener() -> None:
    # What lost a joined unit's events now and then in CI: SQLAlchemy's event.contains
    # keys by id(), a disposed engine's new pool keeps the old pool's listener collection
    # (and so its key) alive, and a new pool at the old address looked hooked.
    old = QueuePool(_creator)
    assert listen_once(old, "checkin", _listener)
    successor = old.recreate()  # what Engine.dispose() does: the listeners move over
    address = id(old)
    del old
    kept: list[QueuePool] = []
    for _ in range(100_000):
        pool = QueuePool(_creator)
        if id(pool) == address:
            break
        kept.append(pool)
    else:
        pytest.skip("the allocator gave no new pool the dead one's address")
    assert listen_once(pool, "checkin", _listener)
    assert list(pool.dispatch.checkin) == [_listener]
    assert list(successor.dispatch.checkin) == [_listener]


def test_what_sqlalchemy_believes_installed_does_not_count() -> None:
    # The same failure without waiting for the allocator (the test above skips when no
    # address comes back, as in a long run): SQLAlchemy's registry holds a key for this
    # pool's address, as a dead pool's key did, so event.contains answers yes.
    keys = getattr(registry, "_key_to_collection", None)
    if not isinstance(keys, dict):
        pytest.skip("this SQLAlchemy keeps its listener registry elsewhere")
    pool = QueuePool(_creator)
    key = (id(pool), "checkin", id(_listener))
    keys[key] = {}
    try:
        assert event.contains(pool, "checkin", _listener)  # what the old guard asked
        assert listen_once(pool, "checkin", _listener)
        assert list(pool.dispatch.checkin) == [_listener]
    finally:
        keys.pop(key, None)


def test_a_second_call_installs_nothing() -> None:
    pool = QueuePool(_creator)
    assert listen_once(pool, "checkin", _listener)
    assert not listen_once(pool, "checkin", _listener)
    assert listen_once(pool, "checkout", _listener)  # another event is another listener
    assert list(pool.dispatch.checkin) == [_listener]
    assert list(pool.dispatch.checkout) == [_listener]


@pytest.mark.parametrize(
    ("install", "event_name", "url"),
    [
        (install_sqlite_hooks, "begin", "sqlite://"),
        (install_fault_hook, "handle_error", "sqlite://"),
        (install_mysql_hooks, "checkin", "mysql+pymysql://nobody@127.0.0.1/none"),
    ],
)
def test_the_install_functions_hook_an_engine_once_and_survive_dispose(
    install: Any, event_name: str, url: str
) -> None:
    engine: Engine = create_engine(url)
    before = _listeners(engine, event_name)
    install(engine)
    install(engine)
    engine.dispose()  # a new pool, with the listeners of the old one
    install(engine)
    assert _listeners(engine, event_name) == before + 1


def _listeners(engine: Engine, event_name: str) -> int:
    """How many listeners ``event_name`` has where SQLAlchemy keeps an engine's."""
    target: Any = {"checkin": engine.pool, "handle_error": engine.dialect}.get(event_name, engine)
    return len(list(getattr(target.dispatch, event_name)))
