"""What differs between databases: how double bookings are kept out (and title search).

- PostgreSQL: the exclusion constraint on busy resource rows is the guard,
  for every writer. sessionkit's own writers of one resource also queue on a
  transaction-scoped advisory lock first: concurrent inserts that collide in a
  GiST exclusion check otherwise deadlock each other (PostgreSQL then aborts
  one with a deadlock error instead of a clean conflict).
- PostgreSQL without the constraint (``btree_gist`` could not be installed):
  the same advisory locks, plus a conflict query before each write; warns
  once with :class:`SchemaWarning`.
- SQLite: every transaction starts with ``BEGIN IMMEDIATE``, which takes the
  database's write lock first, so check and write cannot interleave with
  another writer; threads of one process also queue on a lock of their own.
- MySQL/MariaDB: a conflict query before each write, under named locks
  (``GET_LOCK``) per resource, in READ COMMITTED so the query sees the latest
  commits; the locks are released when the connection returns to the pool.

Every wait for a lock is bounded by the store's ``lock_timeout``
(:meth:`Backend.bound_waits`): ``SET LOCAL lock_timeout`` per transaction on
PostgreSQL, ``innodb_lock_wait_timeout`` and ``lock_wait_timeout`` per connection
and the ``GET_LOCK`` timeout on MySQL/MariaDB, the in-process queue on SQLite. A wait that runs out
is a :class:`~sessionkit.errors.StorageTimeout` naming what it waited for.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, text
from sqlalchemy.engine import Connection, Dialect, Engine

from sessionkit.adapters._session_match import contains_pattern
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._dialect_hooks import (
    _NAMED_LOCKS,
    autocommits,
    begin_begun,
    holds_write_lock,
    install_mysql_hooks,
    install_sqlite_hooks,
    isolation_of,
)
from sessionkit.adapters.sqlalchemy._direct import run
from sessionkit.adapters.sqlalchemy._faults import (
    install_fault_hook,
    replace_lost,
    translate_unhooked,
)
from sessionkit.adapters.sqlalchemy._lock_settings import (
    _FOREVER,
    _FRESH_LEVELS,
    _MYSQL_WAIT,
    _PG_MAX_MS,
    _lock_key,
    _lock_names,
    _namespace,
)

# Imported from here by the store's other modules and the tests.
from sessionkit.adapters.sqlalchemy._lock_settings import _SET_LOCK_TIMEOUT as _SET_LOCK_TIMEOUT
from sessionkit.adapters.sqlalchemy._lock_settings import PARTICIPANT as PARTICIPANT
from sessionkit.adapters.sqlalchemy._lock_settings import mapped_schema as mapped_schema
from sessionkit.adapters.sqlalchemy._lock_settings import option_timeout_ms as option_timeout_ms
from sessionkit.adapters.sqlalchemy.rows import EXCLUSION_CONSTRAINT, SessionResourceRow
from sessionkit.errors import StorageError, StorageTimeout

__all__ = [
    "Backend",
    "SchemaWarning",
    "autocommits",
    "backend_for",
    "begin_begun",
    "holds_write_lock",
    "install_mysql_hooks",
    "install_sqlite_hooks",
]


class SchemaWarning(UserWarning):
    """The database lacks a guarantee sessionkit would like (a fallback is in use)."""


class Backend:
    """The database-specific part of the repositories, one per store.

    ``lock_timeout`` bounds every wait for a lock (``None``: the database's
    own default, which on PostgreSQL is to wait forever).
    """

    def __init__(self, engine: Engine, lock_timeout: timedelta | None = None) -> None:
        name = engine.dialect.name
        self.name = "mysql" if name in ("mysql", "mariadb") else name
        self.lock_timeout = lock_timeout
        self.serialise_in_process = self.name == "sqlite"
        self.isolation: str | None = (
            "READ COMMITTED" if self.name in ("postgresql", "mysql") else None
        )
        """The isolation level the store's own units run in (see
        :class:`~sessionkit.adapters.sqlalchemy.SqlAlchemyStore`): the counts and
        conflict checks that follow a lock must see the commits made before it."""
        self._guarded_by_constraint: bool | None = None if self.name == "postgresql" else False
        self._probe = threading.Lock()
        seconds = None if lock_timeout is None else lock_timeout.total_seconds()
        self._get_lock_seconds = _FOREVER if seconds is None else min(seconds, _FOREVER)
        # InnoDB counts whole seconds, and 0 would mean "do not wait at all".
        self._innodb_seconds = None if seconds is None else max(1, math.ceil(seconds))
        self._pg_ms = None if seconds is None else min(_PG_MAX_MS, max(1, round(seconds * 1000)))
        self._pg_timeout = None if self._pg_ms is None else f"{self._pg_ms}ms"
        self._bounded_by: dict[str, bool] = {}
        """Whether connections opened with these ``options`` have the lock bound."""

    def isolation_to_set(self, options: Mapping[str, Any], dialect: Dialect) -> str | None:
        """The level a unit must set on a connection with ``options``, or ``None``.

        ``None`` when the connection runs in :attr:`isolation` already (the
        usual PostgreSQL engine: setting it would cost each unit two calls
        into the driver and the pool's reset), or the database needs none.
        SQLite needs one only on an engine in AUTOCOMMIT, where each write of
        a unit would commit on its own (and stay when the unit fails): its
        units run in ``SERIALIZABLE``, SQLite's transactions, whose ``BEGIN
        IMMEDIATE`` the hooks send.
        """
        if self.name == "sqlite":
            return "SERIALIZABLE" if isolation_of(options, dialect) == "AUTOCOMMIT" else None
        if self.isolation is None or isolation_of(options, dialect) == self.isolation:
            return None
        return self.isolation

    def stale_level(self, connection: Connection) -> str | None:
        """The level of ``connection``'s transaction if a count after a lock misses commits.

        ``None`` where the reads that follow a lock see what its previous holder
        committed: ``READ COMMITTED`` (and PostgreSQL's ``READ UNCOMMITTED``,
        the same), MySQL/MariaDB's ``SERIALIZABLE`` (its reads take locks, so
        read the latest rows), SQLite (its writers take turns). Under
        ``REPEATABLE READ`` the count reads the snapshot of the transaction's
        first read, and on PostgreSQL so does ``SERIALIZABLE`` for the commits
        of the store's own ``READ COMMITTED`` units, which its checks do not
        watch: two bookings took a capacity-1 session's seat. MySQL/MariaDB's
        ``READ UNCOMMITTED`` reads rows not yet committed (a booking that may
        roll back), so it is returned too. One statement.
        """
        level: str
        if self.name == "postgresql":
            level = str(connection.exec_driver_sql("SHOW transaction_isolation").scalar())
        elif self.name == "mysql":
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None  # the unit's connection, open in its transaction
            try:
                # SQLAlchemy's read: @@transaction_isolation on MySQL, @@tx_isolation on MariaDB
                level = connection.dialect.get_isolation_level(dbapi)
            except Exception as error:
                translated = translate_unhooked(connection, error)  # the driver's, bare
                if translated is None:
                    raise
                raise translated from error
        else:
            return None
        level = level.replace("-", " ").upper()
        return None if level in _FRESH_LEVELS[self.name] else level

    def isolate(self, connection: Connection) -> None:
        """Set :attr:`isolation` on ``connection`` (not in a transaction yet) if it lacks it."""
        level = self.isolation_to_set(connection.get_execution_options(), connection.dialect)
        if level is not None:
            try:
                connection.execution_options(isolation_level=level)
            except Exception as error:
                # The driver's error, bare: setting the level bypasses the fault hook.
                translated = translate_unhooked(connection, error)
                if translated is None:
                    raise
                raise translated from error

    @property
    def bounds_waits(self) -> bool:
        """Whether :meth:`bound_waits` has anything to set on this database."""
        return self.lock_timeout is not None and self.name in ("postgresql", "mysql")

    def bound_waits(self, db: Db) -> None:
        """Bound the lock waits of ``db``'s current transaction by ``lock_timeout``.

        PostgreSQL: ``SET LOCAL lock_timeout``, for this transaction only (and
        ``TimeZone`` to UTC in the same statement: see :data:`_SET_LOCK_TIMEOUT`).
        Not on a connection that has both already, from its start (its
        ``options``): see :meth:`_connection_bounded`. MySQL/MariaDB: ``innodb_lock_wait_timeout``
        and ``lock_wait_timeout`` (row and metadata locks) for the connection
        (once per pooled connection; it keeps the values). Only for units that
        own their transaction: a host's transaction keeps its own settings.
        """
        # On the driver's cursor beneath Core (:mod:`~._direct`, which leaves it to Core when
        # something watches the statements): through Core it cost about 100 us of a booking's
        # 600 us of client CPU, the ORM session's execute() as much again.
        if self.name == "postgresql" and self._pg_timeout is not None:
            connection = db.connection()
            if not self._connection_bounded(connection):
                run(connection, _SET_LOCK_TIMEOUT, {"timeout": self._pg_timeout})
        elif self.name == "mysql" and self._innodb_seconds is not None:
            connection = db.connection()
            if connection.info.get(_MYSQL_WAIT) != self._innodb_seconds:
                # Row locks (InnoDB's) and metadata locks (a table's, which a statement
                # waits for behind an ALTER TABLE or a LOCK TABLES) have a timeout each.
                seconds = self._innodb_seconds
                wait = (
                    f"SET SESSION innodb_lock_wait_timeout = {seconds}, "
                    f"lock_wait_timeout = {seconds}"
                )
                connection.exec_driver_sql(wait)
                connection.info[_MYSQL_WAIT] = self._innodb_seconds

    @property
    def pg_lock_timeout(self) -> str | None:
        """The ``lock_timeout`` :meth:`bound_waits` sets on PostgreSQL, as ``"10000ms"``.

        ``None`` on the other databases, and for a store with no ``lock_timeout``.
        """
        return self._pg_timeout if self.name == "postgresql" else None

    def _connection_bounded(self, connection: Connection) -> bool:
        """Whether a PostgreSQL connection has the store's lock bound and UTC of its own.

        Then the ``set_config`` of :meth:`bound_waits` would change nothing,
        and each unit saves its round trip. Both are read from the driver,
        with no statement (psycopg's ``info``): the ``lock_timeout`` its
        startup ``options`` set (``-c lock_timeout=10s``), which a session-level
        ``SET lock_timeout`` of the host's later does not change, and the
        ``TimeZone`` the server reports at the moment, which a ``SET
        TimeZone`` does. A driver that shows neither keeps the ``set_config``.
        """
        return self.driver_bounded(connection.connection.dbapi_connection)

    def driver_bounded(self, dbapi_connection: object) -> bool:
        """:meth:`_connection_bounded` of a DBAPI connection (a psycopg one, else ``False``)."""
        info = getattr(dbapi_connection, "info", None)
        status = getattr(info, "parameter_status", None)
        options = getattr(info, "options", None)
        if status is None or not isinstance(options, str) or status("TimeZone") != "UTC":
            return False
        known = self._bounded_by.get(options)
        if known is None:
            known = option_timeout_ms(options) == self._pg_ms
            if len(self._bounded_by) < 64:  # the engines' few option strings
                self._bounded_by[options] = known
        return known

    def constraint_guards(self, db: Db) -> bool:
        """Whether PostgreSQL's exclusion constraint is in place (checked once, then cached)."""
        if self._guarded_by_constraint is None:
            with self._probe:
                if self._guarded_by_constraint is None:
                    self._guarded_by_constraint = self._has_constraint(db)
        return self._guarded_by_constraint

    def _has_constraint(self, db: Db) -> bool:
        # The table as the store's statements name it: through the search path, unless a
        # schema_translate_map names its schema (the path may show another schema's).
        found = db.execute(
            text(
                "SELECT 1 FROM pg_constraint WHERE conname = :name AND contype = 'x' "
                "AND conrelid = to_regclass(CASE WHEN CAST(:schema AS text) IS NULL "
                "THEN quote_ident(:table) ELSE format('%I.%I', :schema, :table) END)"
            ),
            {
                "name": EXCLUSION_CONSTRAINT,
                "schema": mapped_schema(db.connection()),
                "table": SessionResourceRow.__tablename__,
            },
        ).first()
        if found is None:
            warnings.warn(
                f"the exclusion constraint {EXCLUSION_CONSTRAINT!r} is missing (btree_gist "
                "could not be installed?); sessionkit falls back to advisory locks, which "
                "guard its own writers but not SQL written around it",
                SchemaWarning,
                stacklevel=4,
            )
        return found is not None

    def check_before_write(self, db: Db) -> bool:
        """Whether writes must query for conflicts themselves (no constraint refuses them)."""
        return not self.constraint_guards(db)

    def lock(self, db: Db, tenant: str, resources: Iterable[str]) -> None:
        """Take this database's write locks on ``resources`` until the transaction ends."""
        names = sorted(set(resources))
        if not names:
            return
        if self.name == "postgresql":
            schema = _namespace(db, "SELECT current_schema()")
            keys = sorted({_lock_key(schema, tenant, name) for name in names})
            # Sorted, so two writers wanting overlapping sets cannot deadlock each other.
            try:
                db.execute(
                    text(
                        "SELECT count(pg_advisory_xact_lock(k)) FROM "
                        "(SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) "
                        "AS ordered"
                    ),
                    {"keys": keys},
                )
            except StorageTimeout as error:
                named = self._timed_out(tenant, names, error.code)
                replace_lost(db, error, named)
                raise named from error.__cause__
        elif self.name == "mysql":
            # Named locks belong to the connection, not the transaction: the pool's checkin
            # hook releases them once the transaction is over (see install_mysql_hooks).
            db.connection().connection.info[_NAMED_LOCKS] = True
            database = _namespace(db, "SELECT DATABASE()")
            for name in names:
                key = f"sessionkit:{_lock_key(database, tenant, name) & (2**64 - 1):016x}"
                started = time.monotonic()
                got = db.execute(
                    text("SELECT GET_LOCK(:key, :seconds)"),
                    {"key": key, "seconds": self._get_lock_seconds},
                ).scalar()
                if got == 0:
                    raise self._timed_out(tenant, [name], None)
                if got != 1:
                    raise self._lock_refused(db, tenant, name, time.monotonic() - started)

    def _lock_refused(self, db: Db, tenant: str, name: str, waited: float) -> StorageError:
        """The error for a ``GET_LOCK`` that returned NULL after ``waited`` seconds.

        MariaDB's ``max_statement_time`` ends the wait that way, with no error
        or warning (as does ``KILL QUERY``): a wait that lasted the statement's
        limit is a :class:`StorageTimeout`, as the limit's own error is elsewhere.
        """
        limit = 0.0
        if getattr(db.connection().dialect, "is_mariadb", False):
            limit = float(db.execute(text("SELECT @@max_statement_time")).scalar() or 0)
        if limit > 0 and waited >= limit * 0.9:
            return StorageTimeout.waiting(
                f"{_lock_names(tenant, [name])} (another unit of work is writing them)",
                backend=self.name,
                timeout=timedelta(seconds=limit),
                setting="max_statement_time",
            )
        return StorageError(
            f"mysql could not take {_lock_names(tenant, [name])} (GET_LOCK returned NULL: "
            "the statement or the connection was killed, or the server ran out of memory)",
            backend=self.name,
        )

    def _timed_out(self, tenant: str, names: list[str], code: str | None) -> StorageTimeout:
        return StorageTimeout.waiting(
            f"{_lock_names(tenant, names)} (another unit of work is writing them)",
            backend=self.name,
            timeout=self.lock_timeout,
            code=code,
        )

    @contextmanager
    def planned_per_call(self, connection: Connection) -> Iterator[None]:
        """Have the statements run in the block planned for their parameters every time.

        psycopg 3 prepares a statement it has run five times on a connection,
        and PostgreSQL then settles on a *generic* plan, made without the
        parameters' values. For a read whose best plan depends on them (how
        much of the tenant a time window covers), that plan can cost more
        than planning anew; the block turns psycopg's preparing off on the
        unit's connection. Elsewhere (another driver, another database) it
        changes nothing.
        """
        driver: Any = connection.connection.driver_connection
        if self.name != "postgresql" or not hasattr(driver, "prepare_threshold"):
            yield
            return
        threshold = driver.prepare_threshold
        driver.prepare_threshold = None
        try:
            yield
        finally:
            driver.prepare_threshold = threshold

    def title_matches(self, folded: ColumnElement[str | None], needle: str) -> ColumnElement[bool]:
        """Return a case-insensitive, literal "title contains ``needle``" condition.

        ``folded`` is the casefolded title column (``title_folded``, written in
        Python), so the needle is folded in Python too and the databases only
        compare: the same rule as the memory store's, ``needle.casefold() in
        title.casefold()``, on every backend. The column's exact collation keeps
        MySQL from folding accents; SQLite's ``LIKE`` ignores ASCII case, which
        changes nothing here, since casefolded text holds no ASCII capitals.
        """
        return folded.like(contains_pattern(needle.casefold()), escape="\\")


def backend_for(engine: Engine, lock_timeout: timedelta | None = None) -> Backend:
    """Return the backend for ``engine``, installing the hooks its database needs."""
    backend = Backend(engine, lock_timeout)
    install_fault_hook(engine)
    if backend.name == "sqlite":
        install_sqlite_hooks(engine)
    elif backend.name == "mysql":
        install_mysql_hooks(engine)
    return backend
