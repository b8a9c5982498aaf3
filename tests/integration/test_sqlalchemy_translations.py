"""Every ``IntegrityError`` the database raises becomes the kind's own error, on every backend.

Each refusal here comes from the database (the record is not repeated inside
a batch, where Python would catch it first): the error is the kind's own, its
fields say what was refused and by whom (``existing`` loaded from the
database), the driver's error is only its ``__cause__``, and the unit of work
stays usable: an earlier write still commits.

SQLite always; PostgreSQL with ``SESSIONKIT_TEST_POSTGRES_URL``, MySQL/MariaDB
with ``SESSIONKIT_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta

import attrs
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.errors import DuplicateSeries, DuplicateSession, SeriesNotFound, SessionKitError
from sessionkit.ports import UnitOfWork
from sessionkit.testing.contract import T0, TENANT, make_series, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")

FIRST = make_session("s1", series_id="series-1", busy=False)
"""Stored before each test: occurrence T0 of series-1, starting at T0."""


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run this on PostgreSQL")
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture(scope="module")
def mysql() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run this on MySQL/MariaDB")
    with mysql_database(MYSQL_URL) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def store(request: pytest.FixtureRequest) -> Iterator[SqlAlchemyStore]:
    if request.param == "sqlite":
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
    else:
        engine = request.getfixturevalue(request.param)
        clear_tables(engine)
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        uow.sessions.add(FIRST)
        uow.commit()
    yield store
    if request.param == "sqlite":
        engine.dispose()


def _refused(
    store: SqlAlchemyStore, write: Callable[[UnitOfWork], object], error: type[SessionKitError]
) -> SessionKitError:
    """Run ``write`` after an earlier write in one unit; return its error, check the unit."""
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("kept", at=100))
        with pytest.raises(error) as caught:
            write(uow)
        assert isinstance(caught.value.__cause__, IntegrityError)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "kept").id == "kept"
    return caught.value


def test_a_taken_session_id(store: SqlAlchemyStore) -> None:
    again = make_session("s1", at=50, busy=False)
    error = _refused(store, lambda uow: uow.sessions.add(again), DuplicateSession)
    assert isinstance(error, DuplicateSession)
    assert (error.kind, error.key, error.session_id, error.tenant) == (
        "session",
        "id",
        "s1",
        TENANT,
    )
    assert error.existing == FIRST


def test_a_taken_occurrence(store: SqlAlchemyStore) -> None:
    # Same series and occurrence key, another start (a moved occurrence).
    twin = make_session("s2", series_id="series-1", at=3, key=FIRST.occurrence_key, busy=False)
    error = _refused(store, lambda uow: uow.sessions.add_many([twin]), DuplicateSession)
    assert isinstance(error, DuplicateSession)
    assert (error.key, error.session_id, error.existing) == ("occurrence", "s2", FIRST)
    assert "occurrence" in str(error)


def test_a_taken_series_start(store: SqlAlchemyStore) -> None:
    # Same series and start, no occurrence key: the race of two create_extra calls.
    extra = make_session("x1", series_id="series-1", is_extra=True, busy=False)
    error = _refused(store, lambda uow: uow.sessions.add(extra), DuplicateSession)
    assert isinstance(error, DuplicateSession)
    assert (error.key, error.session_id, error.existing) == ("series_start", "x1", FIRST)
    assert FIRST.start.isoformat() in str(error)


def test_an_update_onto_a_taken_series_start(store: SqlAlchemyStore) -> None:
    other = make_session("s2", series_id="series-1", at=5, key=None, is_extra=True, busy=False)
    with store.unit_of_work() as uow:
        uow.sessions.add(other)
        uow.commit()
    moved = attrs.evolve(other, span=other.span.shift(timedelta(hours=-5)))
    assert moved.start == T0
    error = _refused(
        store, lambda uow: uow.sessions.update(moved, expected_version=1), DuplicateSession
    )
    assert isinstance(error, DuplicateSession)
    assert (error.key, error.session_id, error.existing) == ("series_start", "s2", FIRST)


def test_a_taken_series_id(store: SqlAlchemyStore) -> None:
    again = make_series("series-1", title="again")

    def write(uow: UnitOfWork) -> None:
        uow.series.add_many([make_series("series-2"), again])

    error = _refused(store, write, DuplicateSeries)
    assert isinstance(error, DuplicateSeries)
    assert (error.kind, error.key, error.series_id, error.tenant) == (
        "series",
        "id",
        "series-1",
        TENANT,
    )
    assert error.existing == make_series("series-1")
    with store.unit_of_work() as uow:
        assert uow.series.get_many(TENANT, ["series-2"]) == []


@pytest.mark.parametrize("how", ["add", "update"])
def test_a_session_of_a_missing_series(store: SqlAlchemyStore, how: str) -> None:
    if how == "add":
        orphan = make_session("o1", series_id="nowhere", at=7, busy=False)

        def write(uow: UnitOfWork) -> object:
            uow.sessions.add(orphan)
            return None

    else:

        def write(uow: UnitOfWork) -> object:
            moved = attrs.evolve(FIRST, series_id="nowhere")
            return uow.sessions.update(moved, expected_version=1)

    error = _refused(store, write, SeriesNotFound)
    assert isinstance(error, SeriesNotFound)
    assert (error.kind, error.series_id, error.tenant) == ("series", "nowhere", TENANT)
