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
from sqlalchemy.engine import Connection, Engine

from sessionkit.adapters.sqlalchemy.schema import check_character_set

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
    is refused first (``InvalidValue``; see :func:`~.schema.check_character_set`).
    """
    if isinstance(bind, Connection):
        check_character_set(bind)
    else:
        with bind.connect() as connection:
            check_character_set(connection)
    command.upgrade(alembic_config(bind), revision)
