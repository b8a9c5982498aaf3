"""Migrations run one at a time per schema: processes calling ``upgrade`` at once all succeed.

Apps call ``upgrade`` at startup in every worker. Two at once used to fail one of
them with the database's own error: on PostgreSQL a duplicate in ``pg_type`` (both
created the version table) or Alembic's "expected to match one row", on MariaDB
1050 "table already exists", 1091 "can't DROP FOREIGN KEY" (both ran 0007) or 1061,
on SQLite "table already exists". Three spawned processes (``multiprocessing``'s
``spawn``: nothing inherited but what is passed) wait at one barrier and upgrade
one new database at once, from nothing and from revision 0006; all must succeed
and leave the schema the metadata describes. The processes are one pool for the
module (spawning costs about a second each).

The lock is scoped: a migration of another schema (database) does not wait for
it, one of the same schema does, and on SQLite longer than the connection's busy
timeout. A run in the caller's transaction holds it until the caller commits
(PostgreSQL, SQLite), and a refused run gives it back. Each test makes its own
schemas (PostgreSQL), databases (MariaDB) or files (SQLite) and drops them;
PostgreSQL and MariaDB run when ``SESSIONKIT_TEST_POSTGRES_URL`` and
``SESSIONKIT_TEST_MYSQL_URL`` are set, and are skipped, saying so, when not.

The workers import what they run, :mod:`migration_workers`, by name (its
directory is on their ``sys.path``), never this module: it is imported through
the test package only, so it may import relatively.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from sessionkit.adapters.sqlalchemy import (
    EXCLUSION_CONSTRAINT,
    SqlAlchemyStore,
    alembic_config,
    create_schema,
    drop_schema,
    metadata,
    upgrade,
)
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE, migration_lock
from sessionkit.errors import InvalidValue, StorageTimeout

from ._racing import upgrade_in_thread

WORKERS = 3
WAIT = 60
"""Seconds a worker waits at the barrier, and a test for a migration (a guard, not a measure)."""


@dataclass
class Database:
    """A new, empty database: where a worker process connects, and an engine for the test."""

    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)

    def engine(self, **connect_args: Any) -> Engine:
        """Return an engine on this database (``connect_args`` on top of its own)."""
        return create_engine(
            self.url, connect_args={**self.connect_args, **connect_args}, poolclass=NullPool
        )


def _server_url(backend: str) -> str:
    variable = f"SESSIONKIT_TEST_{backend.upper()}_URL"
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"set {variable} to run the migration races on {backend}")
    return url


@contextmanager
def _blank(backend: str, tmp_path: Path) -> Iterator[Database]:
    """Yield a new database with no tables on ``backend``; drop it afterwards."""
    name = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        yield Database(f"sqlite:///{tmp_path / f'{name}.sqlite3'}")
        return
    url = _server_url(backend)
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    make, drop = (
        (f'CREATE SCHEMA "{name}"', f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        if backend == "postgres"
        else (
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
            f"DROP DATABASE IF EXISTS `{name}`",
        )
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(make))
        if backend == "postgres":
            # btree_gist lives in public (installed there once, as the testing helpers do).
            yield Database(url, {"options": f"-c search_path={name},public"})
        else:
            yield Database(make_url(url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(drop))
        admin.dispose()


BACKENDS = ["sqlite", "postgres", "mysql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def workers() -> Iterator[tuple[Any, ProcessPoolExecutor]]:
    """The worker module (imported by name, as the workers import it) and the pool of workers."""
    with pytest.MonkeyPatch.context() as patch:
        # Spawned workers get this sys.path: they import migration_workers by name.
        patch.syspath_prepend(os.path.dirname(__file__))
        module = importlib.import_module("migration_workers")
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=WORKERS,
            mp_context=context,
            initializer=module.start,
            initargs=(context.Barrier(WORKERS, timeout=WAIT),),
        )
        try:
            yield module, pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _head(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def assert_migrated(engine: Engine) -> None:
    """The database is at the latest revision, with exactly the tables the metadata describes."""
    with engine.connect() as connection:
        revisions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
        assert [r for (r,) in revisions] == [_head(engine)]
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert [d for d in differences if d[1].name != VERSION_TABLE] == []
        if engine.dialect.name == "postgresql":
            guards = connection.execute(
                text(
                    "SELECT count(*) FROM pg_constraint WHERE conname = :name "
                    "AND conrelid = to_regclass('sessionkit_session_resources')"
                ),
                {"name": EXCLUSION_CONSTRAINT},
            ).scalar()
            assert guards == 1
    assert set(inspect(engine).get_table_names()) == {*metadata.tables, VERSION_TABLE}


@pytest.mark.parametrize("start_at", [None, "0006_bookings"], ids=["blank", "at-0006"])
def test_processes_upgrading_at_once_all_succeed(
    workers: tuple[Any, ProcessPoolExecutor],
    backend: str,
    start_at: str | None,
    tmp_path: Path,
) -> None:
    module, pool = workers
    with _blank(backend, tmp_path) as database:
        engine = database.engine()
        try:
            if start_at is not None:
                upgrade(engine, start_at)
            futures = [
                pool.submit(module.migrate, database.url, database.connect_args, "head")
                for _ in range(WORKERS)
            ]
            outcomes = [future.result(timeout=2 * WAIT) for future in futures]
            assert outcomes == ["ok"] * WORKERS
            assert_migrated(engine)
            upgrade(engine)  # at head: nothing to do
        finally:
            engine.dispose()


def test_processes_creating_the_schema_at_once_all_succeed(
    workers: tuple[Any, ProcessPoolExecutor], backend: str, tmp_path: Path
) -> None:
    # Each used to find no tables, and all but the first failed on the database's own
    # "already exists" (PostgreSQL: a duplicate key in pg_type).
    module, pool = workers
    with _blank(backend, tmp_path) as database:
        engine = database.engine()
        try:
            futures = [
                pool.submit(module.create, database.url, database.connect_args)
                for _ in range(WORKERS)
            ]
            assert [future.result(timeout=2 * WAIT) for future in futures] == ["ok"] * WORKERS
            assert set(inspect(engine).get_table_names()) == set(metadata.tables)
        finally:
            engine.dispose()


@pytest.mark.parametrize("step", [create_schema, drop_schema])
def test_on_sqlite_create_and_drop_wait_the_busy_timeout_then_time_out(
    step: Callable[[Engine], None], tmp_path: Path
) -> None:
    # SQLite's migration lock is the database's write lock, which any writer holds: the
    # two used to wait for it without end (as upgrade does for another migration), and
    # failed, before they took the lock, with the driver's raw "database is locked".
    path = tmp_path / "busy.sqlite3"
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.3}, poolclass=NullPool)
    create_schema(engine)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # an app's writer, or a stuck process
    said: list[BaseException] = []

    def run() -> None:
        try:
            step(engine)
        except BaseException as error:  # noqa: BLE001  # reported to the test below
            said.append(error)

    try:
        waiter = threading.Thread(target=run, daemon=True)
        waiter.start()
        waiter.join(timeout=WAIT)
        assert not waiter.is_alive()
        assert [type(error) for error in said] == [StorageTimeout]
        assert said[0].waited_for == "the database's write lock"  # type: ignore[attr-defined]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
    assert set(inspect(engine).get_table_names()) == set(metadata.tables)  # nothing dropped


def test_a_migration_waits_for_its_own_schema_s_lock_only(backend: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        same = stack.enter_context(_blank(backend, tmp_path))
        other = stack.enter_context(_blank(backend, tmp_path))
        holder, other_engine = same.engine(), other.engine()
        # SQLite: a busy timeout far shorter than the wait, which lasts as long as the lock.
        waiter = same.engine(**({"timeout": 0.1} if backend == "sqlite" else {}))
        stack.callback(holder.dispose)
        stack.callback(other_engine.dispose)
        stack.callback(waiter.dispose)
        with holder.connect() as connection:
            with migration_lock(connection):
                elsewhere, said_elsewhere = upgrade_in_thread(other_engine)
                elsewhere.join(timeout=WAIT)
                assert said_elsewhere == ["ok"]  # another schema's lock: no wait
                queued, said_queued = upgrade_in_thread(waiter)
                queued.join(timeout=1)
                assert queued.is_alive()  # waits for the lock of its schema
            queued.join(timeout=WAIT)
        assert said_queued == ["ok"]
        assert_migrated(waiter)
        assert_migrated(other_engine)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_run_in_the_caller_s_transaction_holds_the_lock_until_it_commits(
    backend: str, tmp_path: Path
) -> None:
    # MySQL/MariaDB commit DDL as it runs: there the lock ends with upgrade (docs).
    with _blank(backend, tmp_path) as database:
        caller, other = database.engine(), database.engine()
        try:
            with caller.connect() as connection:
                transaction = connection.begin()
                upgrade(connection)
                queued, said = upgrade_in_thread(other)
                queued.join(timeout=1)
                assert queued.is_alive()
                transaction.commit()
                queued.join(timeout=WAIT)
            assert said == ["ok"]  # found the caller's revision: nothing to do
            assert_migrated(other)
        finally:
            caller.dispose()
            other.dispose()


def test_sqlite_upgrade_after_a_store_installed_its_hooks(tmp_path: Path) -> None:
    # The hooks send BEGIN IMMEDIATE themselves: the lock must not begin a second time.
    engine = create_engine(f"sqlite:///{tmp_path / 'hooked.sqlite3'}", poolclass=NullPool)
    try:
        SqlAlchemyStore(engine)
        upgrade(engine)
        assert_migrated(engine)
        command.downgrade(alembic_config(engine), "0005_groups_and_fields")
        upgrade(engine)
        assert_migrated(engine)
    finally:
        engine.dispose()


def test_a_refused_run_gives_the_lock_back(backend: str, tmp_path: Path) -> None:
    with _blank(backend, tmp_path) as database:
        refused, other = database.engine(), database.engine()
        try:
            create_schema(refused)  # no revision recorded: upgrade refuses these tables
            with refused.connect() as connection:
                with pytest.raises(InvalidValue, match="stamp"):
                    upgrade(connection)
                assert not connection.in_transaction()
                # The refused run's session is still open: its lock must not be.
                queued, said = upgrade_in_thread(other)
                queued.join(timeout=WAIT)
            assert len(said) == 1
            assert "InvalidValue" in said[0]
        finally:
            refused.dispose()
            other.dispose()
