"""PostgreSQL: migrations on an engine or connection in ``AUTOCOMMIT``.

An engine made with ``isolation_level="AUTOCOMMIT"`` (an admin engine that
creates databases) committed each statement of ``upgrade`` alone: the first
savepoint failed with a raw "SAVEPOINT can only be used in transaction
blocks", the tables made before it stayed, no revision was recorded, and the
next ``upgrade`` blamed ``create_schema`` for them. The engine's connection
now runs one transaction; a connection the caller hands over in
``AUTOCOMMIT`` is refused before anything is written. Each test makes its own
schema and drops it; ``public`` is never touched.

Runs when ``SESSIONKIT_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, alembic_config, create_schema, upgrade
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE
from sessionkit.errors import InvalidValue
from sessionkit.testing.contract import TENANT, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL tests"
)


@pytest.fixture
def schema() -> Iterator[str]:
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"sessionkit_test_auto_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def _engine(schema: str, **options: object) -> Engine:
    assert POSTGRES_URL is not None
    return create_engine(
        POSTGRES_URL, connect_args={"options": f"-c search_path={schema}"}, **options
    )


def _tables(schema: str) -> set[str]:
    engine = _engine(schema)
    try:
        return set(inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


def test_upgrade_on_an_autocommit_engine_runs_in_one_transaction(schema: str) -> None:
    engine = _engine(schema, isolation_level="AUTOCOMMIT")
    try:
        upgrade(engine)
        upgrade(engine)  # again: nothing left to do
        with engine.connect() as connection:
            revision = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
            driver: Any = connection.connection.dbapi_connection
            assert driver.autocommit  # the pool's connection was given back as it was
    finally:
        engine.dispose()
    assert revision is not None
    plain = _engine(schema)
    try:
        with SqlAlchemyStore(plain).unit_of_work() as uow:
            uow.sessions.add(make_session("s1"))
            uow.commit()
        with SqlAlchemyStore(plain).unit_of_work() as uow:
            assert uow.sessions.get(TENANT, "s1").id == "s1"
    finally:
        plain.dispose()


@pytest.mark.parametrize("make", [upgrade, create_schema], ids=["upgrade", "create_schema"])
def test_a_connection_in_autocommit_is_refused_before_anything_is_written(
    schema: str, make: Callable[[Connection], None]
) -> None:
    engine = _engine(schema, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection, pytest.raises(InvalidValue) as caught:
            make(connection)
    finally:
        engine.dispose()
    assert caught.value.value == "AUTOCOMMIT"
    assert "AUTOCOMMIT" in str(caught.value)
    assert _tables(schema) == set()


def test_create_schema_on_an_autocommit_engine_makes_every_table(schema: str) -> None:
    engine = _engine(schema, isolation_level="AUTOCOMMIT")
    try:
        create_schema(engine)
    finally:
        engine.dispose()
    assert "sessionkit_sessions" in _tables(schema)


def test_alembic_commands_over_alembic_config_take_the_same_care(schema: str) -> None:
    # alembic_config(engine) is the documented route "for anything beyond upgrade": its
    # env.py connected as the engine did, AUTOCOMMIT included, and left 5 tables behind.
    engine = _engine(schema, isolation_level="AUTOCOMMIT")
    try:
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as connection, pytest.raises(InvalidValue):
            command.downgrade(alembic_config(connection), "base")
    finally:
        engine.dispose()
    assert "sessionkit_sessions" in _tables(schema)
