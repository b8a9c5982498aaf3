"""Where sessionkit's tables are: the connection's own schema, never one the search path shows.

:func:`target_schema` names the schema (database) of a connection's tables,
:func:`target_first_on_path` makes unqualified SQL in a block name a translate
map's schema, and ``_in_target_schema`` makes ``create_all`` and ``drop_all``
look for the tables there. Private to :mod:`.schema`, which exports the public
names; kept apart from it so that the migration lock (:mod:`._schema_lock`),
keyed by this schema, reads it without importing the module that takes the lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

from sessionkit.adapters.sqlalchemy._backend import mapped_schema


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
