"""The connection hooks SQLite and MySQL/MariaDB need, and a connection's isolation level.

SQLite: ``BEGIN IMMEDIATE`` for every transaction and foreign keys on
(:func:`install_sqlite_hooks`, :func:`begin_begun`); MySQL/MariaDB: the named
locks released when a connection goes back to the pool
(:func:`install_mysql_hooks`); and whether a connection autocommits
(:func:`autocommits`, :func:`isolation_of`). :mod:`._backend` exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, Dialect, Engine

from sessionkit.adapters.sqlalchemy._hooks import listen_once

_PREPARED = "sessionkit.sqlite_prepared"


def _prepare(dbapi_connection: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")  # a no-op inside a transaction, so do it here
    cursor.close()


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    _prepare(dbapi_connection)
    record.info[_PREPARED] = True


def autocommits(connection: Connection) -> bool:
    """Whether ``connection`` runs in SQLAlchemy's AUTOCOMMIT (each statement commits itself).

    Set on the connection (``execution_options(isolation_level="AUTOCOMMIT")``)
    or for the engine (``create_engine(..., isolation_level="AUTOCOMMIT")``); a
    database's own default is never AUTOCOMMIT.
    """
    return isolation_of(connection.get_execution_options(), connection.dialect) == "AUTOCOMMIT"


def isolation_of(options: Mapping[str, Any], dialect: Dialect) -> str | None:
    """The isolation level a connection with ``options`` runs in, as far as SQLAlchemy knows.

    The connection's (or its engine's) ``execution_options``, else the
    engine's ``create_engine(isolation_level=...)``, else the database's
    default (read at the engine's first connect; ``None`` before it).
    """
    level = options.get("isolation_level")
    if level is None:
        level = getattr(dialect, "_on_connect_isolation_level", None)
    if level is None:  # set at the engine's first connect: a fresh engine has none yet
        level = getattr(dialect, "default_isolation_level", None)
    return None if level is None else str(level)


def holds_write_lock(connection: Connection) -> bool:
    """SQLite: whether a transaction of ``connection`` has begun that holds the write lock.

    Or will, at its unit's first statement (:func:`begin_begun`): one in
    AUTOCOMMIT never does.
    """
    return connection.in_transaction() and not autocommits(connection)


def _sqlite_begin(connection: Connection) -> None:
    proxied = connection.connection
    if not proxied.info.get(_PREPARED):
        # A connection opened before the hooks were installed (a StaticPool's, say).
        _prepare(proxied.dbapi_connection)
        proxied.info[_PREPARED] = True
    if not autocommits(connection):  # there each statement commits: no transaction to begin
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def begin_begun(connection: Connection) -> None:
    """SQLite: send ``BEGIN IMMEDIATE`` for a transaction begun before the hooks were installed.

    A host's connection whose transaction began before any store installed
    :func:`install_sqlite_hooks` on its engine is in a transaction for
    SQLAlchemy, but pysqlite sent nothing: a unit's SAVEPOINT would begin the
    database's transaction and its RELEASE commit it, outside the host's
    rollback. The transaction the host began is made a real one now, holding
    the write lock as those the hooks begin do. Elsewhere, in AUTOCOMMIT, and
    when the driver is in a transaction already, nothing is done.
    """
    if connection.dialect.name != "sqlite" or not holds_write_lock(connection):
        return
    if getattr(connection.connection.dbapi_connection, "in_transaction", True):
        return
    _sqlite_begin(connection)  # what the hook would have sent, had it been installed


def install_sqlite_hooks(engine: Engine) -> None:
    """Make every transaction on ``engine`` start with ``BEGIN IMMEDIATE`` and enforce FKs.

    Idempotent. This is SQLAlchemy's documented recipe for pysqlite: the
    driver's own implicit ``BEGIN`` (deferred, and only before DML) is turned
    off, so SAVEPOINTs work and a transaction holds the write lock from its
    first statement.
    """
    if engine.dialect.name != "sqlite":
        return
    listen_once(engine, "connect", _sqlite_connect)
    listen_once(engine, "begin", _sqlite_begin)


_NAMED_LOCKS = "sessionkit.named_locks"


def _mysql_checkin(dbapi_connection: Any, record: Any) -> None:
    if dbapi_connection is not None and record.info.pop(_NAMED_LOCKS, False):
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT RELEASE_ALL_LOCKS()")
        cursor.close()


def install_mysql_hooks(engine: Engine) -> None:
    """Release sessionkit's named locks when a connection goes back to the pool. Idempotent."""
    listen_once(engine, "checkin", _mysql_checkin)
