"""MySQL/MariaDB: a database whose default character set is not utf8mb4 is refused up front.

Issue 10, item 8: on a ``latin1`` database the text columns were ``latin1``, and
a title such as "ΣΊΣΥΦΟΣ" failed on insert with a raw ``DataError`` (1366).
``create_schema`` and ``upgrade`` now refuse such a database before making a
table, naming its character set. A URL naming no database is refused too, by the
Alembic commands over ``alembic_config`` and by a store's first command as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, make_url

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, alembic_config, create_schema, upgrade
from sessionkit.errors import InvalidValue, SchemaMissing
from sessionkit.testing.contract import make_session

from .conftest import mysql_database_of


@pytest.fixture
def latin1_database() -> Iterator[Engine]:
    with mysql_database_of("latin1", "test MySQL/MariaDB character sets") as engine:
        yield engine


def test_a_latin1_database_is_refused_before_any_table_is_made(latin1_database: Engine) -> None:
    for make in (create_schema, upgrade):
        with pytest.raises(InvalidValue, match="utf8mb4") as caught:
            make(latin1_database)
        assert caught.value.value == "latin1"
    assert inspect(latin1_database).get_table_names() == []


def test_a_url_naming_no_database_is_refused_in_sessionkits_words() -> None:
    # mysql+pymysql://root@host/ has no current database: SQLAlchemy's look for the tables
    # failed with a bare AssertionError, in create_schema and in upgrade alike.
    url = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
    if not url:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run on MySQL/MariaDB")
    named = make_url(url)
    engine = create_engine(named._replace(database=None))  # set() keeps a None's old value
    try:
        for make in (create_schema, upgrade):
            with pytest.raises(InvalidValue, match="has no current database") as caught:
                make(engine)
            assert caught.value.expected == "a URL naming a database"
    finally:
        engine.dispose()


def test_with_no_database_alembic_commands_and_a_store_say_so_too() -> None:
    # The Alembic commands over alembic_config failed with a bare AssertionError, and a
    # store's first command with the driver's OperationalError 1046 "No database selected".
    url = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
    if not url:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run on MySQL/MariaDB")
    engine = create_engine(make_url(url)._replace(database=None))
    try:
        for run in (command.stamp, command.downgrade):
            with pytest.raises(InvalidValue, match="has no current database"):
                run(alembic_config(engine), "base")
        store = SqlAlchemyStore(engine)

        def add() -> None:
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session("s1"))
                uow.commit()

        with pytest.raises(SchemaMissing, match="no database selected") as caught:
            add()
        assert caught.value.code == "1046"
        assert "Name the database in the URL" in str(caught.value)
    finally:
        engine.dispose()
