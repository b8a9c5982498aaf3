"""Creating sessionkit's tables: :func:`create_schema` (and :func:`drop_schema` for tests).

On PostgreSQL, :func:`create_schema` also installs ``btree_gist`` and adds the
exclusion constraint that makes overlapping busy rows for one resource
impossible. When the extension cannot be created (no privilege, a managed
database without it), it warns with :class:`SchemaWarning` and the store falls
back to advisory locks.
"""

from __future__ import annotations

import warnings

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters.sqlalchemy._backend import SchemaWarning
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
]

EXCLUSION_DDL = (
    f"ALTER TABLE {SessionResourceRow.__tablename__} ADD CONSTRAINT {EXCLUSION_CONSTRAINT} "
    "EXCLUDE USING gist (tenant WITH =, resource WITH =, "
    "tstzrange(start_at, end_at, '[)') WITH &&) WHERE (busy)"
)
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
    exists = connection.execute(
        text(
            "SELECT 1 FROM pg_constraint WHERE conname = :name AND conrelid = to_regclass(:table)"
        ),
        {"name": EXCLUSION_CONSTRAINT, "table": SessionResourceRow.__tablename__},
    ).first()
    if exists is None:
        connection.execute(text(EXCLUSION_DDL))
    return True


def create_schema(engine: Engine | Connection) -> None:
    """Create every sessionkit table that does not exist yet (and, on PostgreSQL, the guard).

    For a managed schema prefer :func:`~sessionkit.adapters.sqlalchemy.upgrade`
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
    metadata.create_all(connection)
    if connection.dialect.name == "postgresql":
        install_exclusion_constraint(connection)


def drop_schema(engine: Engine | Connection) -> None:
    """Drop every sessionkit table (their data too): for tests and teardown."""
    if isinstance(engine, Connection):
        metadata.drop_all(engine)
        return
    with engine.begin() as connection:
        metadata.drop_all(connection)
