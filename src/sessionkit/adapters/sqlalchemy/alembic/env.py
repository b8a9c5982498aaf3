"""Alembic environment for sessionkit's own migrations (run through ``migrations.upgrade``).

The engine or connection arrives in ``config.attributes["connection"]``;
revisions are recorded in ``sessionkit_alembic_version``. Importing this module
outside Alembic (pytest's doctest collection does) does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, Engine

from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE
from sessionkit.adapters.sqlalchemy.rows import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Run the migrations on the connection (or engine) the caller handed over."""
    bind = context.config.attributes.get("connection")
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            _run(connection)
            connection.commit()
    elif isinstance(bind, Connection):
        _run(bind)
    else:
        raise RuntimeError(
            "run sessionkit's migrations through sessionkit.adapters.sqlalchemy.upgrade(engine)"
        )


if hasattr(context, "config"):  # only inside Alembic; a plain import must not fail
    run_migrations()
