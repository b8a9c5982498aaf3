"""Alembic migrations shipped with the package: :func:`upgrade` brings a database up to date.

The scripts live in the package's ``alembic/`` directory and record their
revision in their own version table, ``sessionkit_alembic_version``, so they
never collide with a host application's ``alembic_version``. A host that keeps
one migration history instead adds :data:`~sessionkit.adapters.sqlalchemy.metadata`
to its own ``target_metadata`` (see ``docs/sqlalchemy.md``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import Connection, Engine, Inspector

from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.adapters.sqlalchemy.schema import check_character_set
from sessionkit.errors import InvalidValue

__all__ = ["SCRIPT_LOCATION", "VERSION_TABLE", "alembic_config", "upgrade"]

SCRIPT_LOCATION = Path(__file__).with_name("alembic")
"""The directory holding ``env.py`` and ``versions/``."""
VERSION_TABLE = "sessionkit_alembic_version"
"""Where Alembic records which sessionkit revision a database is at."""


def alembic_config(bind: Engine | Connection) -> Config:
    """Return an Alembic :class:`~alembic.config.Config` for sessionkit's scripts over ``bind``.

    Use it with :mod:`alembic.command` for anything beyond :func:`upgrade`
    (``command.current``, ``command.downgrade``, ``command.history``).
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = bind
    return config


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Migrate sessionkit's tables in ``bind``'s database to ``revision`` (default: the latest).

    On MySQL/MariaDB a database whose default character set is not ``utf8mb4``
    is refused first (``InvalidValue``; see :func:`~.schema.check_character_set`),
    and so is one whose tables :func:`~.schema.create_schema` made, with no
    migration recorded (``InvalidValue``: stamp their revision first).
    """
    if isinstance(bind, Connection):
        begun = bind.in_transaction()
        _check_before(bind)
        if not begun and bind.in_transaction():
            # The checks' reads began a transaction: end it, so that Alembic runs the
            # migrations in one of its own and commits them, as on an idle connection.
            bind.rollback()
    else:
        with bind.connect() as connection:
            _check_before(connection)
    command.upgrade(alembic_config(bind), revision)


def _recorded(connection: Connection, found: Inspector, schema: str | None) -> bool:
    """Whether a sessionkit revision is recorded (a version table with a row)."""
    if not found.has_table(VERSION_TABLE, schema=schema):
        return False
    versions = table(VERSION_TABLE, column("version_num"), schema=schema)
    return connection.execute(select(versions.c.version_num).limit(1)).first() is not None


def _check_before(connection: Connection) -> None:
    """Refuse what the migrations cannot start from: the character set, unrecorded tables.

    Tables made by :func:`~.schema.create_schema` have no version recorded, so
    the first migration would create them again and fail on the database's
    own "already exists".
    """
    check_character_set(connection)
    found = inspect(connection)
    schema = found.default_schema_name  # where the migrations write (PostgreSQL: the first
    # schema of the search path), not any schema the path shows
    tables = found.has_table(sessions_table.name, schema=schema)
    if tables and not _recorded(connection, found, schema):
        raise InvalidValue(
            f"the database holds sessionkit's tables ({sessions_table.name}) but no record of "
            f"a migration ({VERSION_TABLE}): create_schema made them. Record the revision "
            "they are at first, e.g. alembic.command.stamp(alembic_config(engine), 'head') "
            "when this sessionkit version made them, then upgrade",
            value=sessions_table.name,
            expected=f"no sessionkit tables, or tables with {VERSION_TABLE}",
        )
