"""What a schema run checks of the bind it is given, and how it reads the database's errors.

The connection a run takes of an engine (:func:`own_connection`), the refusals
made before anything is written (:func:`check_bind`, :func:`refuse_autocommit`,
MySQL/MariaDB's :func:`check_database_chosen` and :func:`check_character_set`),
and :func:`database_faults`, which raises a refused or lost connection or a lock
wait past its bound as sessionkit's errors. Private to :mod:`.schema`, which
exports them: they serve every run (:func:`~.schema.create_schema`,
:func:`~.schema.drop_schema`, :mod:`.migrations`, Alembic's ``env.py``), not
only the making and dropping of tables that module keeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters.sqlalchemy._backend import mapped_schema
from sessionkit.adapters.sqlalchemy._faults import translate
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown


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
