"""A record and its child rows are read as one version, even when a writer commits in between.

Under READ COMMITTED (PostgreSQL's default, the store's level on MariaDB) a
series' row and its schedule items are two statements. Here a writer on
another connection commits exactly between them (an engine hook fires after
the series row was read): deleting the series must read as "gone", and
replacing its items must read as one version, never a series with no items
(the issue saw ``InvalidValue("a series needs at least one schedule item")``
from ``top_up(None)`` racing a close) or with another version's items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine, event

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.errors import ConcurrentModification, SeriesNotFound
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.testing.contract._support import TENANT, make_series


@pytest.fixture(params=["postgres", "mysql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A server engine (SQLite is left out: a transaction there reads one snapshot)."""
    shared: Engine = request.getfixturevalue(f"race_{request.param}")
    clear_tables(shared)
    return shared


@pytest.fixture
def stored(engine: Engine) -> Series:
    series = make_series("s1")
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        uow.series.add(series)
        uow.commit()
    return attrs.evolve(series, version=1)


@contextmanager
def _between_statements(
    engine: Engine, write: Callable[[], None], times: int = 1
) -> Iterator[None]:
    """Run ``write`` (on its own connection) right after each of the next ``times`` row reads.

    A row read is a plain ``SELECT`` of the series table (the items' query joins it).
    """
    fired = [0]
    busy = [False]

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = statement.lstrip().upper()
        head = text.startswith("SELECT") and "JOIN" not in text and "SESSIONKIT_SERIES" in text
        if head and fired[0] < times and not busy[0]:
            fired[0] += 1
            busy[0] = True
            try:
                write()
            finally:
                busy[0] = False

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", after)


def test_a_series_deleted_between_its_row_and_its_items_reads_as_gone(
    engine: Engine, stored: Series
) -> None:
    store = SqlAlchemyStore(engine)

    def close() -> None:
        with store.unit_of_work() as other:
            other.series.delete(TENANT, stored.id, expected_version=stored.version)
            other.commit()

    with (
        _between_statements(engine, close),
        store.unit_of_work() as uow,
        pytest.raises(SeriesNotFound),
    ):
        uow.series.get(TENANT, stored.id)
    with store.unit_of_work() as uow:
        assert uow.series.active(TENANT) == []


def test_a_series_replaced_between_its_row_and_its_items_reads_as_one_version(
    engine: Engine, stored: Series
) -> None:
    store = SqlAlchemyStore(engine)
    item = stored.items[0]
    renamed = attrs.evolve(
        stored, items=(ScheduleItem("renamed", item.recurrence, item.resources),)
    )

    def replace() -> None:
        with store.unit_of_work() as other:
            other.series.update(renamed, expected_version=stored.version)
            other.commit()

    with _between_statements(engine, replace), store.unit_of_work() as uow:
        (found,) = uow.series.active(TENANT)
    assert (found.version, [i.id for i in found.items]) == (2, ["renamed"])


def test_a_series_that_never_holds_still_is_a_concurrent_modification(
    engine: Engine, stored: Series
) -> None:
    store = SqlAlchemyStore(engine)
    current = [stored]

    def bump() -> None:
        with store.unit_of_work() as other:
            current[0] = other.series.update(current[0], expected_version=current[0].version)
            other.commit()

    with (
        _between_statements(engine, bump, times=100),
        store.unit_of_work() as uow,
        pytest.raises(ConcurrentModification) as caught,
    ):
        uow.series.get(TENANT, stored.id)
    assert caught.value.record_id == stored.id
