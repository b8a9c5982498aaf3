"""Session and series statuses and lifecycles compare exactly on MySQL/MariaDB, migrated too.

The ``status`` and ``lifecycle`` columns of ``sessionkit_sessions`` and
``sessionkit_series`` were plain text, of the database's default collation;
``CREATE DATABASE app CHARACTER SET utf8mb4`` gives one that folds case. A
``SessionQuery(statuses=["COMPLETED"])`` (and every analytics scope built on
one, and the tick's due sessions) then matched a host lifecycle's
``Completed`` too, as no other store does. Migration 0015 gives the four
columns the exact collation of the key columns (``utf8mb4_nopad_bin`` on
MariaDB), and ``create_schema`` makes them so.

The memory store always; MariaDB when ``SESSIONKIT_TEST_MYSQL_URL`` is set, in
a database of the server's default collation of its own, dropped at the end
(``mysql_database`` makes ``utf8mb4_bin`` ones, which never folded case).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema, upgrade
from sessionkit.adapters.sqlalchemy._types import exact_collation
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE, alembic_config
from sessionkit.model.query import SessionQuery
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import TENANT, make_series, make_session

from .conftest import mysql_database_of

NOW = datetime(2026, 4, 1, tzinfo=UTC)
BEFORE = "0014_journal"
COLUMNS = [
    ("sessionkit_series", "lifecycle"),
    ("sessionkit_series", "status"),
    ("sessionkit_sessions", "lifecycle"),
    ("sessionkit_sessions", "status"),
]
SESSIONS = [
    make_session("a", at=0, status="COMPLETED", lifecycle="consulting"),
    make_session("b", at=2, status="Completed", lifecycle="Consulting"),
    make_session("c", at=4, status="completed", lifecycle="consulting"),
    make_session("d", at=6, status="SCHEDULED", lifecycle="lms"),
]


def _default_collation_database() -> Iterator[Engine]:
    # No COLLATE: the server's default for utf8mb4, which folds case (utf8mb4_general_ci).
    with mysql_database_of("utf8mb4", "run against MySQL/MariaDB") as engine:
        yield engine


def _store(uow: UnitOfWorkFactory) -> None:
    with uow() as unit:
        unit.series.add(make_series("s1"))
        unit.sessions.add_many(SESSIONS)
        unit.commit()


def _ids(uow: UnitOfWorkFactory, *statuses: str) -> list[str]:
    with uow() as unit:
        page = unit.sessions.query(TENANT, SessionQuery(statuses=statuses))
    return [s.id for s in page.items]


@pytest.fixture(params=["memory", "mysql-default-collation"])
def stored(request: pytest.FixtureRequest) -> Iterator[UnitOfWorkFactory]:
    """A store holding :data:`SESSIONS`, whose statuses and lifecycles differ only in case."""
    if request.param == "memory":
        memory = InMemoryStore().unit_of_work
        _store(memory)
        yield memory
        return
    for engine in _default_collation_database():
        create_schema(engine)
        uow = SqlAlchemyStore(engine).unit_of_work
        _store(uow)
        yield uow


def test_a_status_filter_finds_that_status_only(stored: UnitOfWorkFactory) -> None:
    assert _ids(stored, "COMPLETED") == ["a"]
    assert _ids(stored, "Completed") == ["b"]
    assert _ids(stored, "Completed", "SCHEDULED") == ["b", "d"]
    assert _ids(stored, "Scheduled") == []


def test_an_analytics_scope_counts_that_status_only(stored: UnitOfWorkFactory) -> None:
    kit = SessionKit(uow=stored, clock=ManualClock(NOW))
    scope = SessionQuery(statuses=["COMPLETED"])
    assert kit.analytics.counts(TENANT, scope=scope).by_status() == {"COMPLETED": 1}


def test_due_sessions_are_those_of_their_own_lifecycle_and_status(
    stored: UnitOfWorkFactory,
) -> None:
    with stored() as unit:
        due = unit.sessions.due(
            TENANT,
            statuses=["completed"],
            start_before=NOW,
            lifecycles={"consulting": ["completed"]},
        )
    assert [s.id for s in due] == ["c"]


# ------------------------------------------------------------------ the columns (MariaDB)


def _collations(engine: Engine) -> dict[tuple[str, str], str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name IN "
                "('sessionkit_series', 'sessionkit_sessions') "
                "AND column_name IN ('status', 'lifecycle')"
            )
        )
        return {(table, column): collation for table, column, collation in rows}


def _database_collation(engine: Engine) -> str:
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT default_collation_name FROM information_schema.schemata "
                "WHERE schema_name = DATABASE()"
            )
        ).scalar_one()
    assert isinstance(found, str)
    return found


def _rows(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            table: list(connection.execute(text(f"SELECT * FROM {table} ORDER BY tenant, id")))
            for table in ("sessionkit_series", "sessionkit_sessions")
        }


def _columns(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            table: list(connection.execute(text(f"SHOW FULL COLUMNS FROM {table}")))
            for table in ("sessionkit_series", "sessionkit_sessions")
        }


def _version(engine: Engine) -> str:
    with engine.connect() as connection:
        found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one()
    assert isinstance(found, str)
    return found


def test_create_schema_gives_the_columns_the_exact_collation() -> None:
    for engine in _default_collation_database():
        create_schema(engine)
        folding = _database_collation(engine)
        assert folding.endswith("_ci")  # the case this is about
        assert _collations(engine) == dict.fromkeys(COLUMNS, exact_collation(engine.dialect))


def test_0015_makes_existing_columns_exact_keeping_the_rows_and_downgrades() -> None:
    for engine in _default_collation_database():
        upgrade(engine, BEFORE)
        uow = SqlAlchemyStore(engine).unit_of_work
        _store(uow)
        folding = _database_collation(engine)
        assert _collations(engine) == dict.fromkeys(COLUMNS, folding)
        assert _ids(uow, "COMPLETED") == ["a", "b", "c"]  # what 0015 mends
        rows, columns = _rows(engine), _columns(engine)

        upgrade(engine)

        assert _version(engine) != BEFORE
        assert _collations(engine) == dict.fromkeys(COLUMNS, exact_collation(engine.dialect))
        assert _rows(engine) == rows
        assert _ids(uow, "COMPLETED") == ["a"]
        with uow() as unit:
            assert unit.sessions.get_many(TENANT, [s.id for s in SESSIONS]) == SESSIONS
            assert [s.id for s in unit.series.active(TENANT)] == ["s1"]

        command.downgrade(alembic_config(engine), BEFORE)
        assert _version(engine) == BEFORE
        assert _collations(engine) == dict.fromkeys(COLUMNS, folding)
        assert _columns(engine) == columns  # type, NULL, default and collation as 0014 had
        assert _rows(engine) == rows

        upgrade(engine)
        assert _collations(engine) == dict.fromkeys(COLUMNS, exact_collation(engine.dialect))
        assert _rows(engine) == rows
