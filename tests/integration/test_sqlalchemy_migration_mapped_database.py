"""MySQL/MariaDB: ``upgrade`` over a ``schema_translate_map`` migrates the database it names.

The map names where sessionkit's tables live (a database other than the URL's).
``create_schema`` and the store honoured it, but ``upgrade`` made the first
revisions' tables there (SQLAlchemy ``Table`` objects are translated) and then
failed at the first ``ALTER TABLE`` of ``0003_long_span``, sent unqualified to
the URL's database ("Table '<url db>.sessionkit_session_resources' doesn't
exist"), leaving the mapped database half-migrated. Each test makes its two
databases and drops them.

Runs when ``SESSIONKIT_TEST_MYSQL_URL`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from sessionkit.adapters.sqlalchemy import (
    SqlAlchemyStore,
    alembic_config,
    create_schema,
    drop_schema,
    upgrade,
)
from sessionkit.adapters.sqlalchemy.migrations import SCRIPT_LOCATION, VERSION_TABLE
from sessionkit.errors import InvalidValue
from sessionkit.testing.contract import TENANT, make_session

MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")

pytestmark = pytest.mark.skipif(
    not MYSQL_URL, reason="set SESSIONKIT_TEST_MYSQL_URL to run this on MySQL/MariaDB"
)


@pytest.fixture
def databases() -> Iterator[tuple[Engine, str, str]]:
    """An engine on a new database whose translate map names another new database."""
    assert MYSQL_URL is not None
    admin = create_engine(MYSQL_URL, isolation_level="AUTOCOMMIT")
    home = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    mapped = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            for name in (home, mapped):
                connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
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
        finally:
            engine.dispose()
            with admin.connect() as connection:
                for name in (home, mapped):
                    connection.execute(text(f"DROP DATABASE `{name}`"))
    finally:
        admin.dispose()
