"""What the demos and ``python -m sessionkit tick`` say of the database ``--db`` names.

A URL shown without its password and hints for a URL or a driver SQLAlchemy
cannot take (their text in ``_database_urls``, exported here), an engine
refusing arguments its driver would ignore, and the checks that name what
is wrong in one line before anything is written: a MySQL URL naming no
database, an async driver, a SQLite path that is a directory, a refused
connection (a missing database read from it), a missing PostgreSQL schema.
Private to the demos and the CLI, which are composition roots and may import
the adapters.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from sessionkit.demo._database_urls import _masked_to_last_at, driver_hint, shown_url, url_hint
from sessionkit.errors import InvalidValue

if TYPE_CHECKING:  # the sqlalchemy extra, imported when a URL is opened
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import DBAPIError

__all__ = [
    "Refusal",
    "arguments_refused",
    "check_database_named",
    "check_not_a_directory",
    "check_sync_driver",
    "connect_refusal",
    "driver_hint",
    "make_engine",
    "missing_schema",
    "shown_url",
    "url_hint",
]


_PYSQLITE_ARGUMENTS = frozenset(
    {"uri", "timeout", "isolation_level", "detect_types", "check_same_thread", "cached_statements"}
)
"""The query arguments SQLAlchemy's pysqlite gives ``sqlite3.connect``; with ``uri=true`` it
appends the others to the path, as a SQLite URI's query."""


def make_engine(db: str, shown: str) -> Engine:
    """``create_engine(db)``, refusing a URL whose arguments SQLAlchemy would ignore.

    Current SQLAlchemy only warns of them (``sqlite:///x.db?mode=ro`` without
    ``uri=true``: the file is opened for writing all the same), in two lines
    that name its own source line, and 2.0 to 2.1.0 say nothing; the command line says
    it in one and does nothing. With ``uri=true`` they go to SQLite, which reads a path as a URI
    only if it starts with ``file:``: ``sqlite:///x.db?uri=true&mode=ro``
    opened (made) a file named ``x.db?mode=ro``, so that is refused too, as
    is ``sqlite://?uri=true``, which hands ``sqlite3`` no name at all.
    ``create_engine``'s own errors pass as they are.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SAWarning
    from sqlalchemy.util import asbool

    try:
        url = make_url(db)
    except (ArgumentError, ValueError):
        url = None  # create_engine says why
    if url is not None and "@" in (url.host or ""):
        # SQLAlchemy ends the password at its first @ and reads the rest as the host's name,
        # which the driver's refusal would print: the rest of the password.
        raise InvalidValue(
            f"--db {shown!r}: its password holds an @, which a URL writes as %40",
            value=shown,
            expected="a URL whose password has each @ written as %40",
        )
    if url is not None and url.password is not None and "@" in (url.database or ""):
        # bob:p@ss/word@host/db: SQLAlchemy reads "p" as the password, "ss" as the host and
        # "word@host/db" as the database, which the mask and the driver would both print.
        raise InvalidValue(
            f"--db {_masked_to_last_at(db)!r}: its password or database name holds an @ or a "
            "/, which a URL writes as %40 and %2F",
            value=_masked_to_last_at(db),
            expected="a URL whose password and database name have each @ and / percent-encoded",
        )
    if (
        url is not None
        and url.get_backend_name() == "sqlite"
        and url.get_driver_name() == "pysqlite"
        and asbool(url.query.get("uri", False))
        and not (url.database or "").startswith("file:")
    ):
        named = sorted(set(url.query) - _PYSQLITE_ARGUMENTS)
        if named:
            raise InvalidValue(
                f"--db {shown!r}: with uri=true SQLite reads the path as a URI only if it "
                f"starts with file: ({', '.join(named)} would be part of the file's name); "
                "write it as, e.g., sqlite:///file:PATH?mode=ro&uri=true",
                value=shown,
                expected="a SQLite URI that starts with file:",
            )
        if url.database is None:  # sqlite://?uri=true: sqlite3 would be handed no name
            raise InvalidValue(
                f"--db {shown!r}: with uri=true name the database as a URI, e.g. "
                "sqlite:///file:PATH?uri=true (sqlite:///file::memory:?uri=true in memory)",
                value=shown,
                expected="a SQLite URI that starts with file:",
            )
    if (
        url is not None
        and url.get_backend_name() == "sqlite"
        and url.get_driver_name() == "pysqlite"
        and not asbool(url.query.get("uri", False))
    ):
        # SQLAlchemy 2.0 to 2.1.0 drop them without a word (later ones warn: refused below).
        ignored = sorted(set(url.query) - _PYSQLITE_ARGUMENTS)
        if ignored:
            raise InvalidValue(
                f"--db {shown!r}: Query string argument(s) "
                f"{', '.join(repr(k) for k in ignored)} are not accepted by the pysqlite driver"
                " and are being ignored; SQLite URI arguments require that 'uri=true' also be"
                " present in the URL; refused rather than ignored",
                value=shown,
                expected="a URL whose arguments its driver accepts",
            )
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        try:
            return create_engine(db)
        except SAWarning as exc:
            said = str(exc).split(" (Background on this warning", 1)[0].rstrip(". ")
            raise InvalidValue(
                f"--db {shown!r}: {said}; refused rather than ignored",
                value=shown,
                expected="a URL whose arguments its driver accepts",
            ) from None


def check_database_named(engine: Engine, shown: str) -> None:
    """Refuse a MySQL/MariaDB URL that names no database (``mysql+pymysql://root@host/``).

    Such a connection has no current database, so there is nowhere to keep the
    tables, and SQLAlchemy's own check of them fails with a bare ``AssertionError``.
    """
    if engine.dialect.name in ("mysql", "mariadb") and not engine.url.database:
        raise InvalidValue(
            f"--db {shown!r} names no database: add one to the URL, e.g. "
            f"{engine.url.drivername}://user@host/sessionkit_demo",
            value=shown,
            expected="a URL with a database name after the host",
        )


def check_sync_driver(engine: Engine, shown: str) -> None:
    """Refuse an asyncio driver (``postgresql+asyncpg``, ``+psycopg_async``, ``sqlite+aiosqlite``).

    The command line connects synchronously: such a driver fails on its first
    connection with a traceback (a coroutine never awaited, or greenlet missing).
    """
    if engine.dialect.is_async:
        raise InvalidValue(
            f"--db {shown!r} names an asyncio driver ({engine.url.drivername}); the command "
            "line connects synchronously: use e.g. postgresql+psycopg, mysql+pymysql or sqlite",
            value=shown,
            expected="a URL with a synchronous driver",
        )


def check_not_a_directory(engine: Engine, shown: str) -> None:
    """Refuse a SQLite URL whose path is a directory (``sqlite:///data``), named as such.

    SQLite says only "unable to open database file", as for a directory that
    does not exist. A ``file:`` URI (``uri=true``) is left to SQLite.
    """
    from sqlalchemy.util import asbool

    if engine.dialect.name != "sqlite" or asbool(engine.url.query.get("uri", False)):
        return
    name = engine.url.database
    if name and name != ":memory:" and Path(name).is_dir():
        raise InvalidValue(
            f"--db {shown!r} names a directory, not a SQLite file: name a file, e.g. one in it",
            value=shown,
            expected="a URL naming a SQLite file, such as sqlite:///sessionkit-demo.sqlite3",
        )


def sqlite_directory_hint(engine: Engine) -> str:
    """Why SQLite could not make the file a SQLite URL names, if its directory says why.

    SQLite says only "unable to open database file" of a file it cannot create,
    in a directory that does not exist or may not be written (the demo run in a
    read-only directory, on its default URL); ``""`` if the file exists, the URL
    is a ``file:`` URI (``uri=true``) or a database in memory, or the directory
    is writable.
    """
    from sqlalchemy.util import asbool

    if engine.dialect.name != "sqlite" or asbool(engine.url.query.get("uri", False)):
        return ""
    name = engine.url.database
    if not name or name == ":memory:" or Path(name).exists():
        return ""
    directory = Path(os.path.abspath(name)).parent
    if not directory.is_dir():
        return (
            f": its directory {str(directory)!r} does not exist; the demo makes files, "
            "not directories"
        )
    if not os.access(directory, os.W_OK):
        return (
            f": its directory {str(directory)!r} may not be written, so the file cannot be "
            "made there; run the demo in another directory or name a file with --db"
        )
    return ""


_ARGUMENT_REFUSALS = (OSError, ValueError, TypeError, AttributeError, LookupError)
"""What a driver may raise, besides the DB-API's errors, refusing a URL's arguments."""

_UNKNOWN_DATABASE = 1049
"""MySQL's and MariaDB's ``ER_BAD_DB_ERROR``: the database a connection names does not exist."""

_INVALID_CATALOG_NAME = "3D000"
"""PostgreSQL's SQLSTATE for a database that does not exist."""

_NO_SUCH_PG_DATABASE = re.compile(r'\bdatabase "(?P<name>[^\n]*)" does not exist')
"""PostgreSQL's own words for it (English ``lc_messages``): psycopg's refused connection has no
SQLSTATE, libpq reporting only the server's message."""


@attrs.frozen
class Refusal:
    """Why a connection was refused: ``said`` in the driver's words on one line.

    ``missing_database`` is what to say when the refusal is MySQL's or
    MariaDB's "Unknown database", or PostgreSQL's 'database "x" does not
    exist' (the URL names a database that does not exist), read from that
    same refusal; ``None`` for any other. ``arguments`` are the URL's query
    arguments the driver refused before reaching the server (``sslmode=bogus``), all
    of them if its words name none (not a host name IDNA refuses); ``()`` for any
    other refusal.
    """

    said: str
    missing_database: str | None = None
    arguments: tuple[str, ...] = ()


def connect_refusal(engine: Engine) -> Refusal | None:
    """Why ``engine`` cannot connect (one attempt); ``None`` if it can.

    Besides the DB-API's errors, a driver may refuse the arguments the URL gives it
    with a plain exception when it connects (PyMySQL: an unknown ``charset`` is an
    ``AttributeError``, a missing ``ssl_ca`` file a ``FileNotFoundError``): a bad
    ``--db`` too, not a traceback. A database that does not exist is told from
    this refusal's error code, not by connecting again (for a host that does not
    answer, that would wait out the connect timeout twice).
    """
    from sqlalchemy.exc import DBAPIError

    missing = None
    query = tuple(engine.url.query)
    try:
        engine.connect().close()
    except DBAPIError as exc:
        said = str(exc.orig if exc.orig is not None else exc).strip()
        missing = _missing_database(engine, exc)
        found = _REFUSED_OPTION.search(said)
        key = next((k for k in found.groups() if k), "") if found is not None else ""
        arguments = tuple(k for k in query if k == _SQLITE_URI_KEYS.get(key, key))
    except _ARGUMENT_REFUSALS as exc:  # the driver's own checks, before it reaches the server
        said = f"{type(exc).__name__}: {exc}".strip()
        named = tuple(k for k in query if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", said))
        arguments = () if _host_refused(exc) else named or query
    else:
        return None
    return Refusal(said.splitlines()[0] if said else "no reason given", missing, arguments)


def _host_refused(error: Exception) -> bool:
    """Whether ``error`` is IDNA refusing the host name, not the driver the query.

    A label empty or over 63 characters (``db..example.com``) fails before the
    name is looked up, naming no argument: said as a host that cannot be found
    is (status 1), not blamed on whatever query arguments the URL also gives.
    """
    return isinstance(error, UnicodeError) and "idna" in str(error)


_REFUSED_OPTION = re.compile(
    r'invalid connection option "(?P<unknown>[^"]+)"'
    r"|bad value for (?P<psycopg>\w+):"
    r'|invalid (?P<value>\w+) value: "'
    r'|invalid integer value "[^"]*" for connection option "(?P<integer>[^"]+)"'
    r"|no such (?P<mode>access|cache) mode: |no such (?P<vfs>vfs): "
)
"""How libpq (through psycopg) and SQLite (a ``file:`` URI's query) refuse a connection
argument before reaching the server or the file, in English: each names the argument
(SQLite's access mode is ``mode=``). A refusal in another language is said as any other."""

_SQLITE_URI_KEYS = {"access": "mode"}
"""SQLite's name in a refusal for the URI argument it is given as."""


def arguments_refused(shown: str, refusal: Refusal) -> str | None:
    """The one line that says ``refusal`` refused the URL's query arguments; ``None`` if not.

    Such a refusal is the command line's (status 2): running again cannot help, the
    URL must change, unlike a database that cannot be reached (status 1).
    """
    if not refusal.arguments:
        return None
    named = ", ".join(refusal.arguments)
    which = "its query argument" if len(refusal.arguments) == 1 else "one of its query arguments"
    return f"--db {shown!r}: the driver refuses {which} {named} ({refusal.said})"


def _missing_database(engine: Engine, error: DBAPIError) -> str | None:
    """What to say if ``error`` is the server's "no such database"; else ``None``.

    PyMySQL and MySQLdb put MySQL's or MariaDB's error code first in the
    driver's exception. A PostgreSQL driver may give the SQLSTATE (psycopg2's
    ``pgcode``; psycopg 3's ``sqlstate``, ``None`` for a refused connection),
    else the server's message names the database (also one the URL left to
    the driver's default, the user's name); a message in another language,
    with no SQLSTATE, is said as any other refusal.
    """
    orig = error.orig
    if engine.dialect.name in ("mysql", "mariadb"):
        arguments = getattr(orig, "args", ())
        if arguments and arguments[0] == _UNKNOWN_DATABASE:
            return f"database {shown_url(str(engine.url.database))} does not exist"
        return None
    if engine.dialect.name != "postgresql":
        return None
    found = _NO_SUCH_PG_DATABASE.search(str(orig))
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if found is None and code != _INVALID_CATALOG_NAME:
        return None
    name = found["name"] if found is not None else engine.url.database
    # Masked as the URL is: "postgresql:///bob:pw@host/db" names the database "bob:pw@host/db".
    return f"database {shown_url(str(name))} does not exist"


_PATH_ENTRY = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)')
"""One schema of a PostgreSQL ``search_path``: quoted (``""`` inside is ``"``) or not."""


def missing_schema(engine: Engine) -> str | None:
    """PostgreSQL: what to say if no schema of the connection's ``search_path`` exists.

    Tables are made in the first schema of the path that exists; with none (a
    URL's ``options=-csearch_path=nosuch``) PostgreSQL refuses to make them ("no
    schema has been selected to create in"), which read as a database that
    cannot be reached. ``None`` if one exists, for another database, or if the question
    itself fails (the caller's next step says why).
    """
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            current, path = connection.execute(
                text("SELECT current_schema(), current_setting('search_path')")
            ).one()
            if current is not None:
                return None
            names = [
                quoted.replace('""', '"') if quoted else bare.lower()
                for quoted, bare in _PATH_ENTRY.findall(str(path))
                if (quoted or bare) and (quoted or bare) != "$user"
            ]
            # One that exists but is not the user's to use is another refusal: not said here.
            found = connection.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = ANY(:names)"),
                {"names": names},
            ).scalar()
    except DBAPIError:
        return None
    if found:
        return None
    if len(names) == 1:
        return f"schema {names[0]} does not exist"
    return f"no schema of its search_path ({path}) exists"
