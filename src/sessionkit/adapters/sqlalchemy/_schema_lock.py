"""One schema run at a time per schema (database): :func:`migration_lock` and its locks.

PostgreSQL's advisory lock and MySQL/MariaDB's named lock, keyed by the schema
the tables go to (:func:`~._schema_target.target_schema`), SQLite's write lock
(``BEGIN IMMEDIATE``), and the waits that bound them. Private to :mod:`.schema`,
which exports :func:`migration_lock` and takes the lock around
:func:`~.schema.create_schema` and :func:`~.schema.drop_schema`; :mod:`.migrations`
takes it around an upgrade and the Alembic commands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

from sessionkit.adapters.sqlalchemy._schema_target import target_schema
from sessionkit.errors import StorageError
from sessionkit.errors._base import shown

_HELD = "sessionkit.migration_lock"
"""``connection.info`` key: this connection holds the migration lock (``env.py`` asks again)."""
_MYSQL_WAIT = 365 * 24 * 3600
"""GET_LOCK's timeout in seconds: a year, for "as long as it takes" (MariaDB has no forever)."""
_SQLITE_WAIT_MS = 2**31 - 1
"""SQLite's busy timeout while a migration waits for another's write lock: the most it takes."""


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Run the block as the only sessionkit migration of ``connection``'s schema (database).

    :func:`~.migrations.upgrade`, the Alembic commands over
    :func:`~.migrations.alembic_config`, :func:`create_schema` and
    :func:`drop_schema` run in it. PostgreSQL: an advisory lock keyed by the
    schema (:func:`target_schema`); MySQL/MariaDB: a named lock
    (``GET_LOCK``) keyed by the database the tables go to (a translate map's,
    else the current one); SQLite: the database's write lock
    (``BEGIN IMMEDIATE``). Migrations of other schemas or databases do not
    wait. On an idle connection the PostgreSQL and MySQL locks are the
    session's: taken and committed before the block, so that Alembic's own
    transaction begins after the run before it ended and reads what it did
    (under ``REPEATABLE READ`` too), and given back after the block, which
    leaves the connection idle. On SQLite the block is one transaction, the
    one holding the write lock, committed at its end. In a transaction the
    caller began the block runs in it; PostgreSQL's lock is then that
    transaction's, held until the caller commits what the block did, and
    SQLite's write lock is too. MySQL commits DDL as it runs, so there the
    lock is given back at the end of the block, and only the caller's own
    commit makes the last revision's record visible. A connection that holds
    the lock already takes it once. On SQLite the wait for the write lock
    (held by any writer of the database, not only another migration) lasts
    as long as the writer holds it, whatever the connection's busy timeout.
    """
    with _migration_lock(connection, patient=True):
        yield


@contextmanager
def _migration_lock(connection: Connection, *, patient: bool) -> Iterator[None]:
    """:func:`migration_lock`; on SQLite ``patient`` waits past the busy timeout."""
    if connection.info.get(_HELD):
        yield
        return
    idle = not connection.in_transaction()
    release = _lock(connection, idle=idle)
    connection.info[_HELD] = True
    try:
        if connection.dialect.name == "sqlite":
            with _write_locked(connection, idle=idle, patient=patient):
                yield
        else:
            if idle:
                connection.commit()  # the session's lock stays; the block begins afresh
            yield
            if idle and connection.in_transaction():
                connection.commit()  # what Alembic left open (a version table, nothing to run)
    finally:
        connection.info.pop(_HELD, None)
        if not connection.closed and not connection.invalidated:
            if idle and connection.in_transaction():
                connection.rollback()  # the block failed: keep none of it, and no aborted state
            if release is not None:
                connection.execute(release)
                if idle:
                    connection.commit()


def _lock_digest(scope: str | None) -> bytes:
    return hashlib.blake2b(
        f"sessionkit.migrations\x1f{scope or ''}".encode(), digest_size=8
    ).digest()


def _mysql_lock_key(connection: Connection) -> tuple[str | None, str]:
    """MySQL/MariaDB: the database the tables go to, and the name of its migration lock.

    The database a translate map names, else the current one (``None``: none),
    as PostgreSQL's lock is keyed by :func:`target_schema`. It was the URL's
    database: runs over two URLs mapping to one database migrated it at once.
    """
    database = target_schema(connection)
    if database is None:
        current = connection.exec_driver_sql("SELECT DATABASE()").scalar()
        database = None if current is None else str(current)
    # Names are the server's, at most 64 characters: the database's, hashed.
    return database, f"sessionkit_migrations:{_lock_digest(str(database)).hex()}"


def _lock(connection: Connection, *, idle: bool) -> TextClause | None:
    """Take the server's migration lock; return the statement that gives it back, if any."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        key = int.from_bytes(_lock_digest(target_schema(connection)), "big", signed=True)
        if not idle:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            return None
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        return text("SELECT pg_advisory_unlock(:key)").bindparams(key=key)
    if dialect in ("mysql", "mariadb"):
        database, name = _mysql_lock_key(connection)
        got = connection.execute(
            text("SELECT GET_LOCK(:name, :seconds)"), {"name": name, "seconds": _MYSQL_WAIT}
        ).scalar()
        if got != 1:
            raise StorageError(
                f"{dialect} could not take the lock on sessionkit's migrations of database "
                f"{shown(database)} (GET_LOCK returned {shown(got)}: it waited a year, or the "
                "connection was killed)",
                backend=dialect,
            )
        return text("SELECT RELEASE_LOCK(:name)").bindparams(name=name)
    return None


@contextmanager
def _write_locked(connection: Connection, *, idle: bool, patient: bool) -> Iterator[None]:
    """SQLite: run the block holding the database's write lock, in one transaction.

    pysqlite begins a transaction only before DML, so each ``CREATE TABLE``
    of Alembic's would commit alone and a second process would create the
    tables again: ``BEGIN IMMEDIATE`` takes the write lock first (sessionkit's
    hooks, when a store installed them, send it themselves), and Alembic,
    finding the transaction begun, leaves the commit to its end. ``patient``:
    the wait lasts as long as the writer holding the lock does, not the
    connection's busy timeout (5 seconds by default), which is restored
    afterwards; else the busy timeout bounds it.
    """
    driver: Any = connection.connection.dbapi_connection
    waited = int(driver.execute("PRAGMA busy_timeout").fetchone()[0])
    if patient:
        driver.execute(f"PRAGMA busy_timeout = {_SQLITE_WAIT_MS}")
    try:
        with connection.begin() if idle else nullcontext():
            if not driver.in_transaction:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield
    finally:
        if not connection.closed and not connection.invalidated:
            driver.execute(f"PRAGMA busy_timeout = {waited}")
