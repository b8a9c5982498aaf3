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

This module makes and drops the tables (and PostgreSQL's exclusion constraint).
What it exports besides is kept in private modules beside it: where the tables
are (``_schema_target``), the checks of the bind and the reading of the
database's errors (``_schema_checks``), and the migration lock (``_schema_lock``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from sqlalchemy import MetaData, Table, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters.sqlalchemy._backend import SchemaWarning

# Not in __all__, but imported from here by .migrations, Alembic's env.py and the tests.
from sessionkit.adapters.sqlalchemy._schema_checks import check_bind as check_bind
from sessionkit.adapters.sqlalchemy._schema_checks import (
    check_character_set,
    check_database_chosen,
)
from sessionkit.adapters.sqlalchemy._schema_checks import database_faults as database_faults
from sessionkit.adapters.sqlalchemy._schema_checks import own_connection as own_connection
from sessionkit.adapters.sqlalchemy._schema_checks import refuse_autocommit as refuse_autocommit
from sessionkit.adapters.sqlalchemy._schema_lock import _migration_lock, migration_lock
from sessionkit.adapters.sqlalchemy._schema_lock import _mysql_lock_key as _mysql_lock_key
from sessionkit.adapters.sqlalchemy._schema_target import _in_target_schema, target_schema
from sessionkit.adapters.sqlalchemy._schema_target import (
    target_first_on_path as target_first_on_path,
)
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


# Show what moved to the private modules under this public path, as before.
_moved: object
for _moved in (
    check_bind, check_character_set, check_database_chosen, database_faults, migration_lock,
    own_connection, refuse_autocommit, target_first_on_path, target_schema,
):  # fmt: skip
    _moved.__module__ = __name__
del _moved
