"""PostgreSQL: ``upgrade`` and ``create_schema`` work in the connection's own schema.

Tenant B's connections have ``search_path = tenant_b, tenant_a``: ``current_schema()``
is ``tenant_b``, where unqualified SQL creates and, once it is there, finds sessionkit's
tables. Both used to create nothing there when ``tenant_a`` had the tables already:
Alembic found ``tenant_a``'s version table at head through the search path, and
``create_all`` saw ``tenant_a``'s tables, so tenant B's writes landed in tenant A's
tables. The default ``"$user", public`` does the same whenever ``public`` has them.
Each test makes its two schemas and drops them; ``public`` is never touched.

Runs when ``SESSIONKIT_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from sessionkit.adapters.sqlalchemy import (
    EXCLUSION_CONSTRAINT,
    SqlAlchemyStore,
    alembic_config,
    create_schema,
    drop_schema,
    metadata,
    upgrade,
)
from sessionkit.adapters.sqlalchemy._backend import SchemaWarning
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE
from sessionkit.testing.contract import TENANT, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL tests"
)

MAKERS: dict[str, Callable[[Engine], None]] = {"upgrade": upgrade, "create_schema": create_schema}


@dataclass(frozen=True)
class Tenants:
    """Two fresh schemas; ``b`` is on the search path before ``a``."""

    a: str
    b: str
    engine_a: Engine
    engine_b: Engine


@pytest.fixture
def tenants() -> Iterator[Tenants]:
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:12]
    a, b = f"sessionkit_test_a_{suffix}", f"sessionkit_test_b_{suffix}"
    try:
        with admin.connect() as connection:
            for schema in (a, b):
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine_a = create_engine(POSTGRES_URL, connect_args={"options": f"-c search_path={a}"})
        engine_b = create_engine(POSTGRES_URL, connect_args={"options": f"-c search_path={b},{a}"})
        try:
            yield Tenants(a, b, engine_a, engine_b)
        finally:
            engine_a.dispose()
            engine_b.dispose()
    finally:
        with admin.connect() as connection:
            for schema in (a, b):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _tables(engine: Engine, schema: str) -> set[str]:
    return set(inspect(engine).get_table_names(schema=schema))


def _guarded(engine: Engine, schema: str) -> bool:
    """Whether ``schema``'s resource table has the exclusion constraint."""
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE c.conname = :name AND n.nspname = :schema"
            ),
            {"name": EXCLUSION_CONSTRAINT, "schema": schema},
        ).first()
    return found is not None


def _sessions(engine: Engine, schema: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(text(f'SELECT id FROM "{schema}".sessionkit_sessions')).scalars()
        )


@pytest.mark.parametrize("make", sorted(MAKERS))
def test_tables_are_made_in_the_current_schema_when_a_later_one_has_them(
    tenants: Tenants, make: str
) -> None:
    MAKERS[make](tenants.engine_a)
    MAKERS[make](tenants.engine_b)  # made nothing: tenant_a's tables were found on the path
    assert set(metadata.tables) <= _tables(tenants.engine_b, tenants.b)
    assert _guarded(tenants.engine_b, tenants.b)
    indexes = inspect(tenants.engine_b).get_indexes("sessionkit_sessions", schema=tenants.b)
    assert indexes == inspect(tenants.engine_a).get_indexes("sessionkit_sessions", schema=tenants.a)
    store = SqlAlchemyStore(tenants.engine_b)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("b1"))
        uow.commit()
    assert _sessions(tenants.engine_b, tenants.b) == ["b1"]
    assert _sessions(tenants.engine_a, tenants.a) == []
    MAKERS[make](tenants.engine_b)  # all there now: nothing to do
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "b1").id == "b1"


def test_upgrade_records_the_revision_in_the_current_schema(tenants: Tenants) -> None:
    upgrade(tenants.engine_a)
    upgrade(tenants.engine_b)
    assert VERSION_TABLE in _tables(tenants.engine_b, tenants.b)
    with tenants.engine_b.connect() as connection:
        assert connection.execute(text("SELECT current_schema()")).scalar() == tenants.b
        revisions = connection.execute(
            text(f'SELECT version_num FROM "{tenants.b}".{VERSION_TABLE}')
        ).scalars()
        head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
        assert list(revisions) == [head]


def test_downgrade_and_drop_schema_leave_the_later_schema_alone(tenants: Tenants) -> None:
    upgrade(tenants.engine_a)
    upgrade(tenants.engine_b)
    command.downgrade(alembic_config(tenants.engine_b), "base")
    assert _tables(tenants.engine_b, tenants.b) == {VERSION_TABLE}
    assert set(metadata.tables) <= _tables(tenants.engine_a, tenants.a)
    drop_schema(tenants.engine_b)  # none of its own left: tenant_a's were dropped
    assert set(metadata.tables) <= _tables(tenants.engine_a, tenants.a)
    assert _guarded(tenants.engine_a, tenants.a)
    # Its revision went with it (and tenant_a's stayed): an upgrade builds it again.
    assert _tables(tenants.engine_b, tenants.b) == set()
    assert VERSION_TABLE in _tables(tenants.engine_a, tenants.a)
    upgrade(tenants.engine_b)
    assert set(metadata.tables) <= _tables(tenants.engine_b, tenants.b)


def test_a_search_path_set_after_connecting_is_the_one_that_counts(tenants: Tenants) -> None:
    # The dialect reads default_schema_name once, on the engine's first connection.
    upgrade(tenants.engine_a)
    with tenants.engine_a.connect() as connection:
        connection.execute(text(f"SET search_path TO {tenants.b}, {tenants.a}"))
        connection.commit()
        upgrade(connection)
        assert not connection.in_transaction()
    assert set(metadata.tables) <= _tables(tenants.engine_b, tenants.b)


def test_create_schema_keeps_the_connection_s_own_options(tenants: Tenants) -> None:
    create_schema(tenants.engine_a)
    with tenants.engine_b.connect() as connection:
        create_schema(connection)
        connection.commit()
        assert not connection.get_execution_options().get("schema_translate_map")
    assert set(metadata.tables) <= _tables(tenants.engine_b, tenants.b)


def test_a_translate_map_names_the_schema_of_the_constraint_check_and_the_locks(
    tenants: Tenants,
) -> None:
    # A store mapped to schema B over a search path showing A looked for the exclusion
    # constraint, and keyed its advisory locks, by current_schema() (A): it warned that
    # the constraint was missing, and its locks queued behind A's store's.
    mapped = create_engine(
        POSTGRES_URL or "",
        connect_args={"options": f"-c search_path={tenants.a}"},
        execution_options={"schema_translate_map": {None: tenants.b}},
    )
    try:
        upgrade(tenants.engine_a)
        upgrade(mapped)
        assert _guarded(mapped, tenants.b)
        store_a = SqlAlchemyStore(tenants.engine_a)
        store_b = SqlAlchemyStore(mapped, lock_timeout=timedelta(milliseconds=300))
        with warnings.catch_warnings():
            warnings.simplefilter("error", SchemaWarning)
            with store_b.unit_of_work() as uow:
                uow.sessions.add(make_session("in-b"))
                uow.commit()
        assert _sessions(mapped, tenants.b) == ["in-b"]
        assert _sessions(tenants.engine_a, tenants.a) == []
        with store_a.unit_of_work() as holding:
            holding.backend.lock(holding.db(), TENANT, ["room:y"])
            with store_b.unit_of_work() as other:  # its own schema's key: no wait
                other.backend.lock(other.db(), TENANT, ["room:y"])
        # Over a search path that shows no sessionkit tables at all, the check found none.
        elsewhere = create_engine(
            POSTGRES_URL or "",
            connect_args={"options": "-c search_path=sessionkit_nowhere,public"},
            execution_options={"schema_translate_map": {None: tenants.b}},
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", SchemaWarning)
                with SqlAlchemyStore(elsewhere).unit_of_work() as uow:
                    uow.sessions.add(make_session("also-in-b", at=2))
                    uow.commit()
        finally:
            elsewhere.dispose()
        assert sorted(_sessions(mapped, tenants.b)) == ["also-in-b", "in-b"]
    finally:
        mapped.dispose()


def test_a_store_finds_its_constraint_where_the_search_path_finds_its_tables(
    tenants: Tenants,
) -> None:
    # Tables only in tenant_a, later on tenant_b's path: the statements reach them through
    # the path, and so does the constraint check (no warning, no fallback to locks).
    upgrade(tenants.engine_a)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SchemaWarning)
        with SqlAlchemyStore(tenants.engine_b).unit_of_work() as uow:
            uow.sessions.add(make_session("through-the-path"))
            uow.commit()
    assert _sessions(tenants.engine_a, tenants.a) == ["through-the-path"]
