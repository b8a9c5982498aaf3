"""Migration 0008 fills ``title_folded`` for the sessions already stored, on every database.

Sessions are written at revision 0007 (without the column), the database is
upgraded, and search then finds "İstanbul", "ΣΊΣΥΦΟΣ" and "ẞ-Straße" by
themselves: more rows than one backfill batch, so the batches are walked too.
Each test gets an empty schema (PostgreSQL), database (MariaDB) or file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, func, inspect, select

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, drop_schema, upgrade
from sessionkit.adapters.sqlalchemy.mapping import session_values
from sessionkit.adapters.sqlalchemy.migrations import alembic_config
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema
from sessionkit.model import SessionQuery
from sessionkit.testing.contract import TENANT, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
TITLES = ("\u0130stanbul", "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3", "\u1e9e-Stra\u00dfe")
ROWS = 2_100
"""More than two of the migration's batches of 1,000."""


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty schema, database or file."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    url = POSTGRES_URL if request.param == "postgres" else MYSQL_URL
    if not url:
        pytest.skip(f"set the {request.param} test URL to migrate it")
    helper = postgres_schema if request.param == "postgres" else mysql_database
    with helper(url) as engine:
        drop_schema(engine)
        yield engine


def test_0008_fills_title_folded_and_search_finds_the_titles(blank: Engine) -> None:
    upgrade(blank, "0007_exact_keys")
    rows = []
    for n in range(ROWS):
        values = session_values(
            make_session(f"s{n:05d}", at=n, title=f"{TITLES[n % 3]} ({n})", resources=())
        )
        del values["title_folded"]  # not a column yet
        rows.append(values)
    with blank.begin() as connection:
        connection.execute(sessions_table.insert(), rows)

    upgrade(blank)

    with blank.connect() as connection:
        stored = connection.execute(select(sessions_table.c.title, sessions_table.c.title_folded))
        assert all(folded == title.casefold() for title, folded in stored)
    store = SqlAlchemyStore(blank)
    with store.unit_of_work() as uow:
        for n, title in enumerate(TITLES):
            page = uow.sessions.query(TENANT, SessionQuery(search=f"{title} ({n})", limit=5))
            assert [s.title for s in page.items] == [f"{title} ({n})"]
            everyone = uow.sessions.query(TENANT, SessionQuery(search=title.upper()))
            assert everyone.total == ROWS // 3


def test_0008_downgrades_and_upgrades_again(blank: Engine) -> None:
    upgrade(blank)
    with blank.begin() as connection:
        connection.execute(sessions_table.insert(), [session_values(make_session("a"))])
    command.downgrade(alembic_config(blank), "0007_exact_keys")
    columns = {c["name"] for c in inspect(blank).get_columns("sessionkit_sessions")}
    assert "title_folded" not in columns
    upgrade(blank)
    with blank.connect() as connection:
        count = connection.execute(
            select(func.count()).where(sessions_table.c.title_folded == "a")
        ).scalar()
    assert count == 1
