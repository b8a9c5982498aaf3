"""An empty "any of" list (``resources=[]``, ``statuses=[]``) matches no session; ``None``, all.

A dashboard that builds ``resources=[...selected teachers...]`` with nothing
selected used to list every session of the tenant, as ``()`` was read as "no
filter". The stores are held to it by the contract suite; these pin the
value and the services over it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.model import ResourceRef, ScheduleItem, SessionQuery, WindowPolicy
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")


def test_none_is_no_filter_and_an_empty_list_is_kept_empty() -> None:
    assert (SessionQuery().resources, SessionQuery().statuses) == (None, None)
    assert not SessionQuery().matches_nothing
    empties: list[Any] = [[], (), set(), iter([])]  # any iterable, the typing aside
    for empty in empties:
        by_resources = SessionQuery(resources=empty)
        by_statuses = SessionQuery(statuses=empty)
        assert (by_resources.resources, by_resources.statuses) == ((), None)
        assert (by_statuses.resources, by_statuses.statuses) == (None, ())
        assert by_resources.matches_nothing
        assert by_statuses.matches_nothing
        assert by_resources != SessionQuery() != by_statuses


def test_a_non_empty_list_matches_something() -> None:
    query = SessionQuery(resources=[ANA], statuses=["SCHEDULED"])
    assert (query.resources, query.statuses) == ((ANA,), ("SCHEDULED",))
    assert not query.matches_nothing
    assert SessionQuery(resources=[ANA], statuses=[]).matches_nothing


def _engine() -> Engine:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    return engine


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[UnitOfWorkFactory]:
    if request.param == "memory":
        yield InMemoryStore().unit_of_work
        return
    engine = _engine()
    yield SqlAlchemyStore(engine).unit_of_work
    engine.dispose()


@pytest.fixture
def kit(store: UnitOfWorkFactory) -> SessionKit:
    counter = itertools.count(1)
    kit = SessionKit(uow=store, clock=ManualClock(NOW), ids=lambda: f"id{next(counter):03}")
    for title, day, teacher in (("Chem", "MO", ANA), ("Bio", "TU", BEN)):
        rec = Recurrence.weekly(
            days=(day,), at=time(10), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
        )
        kit.series.create(
            T,
            actor="u1",
            title=title,
            items=[ScheduleItem(day.lower(), rec, [teacher])],
            window=WindowPolicy(initial_months=1),
        )
    return kit


def test_a_dashboard_with_no_teacher_selected_lists_no_session(kit: SessionKit) -> None:
    assert kit.queries.list(T, SessionQuery(resources=None)).total == 10
    selected: list[ResourceRef] = []
    page = kit.queries.list(T, SessionQuery(resources=selected))
    assert (page.items, page.total, page.pages, page.next_cursor) == ((), 0, 1, None)
    assert list(kit.queries.each(T, SessionQuery(statuses=[]))) == []
    assert kit.analytics.counts(T, scope=SessionQuery(resources=selected)).rows == ()


def test_an_agenda_of_no_status_is_empty(kit: SessionKit) -> None:
    end = NOW + timedelta(days=7)
    assert len(kit.queries.agenda(T, ANA, start=NOW, end=end, statuses=None)) == 1
    assert kit.queries.agenda(T, ANA, start=NOW, end=end, statuses=()) == ()


def test_the_sql_store_answers_an_empty_list_without_a_statement() -> None:
    engine = _engine()
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        store = SqlAlchemyStore(engine).unit_of_work
        with store() as uow:
            statements.clear()
            page = uow.sessions.query(T, SessionQuery(resources=[], limit=3, page=2))
            assert [s for s in statements if "SELECT" in s] == []
            assert (page.items, page.total, page.page, page.limit) == ((), 0, 2, 3)
            uow.sessions.query(T, SessionQuery(resources=[ANA], statuses=["SCHEDULED"]))
            assert len([s for s in statements if "SELECT" in s]) == 2  # count, page
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    assert not any("IN ()" in s for s in statements)
