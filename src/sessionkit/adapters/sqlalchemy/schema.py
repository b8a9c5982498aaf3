"""Creating sessionkit's tables: :func:`create_schema` (and :func:`drop_schema` for tests).

On PostgreSQL, :func:`create_schema` also installs ``btree_gist`` and adds the
exclusion constraint that makes overlapping busy rows for one resource
impossible. When the extension cannot be created (no privilege, a managed
database without it), it warns with :class:`SchemaWarning` and the store falls
back to advisory locks.

Both work in the connection's own schema (:func:`target_schema`), never in one
the PostgreSQL search path merely shows, and one run at a time per schema
(:func:`migration_lock`, which the migrations take too). The module also names the column
types of sessionkit's tables (:func:`key_type`, :data:`ExactText`,
:class:`UTCDateTime`, :class:`LocalDateTime`, :class:`Amount`,
:data:`JSONValue`) for a host's own migrations: the scripts Alembic
autogenerates with :func:`~.migrations.render_item` import them from here.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import MetaData, Table, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import TextClause

from sessionkit.adapters.sqlalchemy._backend import SchemaWarning, mapped_schema
from sessionkit.adapters.sqlalchemy._faults import translate
from sessionkit.adapters.sqlalchemy._types import (
    Amount,
    ExactText,
    JSONValue,
    LocalDateTime,
    UTCDateTime,
    key_type,
)
from sessionkit.adapters.sqlalchemy.rows import (
    EXCLUSION_CONSTRAINT,
    SessionResourceRow,
    metadata,
)
from sessionkit.errors import InvalidValue, StorageError, WrongType
from sessionkit.errors._base import shown

__all__ = [
    "EXCLUSION_DDL",
    "check_character_set",
    "check_database_chosen",
    "create_schema",
    "drop_schema",
    "install_exclusion_constraint",
    "migration_lock",
    "target_schema",
    # The column types, for a host's own migrations (see migrations.render_item).
    "Amount",
    "ExactText",
    "JSONValue",
    "LocalDateTime",
    "UTCDateTime",
    "key_type",
]


def _exclusion_ddl(table: str) -> str:
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {EXCLUSION_CONSTRAINT} "
        "EXCLUDE USING gist (tenant WITH =, resource WITH =, "
        "tstzrange(start_at, end_at, '[)') WITH &&) WHERE (busy)"
    )


EXCLUSION_DDL = _exclusion_ddl(SessionResourceRow.__tablename__)
"""PostgreSQL: no two busy rows of one tenant's resource may overlap (half-open ranges)."""


def target_schema(connection: Connection) -> str | None:
    """Return the schema sessionkit's tables are in on ``connection`` (``None``: no choice).

    PostgreSQL: the schema a ``schema_translate_map`` on the connection names,
    else ``current_schema()``: the first schema of the search path that
    exists, where an unqualified ``CREATE TABLE`` goes. Asked on the
    connection, since the dialect's ``default_schema_name`` is read once, on
    the engine's first connection. Tables are looked for in it by name: with
    ``search_path = tenant_b, tenant_a`` the path shows tenant A's tables on
    tenant B's connections, and taking them for B's made nothing and sent B's
    writes to A. MySQL/MariaDB and SQLite have no search path: ``None``
    (the current database, SQLite's ``main``) unless a translate map names
    one. A connection that was idle is left idle.
    """
    translated = connection.get_execution_options().get("schema_translate_map") or {}
    if None in translated:
        mapped: str | None = translated[None]
        return mapped
    if connection.dialect.name != "postgresql":
        return None
    idle = not connection.in_transaction()
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    if idle:
        connection.rollback()  # only the read began it: hand the connection back as it came
    return None if schema is None else str(schema)


@contextmanager
def target_first_on_path(connection: Connection) -> Iterator[None]:
    """Have unqualified SQL in the block name a translate map's schema (database).

    SQL the block sends unqualified (a migration's ``ALTER TABLE``, a lookup
    by ``to_regclass``) names tables through the search path, which a
    ``schema_translate_map`` does not change: it would alter or find another
    schema's tables. PostgreSQL: the map's schema is put first on the path
    for the transaction, and the path put back after. MySQL/MariaDB: the map's
    database is made the current one (``USE``), and the connection's own
    made current again after; an ``upgrade`` there otherwise failed at its
    first ``ALTER TABLE`` ("doesn't exist", in the URL's database) with the
    earlier revisions' tables made already. Nothing is done without such a
    map, on SQLite, or when the map names the schema in use anyway.
    """
    schema = mapped_schema(connection)
    if schema is not None and connection.dialect.name in ("mysql", "mariadb"):
        with _mapped_database_current(connection, schema):
            yield
        return
    if connection.dialect.name != "postgresql" or schema is None:
        yield
        return
    path, first = connection.execute(
        text("SELECT current_setting('search_path'), current_schema()")
    ).one()
    if first == schema:
        yield
        return
    connection.execute(
        text(
            "SELECT set_config('search_path', format('%I', CAST(:schema AS text)) || ', ' "
            "|| CAST(:path AS text), true)"
        ),
        {"schema": schema, "path": path},
    )
    try:
        yield
    finally:
        if connection.in_transaction() and connection.get_transaction().is_active:  # type: ignore[union-attr]
            connection.execute(
                text("SELECT set_config('search_path', CAST(:path AS text), true)"), {"path": path}
            )


@contextmanager
def _mapped_database_current(connection: Connection, database: str) -> Iterator[None]:
    """MySQL/MariaDB: make ``database`` the connection's current one in the block.

    A connection that had none (a URL naming no database) cannot be given
    "none" back: it keeps ``database`` until closed, and is then closed rather
    than returned to the pool, whose connections stay as the URL makes them.
    """
    current = connection.exec_driver_sql("SELECT DATABASE()").scalar()
    if current == database:
        yield
        return
    quote = connection.dialect.identifier_preparer.quote_identifier
    if current is None:
        connection.detach()
    connection.exec_driver_sql(f"USE {quote(database)}")
    try:
        yield
    finally:
        if current is not None and not connection.closed and not connection.invalidated:
            connection.exec_driver_sql(f"USE {quote(str(current))}")


@contextmanager
def _in_target_schema(connection: Connection) -> Iterator[None]:
    """Have DDL and SQLAlchemy's existence checks in the block name :func:`target_schema`.

    ``create_all`` and ``drop_all`` look for each table with ``schema=None``
    otherwise, which PostgreSQL answers through the search path: a table of
    an earlier schema on the path counts as there, so nothing is created
    (or another schema's table is dropped). The connection's own execution
    options are restored afterwards.
    """
    schema = target_schema(connection)
    options = connection.get_execution_options()
    if schema is None or None in (options.get("schema_translate_map") or {}):
        with target_first_on_path(connection):
            yield
        return
    connection.execution_options(schema_translate_map={None: schema})
    try:
        yield
    finally:
        connection.execution_options(schema_translate_map=options.get("schema_translate_map"))


def install_exclusion_constraint(connection: Connection) -> bool:
    """Install ``btree_gist`` and the exclusion constraint; return whether it is in place.

    PostgreSQL only. Warns with :class:`SchemaWarning` and returns ``False`` if
    the extension cannot be created; the store then guards writes with
    advisory locks instead.
    """
    savepoint = connection.begin_nested()
    try:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    except DBAPIError as error:
        savepoint.rollback()
        warnings.warn(
            f"could not create the btree_gist extension ({error.orig}); sessionkit cannot add "
            f"the exclusion constraint {EXCLUSION_CONSTRAINT!r} and falls back to advisory "
            "locks, which guard sessionkit's own writers but not SQL written around it. "
            "Ask a superuser to run: CREATE EXTENSION btree_gist; then run create_schema again",
            SchemaWarning,
            stacklevel=3,
        )
        return False
    savepoint.commit()
    # The table in the connection's own schema, by name: not the search path's first match.
    preparer = connection.dialect.identifier_preparer
    schema = target_schema(connection)
    table = preparer.quote(SessionResourceRow.__tablename__)
    if schema is not None:
        table = f"{preparer.quote_schema(schema)}.{table}"
    exists = connection.execute(
        text(
            "SELECT 1 FROM pg_constraint WHERE conname = :name AND conrelid = to_regclass(:table)"
        ),
        {"name": EXCLUSION_CONSTRAINT, "table": table},
    ).first()
    if exists is None:
        connection.execute(text(_exclusion_ddl(table)))
    return True


def create_schema(engine: Engine | Connection) -> None:
    """Create every sessionkit table that does not exist yet (and, on PostgreSQL, the guard).

    In the connection's own schema (:func:`target_schema`): on PostgreSQL,
    the tables of a schema later on the search path do not count. For a
    managed schema prefer :func:`~sessionkit.adapters.sqlalchemy.upgrade`
    (Alembic) or add :data:`~sessionkit.adapters.sqlalchemy.metadata` to your
    own migrations; both produce the same tables.

    One run at a time per schema (database), under :func:`migration_lock`:
    workers that all call it at startup wait for one another, and those after
    the first find the tables made. On an engine the run is one transaction
    of its own (on PostgreSQL in ``READ COMMITTED``, so that a run after
    another sees its tables; MySQL/MariaDB commit each DDL statement anyway);
    on an idle connection it commits itself; in a transaction the caller
    began, it runs in that one. On SQLite the wait for the database's write
    lock (held by any writer, not only another run) is the connection's busy
    timeout, and a wait past it raises ``StorageTimeout``.
    """
    _run_locked(engine, _create)


@contextmanager
def own_connection(engine: Engine) -> Iterator[Connection]:
    """A connection of ``engine`` that runs transactions, whatever the engine's isolation.

    On PostgreSQL an engine made with ``isolation_level="AUTOCOMMIT"`` (an
    admin engine that creates databases, say) commits each statement alone:
    a migration would be half-written when one fails, and its savepoints are
    refused. Its connection here is ``READ COMMITTED`` (given back to the
    pool as it was).
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="READ COMMITTED")
        yield connection


def refuse_autocommit(connection: Connection) -> None:
    """Raise ``InvalidValue`` for a PostgreSQL connection that commits each statement alone.

    A migration on it would be half-written when a statement fails, and the
    savepoints some migrations take are refused; checked before anything is
    written. Pass the engine instead, or a connection not in ``AUTOCOMMIT``.
    """
    if connection.dialect.name != "postgresql":
        return
    if getattr(connection.connection.dbapi_connection, "autocommit", False):
        raise InvalidValue(
            "the connection is in AUTOCOMMIT: each statement of the migration would commit "
            "alone, and a failure would leave it half-written. Pass the engine (its "
            "connection is made to run one transaction), or a connection without "
            'isolation_level="AUTOCOMMIT"',
            value="AUTOCOMMIT",
            expected="a connection that runs transactions",
        )


def check_bind(bind: object) -> None:
    """Raise ``WrongType`` unless ``bind`` is an Engine or a Connection.

    A URL or an ORM session failed with a bare ``AttributeError`` (no ``connect``).
    """
    if not isinstance(bind, Engine | Connection):
        raise WrongType(
            bind,
            name="bind",
            expected="an Engine or a Connection (for an ORM Session, session.connection())",
        )


def _run_locked(bind: Engine | Connection, work: Callable[[Connection], None]) -> None:
    """Run ``work`` under the migration lock, bounded on SQLite (see :func:`create_schema`)."""
    check_bind(bind)
    with database_faults(bind):
        if isinstance(bind, Connection):
            refuse_autocommit(bind)
            with _migration_lock(bind, patient=False):
                work(bind)
            return
        with (
            own_connection(bind) as connection,
            connection.begin(),
            _migration_lock(connection, patient=False),
        ):
            work(connection)


@contextmanager
def database_faults(bind: Engine | Connection) -> Iterator[None]:
    """Raise the database's errors of the block as sessionkit's, where they have a meaning.

    A refused or lost connection is ``StorageUnavailable``, a lock wait past
    its bound ``StorageTimeout`` (as in a unit of work); other errors pass as
    SQLAlchemy raised them.
    """
    try:
        yield
    except DBAPIError as error:
        name = bind.dialect.name
        said = (
            None
            if error.orig is None
            else translate(
                error.orig,
                backend="mysql" if name in ("mysql", "mariadb") else name,
                disconnect=error.connection_invalidated,
            )
        )
        if said is None:
            raise
        raise said from error


def check_character_set(connection: Connection) -> None:
    """MySQL/MariaDB: refuse a database whose default character set is not ``utf8mb4``.

    Text columns take the database's default, and in ``latin1`` a title such as
    ``"ΣΊΣΥΦΟΣ"`` would be refused by the database row by row; refusing the
    database once, before a table is made, names the cause. The database is the
    one the tables go to: a ``schema_translate_map``'s, else the connection's
    own. Other databases pass.
    """
    if connection.dialect.name != "mysql":
        return
    mapped = mapped_schema(connection)
    if mapped is None:
        charset = connection.execute(text("SELECT @@character_set_database")).scalar()
    else:  # the URL's database was asked: a latin1 one mapped away passed, and tables went in
        charset = connection.execute(
            text(
                "SELECT default_character_set_name FROM information_schema.schemata "
                "WHERE schema_name = :name"
            ),
            {"name": mapped},
        ).scalar()
    if not isinstance(charset, str) or not charset.startswith("utf8mb4"):
        what = (
            "the database's default character set"
            if mapped is None
            else f"the default character set of database {shown(mapped)}"
        )
        raise InvalidValue(
            f"{what} is {shown(charset)}; sessionkit stores text "
            "in utf8mb4, so create the database with CHARACTER SET utf8mb4 (or ALTER DATABASE "
            "... CHARACTER SET utf8mb4) before creating its tables",
            value=charset,
            expected="utf8mb4",
        )


def check_database_chosen(connection: Connection) -> None:
    """MySQL/MariaDB: refuse a connection with no current database (a URL naming none).

    There is nowhere to make the tables (``mysql+pymysql://root@host/``), and
    SQLAlchemy's look for them fails with a bare ``AssertionError``; other
    databases always have a current schema. A ``schema_translate_map`` naming
    a database says where they go: such a connection passes.
    """
    if connection.dialect.name != "mysql" or mapped_schema(connection) is not None:
        return
    if connection.execute(text("SELECT DATABASE()")).scalar() is None:
        url = connection.engine.url.render_as_string(hide_password=True)
        raise InvalidValue(
            f"the connection ({url}) has no current database, so there is nowhere to keep "
            "sessionkit's tables: name one in the URL (mysql+pymysql://user@host/dbname)",
            value=url,
            expected="a URL naming a database",
        )


def _create(connection: Connection) -> None:
    check_database_chosen(connection)
    check_character_set(connection)
    with _in_target_schema(connection):
        metadata.create_all(connection)
        if connection.dialect.name == "postgresql":
            install_exclusion_constraint(connection)


VERSION_TABLE = "sessionkit_alembic_version"
"""Where Alembic records which sessionkit revision a database is at (:mod:`.migrations`)."""


def _drop(connection: Connection) -> None:
    with _in_target_schema(connection):
        metadata.drop_all(connection)
        # With its revision gone too: a later upgrade() builds the tables again.
        Table(VERSION_TABLE, MetaData()).drop(connection, checkfirst=True)


def drop_schema(engine: Engine | Connection) -> None:
    """Drop every sessionkit table (their data too) and its migrations' record: for teardown.

    Only the connection's own schema's (:func:`target_schema`): on PostgreSQL,
    never the tables of another schema the search path shows. Under
    :func:`migration_lock`, as :func:`create_schema`. ``sessionkit_alembic_version``
    goes too, so :func:`~.migrations.upgrade` afterwards starts from nothing.
    """
    _run_locked(engine, _drop)


# ------------------------------------------------- one run at a time per schema (database)

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
