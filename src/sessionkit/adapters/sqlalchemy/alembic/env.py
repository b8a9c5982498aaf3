"""Alembic environment for sessionkit's own migrations (run through ``migrations.upgrade``).

The engine or connection arrives in ``config.attributes["connection"]``;
revisions are recorded in ``sessionkit_alembic_version``, in the connection's
own schema (``schema.target_schema``): found through PostgreSQL's search path,
another schema's version table at head would make the run do nothing.
``alembic.command.check`` compares sessionkit's tables only
(``migrations._own_tables_only``): not the version table, nor the application's. Every
run holds ``migrations.migration_lock``, so two processes never migrate one
schema at once. Importing this module outside Alembic (pytest's doctest
collection does) does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, Engine

from sessionkit.adapters.sqlalchemy.migrations import (
    VERSION_TABLE,
    _own_tables_only,
    migration_lock,
)
from sessionkit.adapters.sqlalchemy.rows import metadata
from sessionkit.adapters.sqlalchemy.schema import (
    check_database_chosen,
    own_connection,
    refuse_autocommit,
    target_first_on_path,
    target_schema,
)


def _run(connection: Connection) -> None:
    # MySQL/MariaDB with no current database: Alembic's look for its version table
    # fails with a bare AssertionError.
    check_database_chosen(connection)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        version_table_schema=target_schema(connection),
        compare_type=True,
        include_object=_own_tables_only,
    )
    with context.begin_transaction(), target_first_on_path(connection):
        context.run_migrations()


def run_migrations() -> None:
    """Run the migrations on the connection (or engine) the caller handed over."""
    bind = context.config.attributes.get("connection")
    if isinstance(bind, Engine):  # in AUTOCOMMIT too: the run is one transaction
        with own_connection(bind) as connection, migration_lock(connection):
            _run(connection)
    elif isinstance(bind, Connection):
        refuse_autocommit(bind)  # each statement would commit alone: refused before any
        with migration_lock(bind):
            _run(bind)
    else:
        raise RuntimeError(
            "run sessionkit's migrations through sessionkit.adapters.sqlalchemy.upgrade(engine)"
        )


if hasattr(context, "config"):  # only inside Alembic; a plain import must not fail
    run_migrations()
