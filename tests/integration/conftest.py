"""Engines the race tests share: a SQLite file, and PostgreSQL and MariaDB when their URLs are set.

Each server engine lives in a throwaway schema (database) for one test module,
with a pool big enough for every racing writer; ``race_engine`` empties its
tables before each test. ``fresh_engine`` is a database of its own for one test (a
SQLite file, a PostgreSQL schema, a MariaDB database), for tests that migrate or
drop the schema, and ``blank_engine`` the same with no tables at all, for tests
that migrate from the first revision; ``server_engine`` the same on the two servers only, and
:func:`server_database` makes one where a test needs several (:func:`mysql_database_of`
a MariaDB database of a given character set, with no tables). ``every_store`` is
the same engines plus ``None`` for the in-memory store, one per module, for
property tests that empty the tables per example themselves.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from sessionkit.adapters.sqlalchemy import create_schema, drop_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema

from ._racing import sqlite_race_file

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
RACE_POOL = 12
"""Connections per race engine: more than the writers of any race."""
SERVERS = {
    "postgres": (POSTGRES_URL, postgres_schema, "PostgreSQL"),
    "mysql": (MYSQL_URL, mysql_database, "MySQL/MariaDB"),
}
"""Per server: its URL (``None`` when unset), what makes a throwaway database there, its name."""


@contextmanager
def mysql_database_of(character_set: str, why: str) -> Iterator[Engine]:
    """An engine on a new MySQL/MariaDB database of ``character_set``, dropped at the end.

    ``character_set`` is ``CREATE DATABASE``'s clause: ``"latin1"``, or
    ``"utf8mb4"`` for the server's default collation of it. No tables are
    made, unlike :func:`mysql_database`. Skips, saying ``why`` the test needs
    the server, when its URL is unset.
    """
    if not MYSQL_URL:
        pytest.skip(f"set SESSIONKIT_TEST_MYSQL_URL to {why}")
    admin = create_engine(MYSQL_URL, isolation_level="AUTOCOMMIT")
    name = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET {character_set}"))
    engine = create_engine(make_url(MYSQL_URL).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE `{name}`"))
        admin.dispose()


def server_database(server: str, **options: Any) -> AbstractContextManager[Engine]:
    """Return a throwaway database on ``server`` (a key of :data:`SERVERS`); skip if unset.

    ``options`` go to ``create_engine`` (a pool size, say).
    """
    url, make, name = SERVERS[server]
    if not url:
        pytest.skip(f"set SESSIONKIT_TEST_{server.upper()}_URL to run this on {name}")
    return make(url, **options)


@pytest.fixture(scope="module")
def race_postgres() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to race on PostgreSQL")
    with postgres_schema(POSTGRES_URL, pool_size=RACE_POOL) as engine:
        yield engine


@pytest.fixture(scope="module")
def race_mysql() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to race on MySQL/MariaDB")
    with mysql_database(MYSQL_URL, pool_size=RACE_POOL) as engine:
        yield engine


@pytest.fixture(scope="session")
def race_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed SQLite file with sessionkit's tables: each test's race file is a copy of it."""
    path = tmp_path_factory.mktemp("race_template") / "race.db"
    sqlite_race_file(path, 1).dispose()
    return path


@pytest.fixture(params=["sqlite-file", "postgres", "mysql"])
def race_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param != "sqlite-file":
        shared: Engine = request.getfixturevalue(f"race_{request.param}")
        clear_tables(shared)
        yield shared
        return
    template: Path = request.getfixturevalue("race_sqlite_template")
    engine = sqlite_race_file(tmp_path / "race.db", RACE_POOL, template=template)
    yield engine
    engine.dispose()


@contextmanager
def _sqlite_file(path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{path / 'fresh.sqlite3'}")
    create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    sqlite = request.param == "sqlite"
    with _sqlite_file(tmp_path) if sqlite else server_database(request.param) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'blank.sqlite3'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with server_database(request.param) as engine:
        drop_schema(engine)
        yield engine


@pytest.fixture(params=sorted(SERVERS))
def server_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    with server_database(request.param) as engine:
        yield engine


@pytest.fixture(scope="module", params=["memory", "sqlite", "postgres", "mysql"])
def every_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine | None]:
    if request.param == "memory":
        yield None
        return
    if request.param != "sqlite":
        yield request.getfixturevalue(f"race_{request.param}")
        return
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('every_store') / 'store.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()
