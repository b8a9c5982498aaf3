"""MySQL/MariaDB: ``upgrade`` over a ``schema_translate_map`` migrates the database it names.

The map names where sessionkit's tables live (a database other than the URL's).
``create_schema`` and the store honoured it, but ``upgrade`` made the first
revisions' tables there (SQLAlchemy ``Table`` objects are translated) and then
failed at the first ``ALTER TABLE`` of ``0003_long_span``, sent unqualified to
the URL's database ("Table '<url db>.sessionkit_session_resources' doesn't
exist"), leaving the mapped database half-migrated. The migration lock is the
mapped database's too (it was the URL's), and a URL naming no database migrates
the mapped one (it was refused). Each test makes its databases and drops them.

Runs when ``SESSIONKIT_TEST_MYSQL_URL`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from sessionkit.adapters.sqlalchemy import (
    SqlAlchemyStore,
    alembic_config,
    create_schema,
    drop_schema,
    upgrade,
)
from sessionkit.adapters.sqlalchemy.migrations import (
    SCRIPT_LOCATION,
    VERSION_TABLE,
    migration_lock,
)
from sessionkit.adapters.sqlalchemy.schema import _mysql_lock_key
from sessionkit.errors import InvalidValue
from sessionkit.testing.contract import TENANT, make_session

from ._racing import upgrade_in_thread
from .conftest import mysql_database_of

MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")

pytestmark = pytest.mark.skipif(
    not MYSQL_URL, reason="set SESSIONKIT_TEST_MYSQL_URL to run this on MySQL/MariaDB"
)


@contextmanager
def _mapped_pair(
    home_set: str = "utf8mb4", mapped_set: str = "utf8mb4"
) -> Iterator[tuple[Engine, str, str]]:
    """An engine on a new database whose translate map names another new database (dropped)."""
    assert MYSQL_URL is not None
    admin = create_engine(MYSQL_URL, isolation_level="AUTOCOMMIT")
    home = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    mapped = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            for name, character_set in ((home, home_set), (mapped, mapped_set)):
                connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET {character_set}"))
        engine = create_engine(make_url(MYSQL_URL).set(database=home)).execution_options(
            schema_translate_map={None: mapped}
        )
        try:
            yield engine, home, mapped
        finally:
            engine.dispose()
            with admin.connect() as connection:
                for name in (home, mapped):
                    connection.execute(text(f"DROP DATABASE `{name}`"))
    finally:
        admin.dispose()


@pytest.fixture
def databases() -> Iterator[tuple[Engine, str, str]]:
    """An engine on a new database whose translate map names another new database."""
    with _mapped_pair() as made:
        yield made


def _tables(engine: Engine, database: str) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names(schema=database))


def test_upgrade_migrates_the_mapped_database_and_leaves_the_url_s_alone(
    databases: tuple[Engine, str, str],
) -> None:
    engine, home, mapped = databases
    upgrade(engine)
    assert _tables(engine, home) == set()
    assert {"sessionkit_sessions", "sessionkit_session_resources", VERSION_TABLE} <= _tables(
        engine, mapped
    )
    with engine.connect() as connection:
        recorded = connection.execute(text(f"SELECT version_num FROM `{mapped}`.{VERSION_TABLE}"))
        assert list(recorded.scalars()) == [
            ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()
        ]
        assert connection.exec_driver_sql("SELECT DATABASE()").scalar() == home
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a").id == "a"
    command.downgrade(alembic_config(engine), "base")
    assert _tables(engine, mapped) == {VERSION_TABLE}
    upgrade(engine)
    drop_schema(engine)
    assert _tables(engine, mapped) == set()
    assert _tables(engine, home) == set()


@pytest.mark.parametrize(("home_set", "mapped_set"), [("utf8mb4", "latin1"), ("latin1", "utf8mb4")])
def test_the_character_set_checked_is_the_mapped_database_s(home_set: str, mapped_set: str) -> None:
    # The URL's database was asked: a latin1 database mapped away got its tables (text
    # columns in latin1, a Greek title refused row by row), a utf8mb4 one was refused.
    with _mapped_pair(home_set, mapped_set) as (engine, home, mapped):
        if mapped_set == "latin1":
            for make in (upgrade, create_schema):
                refused = f"default character set of database '{mapped}' is 'latin1'"
                with pytest.raises(InvalidValue, match=refused):
                    make(engine)
            assert _tables(engine, mapped) == set()
        else:
            upgrade(engine)
            assert VERSION_TABLE in _tables(engine, mapped)
            drop_schema(engine)
            create_schema(engine)
            assert "sessionkit_sessions" in _tables(engine, mapped)
        assert _tables(engine, home) == set()


WAIT = 60
"""Seconds a test waits for a migration (a guard, not a measure)."""


def _mapped(database: str | None, target: str) -> Engine:
    """An engine on the URL's ``database`` (``None``: none) whose translate map names ``target``."""
    assert MYSQL_URL is not None
    url = make_url(MYSQL_URL)._replace(database=database)  # set() keeps a None's old value
    return create_engine(url).execution_options(schema_translate_map={None: target})


def test_the_migration_lock_is_the_mapped_database_s() -> None:
    # It was the URL's database's: two engines on two URLs mapping to one database
    # migrated it at once, and two on one URL mapping to two databases waited in turn.
    with ExitStack() as stack:
        first, second, target = (
            str(stack.enter_context(mysql_database_of("utf8mb4", "race on MariaDB")).url.database)
            for _ in range(3)
        )
        holder, waiter, elsewhere = (
            _mapped(first, target),
            _mapped(second, target),
            _mapped(first, second),
        )
        plain = create_engine(make_url(str(MYSQL_URL)).set(database=target), poolclass=NullPool)
        for engine in (holder, waiter, elsewhere, plain):
            stack.callback(engine.dispose)
        names = {}
        for engine in (holder, waiter, elsewhere, plain):
            with engine.connect() as connection:
                names[engine] = _mysql_lock_key(connection)
        assert names[holder] == names[waiter] == names[plain] == (target, names[plain][1])
        assert names[elsewhere][0] == second
        assert names[elsewhere][1] != names[holder][1]
        with holder.connect() as connection, migration_lock(connection):
            held_by = connection.execute(
                text("SELECT IS_USED_LOCK(:name)"), {"name": names[waiter][1]}
            ).scalar()
            assert held_by == connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
            elsewhere_run, said_elsewhere = upgrade_in_thread(elsewhere)
            elsewhere_run.join(timeout=WAIT)
            assert said_elsewhere == ["ok"]  # another database's lock: no wait
            queued, said_queued = upgrade_in_thread(waiter)
            queued.join(timeout=1)
            assert queued.is_alive()  # waits for the target's lock, having made nothing
            assert _tables(plain, target) == set()
        queued.join(timeout=WAIT)
        assert said_queued == ["ok"]
        assert VERSION_TABLE in _tables(plain, target)
        assert VERSION_TABLE in _tables(plain, second)
        assert _tables(plain, first) == set()


def test_a_url_naming_no_database_migrates_the_mapped_one() -> None:
    # It was refused ("no current database"), though the map names where the tables go.
    with mysql_database_of("utf8mb4", "migrate on MariaDB") as plain:
        target = str(plain.url.database)
        engine = _mapped(None, target)
        try:
            with engine.connect() as connection:
                assert _mysql_lock_key(connection)[0] == target
            for run in (upgrade, drop_schema, create_schema):
                run(engine)
            assert "sessionkit_sessions" in _tables(plain, target)
            drop_schema(engine)
            upgrade(engine)
            command.downgrade(alembic_config(engine), "0006_bookings")
            upgrade(engine)
            with plain.connect() as connection:
                recorded = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
                assert list(recorded.scalars()) == [
                    ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()
                ]
            store = SqlAlchemyStore(engine)
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session("a"))
                uow.commit()
            with store.unit_of_work() as uow:
                assert uow.sessions.get(TENANT, "a").id == "a"
            with engine.connect() as connection:  # the pool's: as the URL made them
                assert connection.exec_driver_sql("SELECT DATABASE()").scalar() is None
        finally:
            engine.dispose()
