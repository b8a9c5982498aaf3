"""PostgreSQL specifics: the exclusion constraint holds against raw SQL, errors are translated,
migrations match ``create_schema``, and without the constraint the store falls back to locks.

Runs when ``SESSIONKIT_TEST_POSTGRES_URL`` is set; every test gets a schema of its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect, text
from sqlalchemy.exc import IntegrityError

from sessionkit.adapters.sqlalchemy import (
    EXCLUSION_CONSTRAINT,
    SchemaWarning,
    SqlAlchemyStore,
    alembic_config,
    drop_schema,
    key_type,
    metadata,
    upgrade,
)
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.errors import DuplicateSession, SessionConflict
from sessionkit.testing.contract import TENANT, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL tests"
)

INSERT_SESSION = text(
    "INSERT INTO sessionkit_sessions (tenant, id, title, start_at, end_at, tz, status, "
    "lifecycle, busy, capacity, is_extra, detached, resources, version, created_at, metadata) "
    "VALUES (:tenant, :id, :id, CAST(:start AS timestamptz), CAST(:end AS timestamptz), 'UTC', "
    "'SCHEDULED', 'lms', :busy, 1, true, false, '[\"teacher:ana\"]', 1, now(), '{}')"
)
INSERT_RESOURCE = text(
    "INSERT INTO sessionkit_session_resources (tenant, session_id, resource, start_at, end_at, "
    "busy) VALUES (:tenant, :id, 'teacher:ana', CAST(:start AS timestamptz), "
    "CAST(:end AS timestamptz), :busy)"
)


@pytest.fixture
def engine() -> Iterator[Engine]:
    assert POSTGRES_URL is not None
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


def _raw_session(
    engine: Engine, session_id: str, start: str, end: str, *, busy: bool = True
) -> None:
    """Write a session the way an application bypassing sessionkit would."""
    values: dict[str, Any] = {
        "tenant": TENANT,
        "id": session_id,
        "start": start,
        "end": end,
        "busy": busy,
    }
    with engine.begin() as connection:
        connection.execute(INSERT_SESSION, values)
        connection.execute(INSERT_RESOURCE, values)


def test_the_exclusion_constraint_refuses_raw_sql_overlaps(engine: Engine) -> None:
    _raw_session(engine, "a", "2026-03-02 09:00Z", "2026-03-02 10:00Z")
    _raw_session(engine, "touching", "2026-03-02 10:00Z", "2026-03-02 11:00Z")
    _raw_session(engine, "idle", "2026-03-02 09:30Z", "2026-03-02 10:30Z", busy=False)
    with pytest.raises(IntegrityError) as caught:
        _raw_session(engine, "clash", "2026-03-02 09:30Z", "2026-03-02 10:30Z")
    assert getattr(caught.value.orig, "sqlstate", None) == "23P01"  # exclusion_violation
    assert EXCLUSION_CONSTRAINT in str(caught.value)


def test_an_exclusion_violation_becomes_a_session_conflict_with_the_blockers(
    engine: Engine,
) -> None:
    # The blocker is written around sessionkit, so only the constraint can see it.
    _raw_session(engine, "raw", "2026-03-02 09:00Z", "2026-03-02 10:00Z")
    store = SqlAlchemyStore(engine)
    clash = make_session("mine", at=0.5)
    with store.unit_of_work() as uow:
        with pytest.raises(SessionConflict) as caught:
            uow.sessions.add(clash)
        # The failed write changed nothing and the unit is still usable.
        uow.sessions.add(make_session("later", at=5))
        uow.commit()
    assert [s.id for s in caught.value.conflicts] == ["raw"]
    assert caught.value.session == clash
    cause = caught.value.__cause__
    assert isinstance(cause, IntegrityError)
    assert getattr(cause.orig, "sqlstate", None) == "23P01"


def test_a_unique_violation_becomes_a_duplicate_session(engine: Engine) -> None:
    store = SqlAlchemyStore(engine)
    first = make_session("a")
    with store.unit_of_work() as uow:
        uow.sessions.add(first)
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(DuplicateSession) as caught:
        uow.sessions.add(make_session("a", at=5))
    assert caught.value.existing == first
    cause = caught.value.__cause__
    assert isinstance(cause, IntegrityError)
    assert getattr(cause.orig, "sqlstate", None) == "23505"  # unique_violation


def _columns(inspector: Any, table: str) -> list[tuple[str, str, bool]]:
    return [(c["name"], repr(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]


def test_migrations_produce_the_create_schema_schema(engine: Engine) -> None:
    assert POSTGRES_URL is not None
    with postgres_schema(POSTGRES_URL) as created:
        drop_schema(engine)
        upgrade(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert [d for d in differences if d[1].name != VERSION_TABLE] == []
        left, right = inspect(engine), inspect(created)
        for table in metadata.tables:
            assert _columns(left, table) == _columns(right, table)
            assert left.get_indexes(table) == right.get_indexes(table)
            assert left.get_foreign_keys(table) == right.get_foreign_keys(table)
            assert left.get_unique_constraints(table) == right.get_unique_constraints(table)
        query = text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = :name AND conrelid = to_regclass('sessionkit_session_resources')"
        )
        with engine.connect() as a, created.connect() as b:
            migrated = a.execute(query, {"name": EXCLUSION_CONSTRAINT}).scalar()
            made = b.execute(query, {"name": EXCLUSION_CONSTRAINT}).scalar()
        assert migrated is not None
        assert migrated == made


def test_alembic_check_after_upgrade_finds_nothing_to_do(engine: Engine) -> None:
    # It reported remove_table sessionkit_alembic_version: the env records the version
    # table in the schema by name, and Alembic spares it only when the compared schema
    # (None) is that name. An application's table beside sessionkit's is not sessionkit's.
    host = MetaData()
    Table("myapp_rooms", host, Column("tenant", key_type(), primary_key=True), Column("n", Integer))
    drop_schema(engine)
    upgrade(engine)
    host.create_all(engine)
    command.check(alembic_config(engine))  # raises AutogenerateDiffsDetected on a difference
    with engine.connect() as connection:
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    assert schema is not None
    assert schema.startswith("sessionkit_test")  # postgres_schema's scratch schema, not public
    assert VERSION_TABLE in inspect(engine).get_table_names()


def test_without_the_constraint_the_store_warns_and_locks(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(f"ALTER TABLE sessionkit_session_resources DROP CONSTRAINT {EXCLUSION_CONSTRAINT}")
        )
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        with pytest.warns(SchemaWarning, match="advisory locks"):
            uow.sessions.add(make_session("a"))
        uow.commit()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def book(n: int) -> None:
        barrier.wait(timeout=30)
        try:
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session(f"b{n}", at=2 + n / 10))
                uow.commit()
        except SessionConflict:
            outcomes.append("conflict")
        else:
            outcomes.append("won")

    threads = [threading.Thread(target=book, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict"] * 5 + ["won"]


def test_reads_planned_per_call_are_never_prepared_by_psycopg(engine: Engine) -> None:
    """``bookable`` plans for its window every time: psycopg's preparing is off in the block."""
    store = SqlAlchemyStore(engine)
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        threshold = driver.prepare_threshold
        with store.backend.planned_per_call(connection):
            assert driver.prepare_threshold is None
            for _ in range(8):  # past psycopg's threshold of 5
                connection.execute(text("SELECT 1 WHERE 1 = :one"), {"one": 1}).all()
        assert driver.prepare_threshold == threshold
        with pytest.raises(ZeroDivisionError), store.backend.planned_per_call(connection):
            1 / 0  # noqa: B018  # an error inside the block
        assert driver.prepare_threshold == threshold
        prepared = connection.execute(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :like"),
            {"like": "%WHERE 1 = $1%"},
        ).scalar()
        assert prepared == 0
