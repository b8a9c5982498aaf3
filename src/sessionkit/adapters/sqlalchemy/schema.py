"""Creating sessionkit's tables: :func:`create_schema` (and :func:`drop_schema` for tests).

On PostgreSQL, :func:`create_schema` also installs ``btree_gist`` and adds the
exclusion constraint that makes overlapping busy rows for one resource
impossible. When the extension cannot be created (no privilege, a managed
database without it), it warns with :class:`SchemaWarning` and the store falls
back to advisory locks.

Both work in the connection's own schema (:func:`target_schema`), never in one
the PostgreSQL search path merely shows. The module also names the column
types of sessionkit's tables (:func:`key_type`, :data:`ExactText`,
:class:`UTCDateTime`, :class:`LocalDateTime`, :class:`Amount`,
:data:`JSONValue`) for a host's own migrations: the scripts Alembic
autogenerates with :func:`~.migrations.render_item` import them from here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters.sqlalchemy._backend import SchemaWarning
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
from sessionkit.errors import InvalidValue

__all__ = [
    "EXCLUSION_DDL",
    "check_character_set",
    "create_schema",
    "drop_schema",
    "install_exclusion_constraint",
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
    """
    if isinstance(engine, Connection):
        _create(engine)
        return
    with engine.begin() as connection:
        _create(connection)


def check_character_set(connection: Connection) -> None:
    """MySQL/MariaDB: refuse a database whose default character set is not ``utf8mb4``.

    Text columns take the database's default, and in ``latin1`` a title such as
    ``"ΣΊΣΥΦΟΣ"`` would be refused by the database row by row; refusing the
    database once, before a table is made, names the cause. Other databases pass.
    """
    if connection.dialect.name != "mysql":
        return
    charset = connection.execute(text("SELECT @@character_set_database")).scalar()
    if not isinstance(charset, str) or not charset.startswith("utf8mb4"):
        raise InvalidValue(
            f"the database's default character set is {charset!r}; sessionkit stores text "
            "in utf8mb4, so create the database with CHARACTER SET utf8mb4 (or ALTER DATABASE "
            "... CHARACTER SET utf8mb4) before creating its tables",
            value=charset,
            expected="utf8mb4",
        )


def _create(connection: Connection) -> None:
    check_character_set(connection)
    with _in_target_schema(connection):
        metadata.create_all(connection)
        if connection.dialect.name == "postgresql":
            install_exclusion_constraint(connection)


def _drop(connection: Connection) -> None:
    with _in_target_schema(connection):
        metadata.drop_all(connection)


def drop_schema(engine: Engine | Connection) -> None:
    """Drop every sessionkit table (their data too): for tests and teardown.

    Only the connection's own schema's (:func:`target_schema`): on PostgreSQL,
    never the tables of another schema the search path shows.
    """
    if isinstance(engine, Connection):
        _drop(engine)
        return
    with engine.begin() as connection:
        _drop(connection)
