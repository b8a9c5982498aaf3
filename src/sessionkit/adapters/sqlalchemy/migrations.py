"""Alembic migrations shipped with the package: :func:`upgrade` brings a database up to date.

The scripts live in the package's ``alembic/`` directory and record their
revision in their own version table, ``sessionkit_alembic_version``, so they
never collide with a host application's ``alembic_version``. A host that keeps
one migration history instead adds :data:`~sessionkit.adapters.sqlalchemy.metadata`
to its own ``target_metadata`` (see ``docs/sqlalchemy.md``); :func:`render_item`
and :func:`include_object` are the two hooks its ``env.py`` passes to
``context.configure`` for either arrangement.

Migrations of one schema (PostgreSQL) or database (MySQL/MariaDB, SQLite) run
one at a time: apps call :func:`upgrade` at startup in every worker, and two
runs at once would each create the same tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.environment import NameFilterType
from alembic.script import ScriptDirectory
from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import Connection, Engine, Inspector
from sqlalchemy.schema import SchemaItem

from sessionkit.adapters.sqlalchemy._types import (
    Amount,
    ExactText,
    JSONValue,
    LocalDateTime,
    UTCDateTime,
)
from sessionkit.adapters.sqlalchemy.rows import metadata, sessions_table
from sessionkit.adapters.sqlalchemy.schema import (
    VERSION_TABLE,
    check_bind,
    check_character_set,
    check_database_chosen,
    database_faults,
    migration_lock,
    own_connection,
    refuse_autocommit,
    target_schema,
)
from sessionkit.errors import InvalidValue

__all__ = [
    "SCRIPT_LOCATION",
    "VERSION_TABLE",
    "alembic_config",
    "include_object",
    "migration_lock",
    "render_item",
    "upgrade",
]

SCRIPT_LOCATION = Path(__file__).with_name("alembic")
"""The directory holding ``env.py`` and ``versions/``."""


def alembic_config(bind: Engine | Connection) -> Config:
    """Return an Alembic :class:`~alembic.config.Config` for sessionkit's scripts over ``bind``.

    Use it with :mod:`alembic.command` for anything beyond :func:`upgrade`
    (``command.current``, ``command.downgrade``, ``command.history``). Commands
    that run the scripts wait for any other run on the same schema, as
    :func:`upgrade` does.
    """
    check_bind(bind)
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = bind
    return config


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Migrate sessionkit's tables in ``bind``'s database to ``revision`` (default: the latest).

    The tables are those of the connection's own schema
    (:func:`~.schema.target_schema`): on PostgreSQL, a schema later on the
    search path that has them already does not count. One run at a time per
    schema (database), under :func:`migration_lock`: apps call this at startup
    in every worker, and a second process waits for the first, then finds the
    revision it reached and does only what is left. On an engine or an idle
    connection the whole run is one transaction of its own, committed at the
    end (on MySQL/MariaDB each DDL statement commits itself anyway); in a
    transaction the caller began, it runs inside that one. On PostgreSQL an
    engine in ``AUTOCOMMIT`` gets a connection that runs transactions, and a
    connection in ``AUTOCOMMIT`` is refused (``InvalidValue``) before anything
    is written.

    On MySQL/MariaDB a database whose default character set is not ``utf8mb4``
    is refused first (``InvalidValue``; see :func:`~.schema.check_character_set`),
    and so is one whose tables :func:`~.schema.create_schema` made, with no
    migration recorded (``InvalidValue``: stamp their revision first), and one
    whose tables a newer sessionkit migrated, at a revision this one does not
    ship (``InvalidValue``, naming it). A refused or lost connection raises
    ``StorageUnavailable``, as :func:`~.schema.create_schema` does.
    """
    check_bind(bind)
    with database_faults(bind):
        if isinstance(bind, Connection):
            refuse_autocommit(bind)
            _upgrade(bind, revision)
            return
        with own_connection(bind) as connection:
            _upgrade(connection, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    # The check runs under the lock too: on MySQL another run's tables exist before the
    # revision that made them is recorded, which the check would take for create_schema's.
    with migration_lock(connection):
        begun = connection.in_transaction()
        _check_before(connection)
        if not begun and connection.in_transaction():
            # The check's reads began a transaction: end it, so that Alembic runs the
            # migrations in one of its own and commits them, as on an idle connection.
            connection.rollback()
        command.upgrade(alembic_config(connection), revision)


def _recorded(connection: Connection, found: Inspector, schema: str | None) -> list[str]:
    """The sessionkit revisions recorded (the version table's rows; none without the table)."""
    if not found.has_table(VERSION_TABLE, schema=schema):
        return []
    versions = table(VERSION_TABLE, column("version_num"), schema=schema)
    return [str(v) for v in connection.execute(select(versions.c.version_num)).scalars()]


def _refuse_unknown(recorded: list[str]) -> None:
    """Refuse revisions this sessionkit does not ship: a newer sessionkit migrated the tables.

    Alembic would stop with its own ``CommandError`` ("Can't locate revision"),
    naming neither sessionkit nor the way out; a deploy rolled back to an older
    release meets it at startup.
    """
    script = ScriptDirectory(str(SCRIPT_LOCATION))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = [revision for revision in recorded if revision not in known]
    if not unknown:
        return
    head = script.get_current_head()
    raise InvalidValue(
        f"sessionkit's tables are at revision {', '.join(map(repr, unknown))} "
        f"({VERSION_TABLE}), which this sessionkit does not know (its latest is {head!r}): "
        "a newer sessionkit migrated them. Run that newer version, or first downgrade them "
        f"with it: alembic.command.downgrade(alembic_config(engine), {head!r})",
        value=unknown[0],
        expected=f"a revision of this sessionkit, at most {head!r}",
    )


def _check_before(connection: Connection) -> None:
    """Refuse what the migrations cannot start from: the character set, unrecorded tables.

    Tables made by :func:`~.schema.create_schema` have no version recorded, so
    the first migration would create them again and fail on the database's
    own "already exists". A revision a newer sessionkit recorded is refused too.
    """
    check_database_chosen(connection)
    check_character_set(connection)
    found = inspect(connection)
    schema = target_schema(connection)  # where the migrations write, not what the path shows
    recorded = _recorded(connection, found, schema)
    _refuse_unknown(recorded)
    if not recorded and found.has_table(sessions_table.name, schema=schema):
        raise InvalidValue(
            f"the database holds sessionkit's tables ({sessions_table.name}) but no record of "
            f"a migration ({VERSION_TABLE}): create_schema made them. Record the revision "
            "they are at first, e.g. alembic.command.stamp(alembic_config(engine), 'head') "
            "when this sessionkit version made them, then upgrade",
            value=sessions_table.name,
            expected=f"no sessionkit tables, or tables with {VERSION_TABLE}",
        )


# ------------------------------------------------------------ a host's own Alembic environment

_TYPES = "sessionkit_schema"
_TYPES_IMPORT = f"from sessionkit.adapters.sqlalchemy import schema as {_TYPES}"


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Alembic's ``render_item`` hook: write sessionkit's column types so the script runs.

    Left to itself, autogenerate writes them as
    ``sessionkit.adapters.sqlalchemy._types._ExactString(length=128)``, a
    private path and with no import (``NameError`` on upgrade), and the JSON
    column's PostgreSQL variant as ``JSONB(astext_type=Text())``, with
    ``Text`` undefined too. This writes the public names of
    :mod:`~sessionkit.adapters.sqlalchemy.schema` (``sessionkit_schema.key_type(128)``,
    ``sessionkit_schema.UTCDateTime()``, ``sessionkit_schema.JSONValue``)
    and adds their import to the script. The types choose their column type
    per database when the script runs, as sessionkit's own migrations do:
    the exact collation differs between MySQL and MariaDB. Everything else
    is left to Alembic (``False``). Pass it as ``context.configure(...,
    render_item=render_item)``; a host with a hook of its own calls this one
    first.
    """
    if type_ != "type":
        return False
    rendered = _rendered_type(obj)
    if rendered is None:
        return False
    autogen_context.imports.add(_TYPES_IMPORT)
    return f"{_TYPES}.{rendered}"


def _rendered_type(type_: object) -> str | None:
    """Return sessionkit's public spelling of ``type_``, or ``None`` for any other type.

    Exact classes only: a host's subclass of one of them is the host's type.
    """
    if type_ is JSONValue:
        return "JSONValue"
    if type(type_) is type(ExactText):  # key_type(n) too: one class
        length: int | None = getattr(type_, "length", None)
        return "ExactText" if length is None else f"key_type({length})"
    for kind in (UTCDateTime, LocalDateTime, Amount):
        if type(type_) is kind:
            return f"{kind.__name__}()"
    return None


def include_object(
    _object: SchemaItem,
    name: str | None,
    type_: NameFilterType,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    """Alembic's ``include_object`` hook: leave sessionkit's tables to sessionkit.

    Autogenerate proposes dropping every table in the database that the
    ``target_metadata`` lacks. This keeps it from dropping
    ``sessionkit_alembic_version`` ever (it is :func:`upgrade`'s record,
    never in any metadata), and sessionkit's tables when the host's
    ``target_metadata`` does not hold them, because :func:`upgrade` manages
    them. A host whose ``target_metadata`` includes
    :data:`~sessionkit.adapters.sqlalchemy.metadata` keeps them in its own
    history: there they are compared as its own tables are. Pass it as
    ``context.configure(..., include_object=include_object)``.
    """
    if type_ != "table" or not reflected or compare_to is not None:
        return True
    return name != VERSION_TABLE and name not in metadata.tables


_OWN_PREFIX = "sessionkit_"


def _own_tables_only(
    _object: SchemaItem,
    name: str | None,
    type_: NameFilterType,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    """The ``include_object`` hook of sessionkit's own ``env.py``: compare sessionkit's tables only.

    ``alembic.command.check(alembic_config(engine))`` and autogenerate over
    sessionkit's scripts compare the database with
    :data:`~sessionkit.adapters.sqlalchemy.metadata`. Left to themselves they
    propose dropping every other table: ``sessionkit_alembic_version`` on
    PostgreSQL (Alembic leaves the version table out only when the compared
    schema, ``None``, is the ``version_table_schema``, which there is the
    connection's schema by name) and, on every database, an application's
    own tables beside sessionkit's. A table that only the database has is
    compared when its name is sessionkit's (a table a release dropped) and
    it is not the version table.
    """
    if type_ != "table" or not reflected or compare_to is not None:
        return True
    return name is not None and name.startswith(_OWN_PREFIX) and name != VERSION_TABLE
