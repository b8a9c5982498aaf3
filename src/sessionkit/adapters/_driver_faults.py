"""What a database driver's error means, as a sessionkit error: one table for every store.

:func:`translate` takes the driver's own exception (psycopg's, PyMySQL's or
mysqlclient's, ``sqlite3``'s) and the backend's name and returns the
:mod:`sessionkit.errors` error it stands for, or ``None`` for an error that is
no fault of the database (a bad statement, a driver's ``DataError``): the
SQLAlchemy store applies it in its engine's error hook
(:mod:`sessionkit.adapters.sqlalchemy._faults`), the Django store to the
driver error beneath Django's own. It imports neither.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sessionkit.errors import (
    SchemaMissing,
    SessionKitError,
    StorageError,
    StorageFull,
    StorageReadOnly,
    StorageTimeout,
    StorageUnavailable,
    TransientConflict,
)

__all__ = ["driver_code", "translate"]

_TABLE = re.compile(r"\b(?:UPDATE|INTO|FROM|JOIN)\s+[`\"]?(\w+)", re.IGNORECASE)


def _waited_for(statement: str | None) -> str:
    """Say what a statement that timed out waiting for a lock was waiting for."""
    if statement is None:
        return "a lock"
    if "pg_advisory_xact_lock" in statement or "GET_LOCK" in statement:
        return "a resource or participant lock of sessionkit"
    found = _TABLE.search(statement)
    # A row's lock or the whole table's (an ALTER TABLE queued ahead): the error does not say.
    return f"a lock on {found.group(1)} (a row's or the table's)" if found else "a lock"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _code(error: BaseException, backend: str) -> str | int | None:
    if backend == "postgresql":
        found = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        return found if isinstance(found, str) else None
    if backend == "mysql":
        first = error.args[0] if error.args else None
        return first if isinstance(first, int) else None
    if backend == "sqlite":
        found = getattr(error, "sqlite_errorcode", None)
        return found & 0xFF if isinstance(found, int) else None
    return None


def driver_code(error: BaseException, backend: str) -> str | None:
    """Return the driver's code for ``error`` as errors carry it (a SQLSTATE), or ``None``."""
    code = _code(error, backend)
    return None if code is None else str(code)


# Error kinds: what a driver code means.
_DEADLOCK, _SERIAL, _LOCK_WAIT, _STATEMENT, _IDLE = "dl", "ser", "lock", "stmt", "idle"
_LOCKED = "locked"
_GONE, _FULL, _READ_ONLY, _OTHER = "gone", "full", "ro", "other"

_POSTGRES: dict[str, str] = {
    "40P01": _DEADLOCK,  # deadlock_detected
    "40001": _SERIAL,  # serialization_failure
    "55P03": _LOCK_WAIT,  # lock_not_available (lock_timeout, NOWAIT)
    "57014": _STATEMENT,  # query_canceled (statement_timeout, or a cancel request)
    "25P03": _IDLE,  # idle_in_transaction_session_timeout
    "25P04": _IDLE,  # transaction_timeout (PostgreSQL 17)
    "57P01": _GONE,  # admin_shutdown (pg_terminate_backend, a fast shutdown)
    "57P02": _GONE,  # crash_shutdown
    "57P03": _GONE,  # cannot_connect_now
    "53300": _GONE,  # too_many_connections
    "53100": _FULL,  # disk_full
    "25006": _READ_ONLY,  # read_only_sql_transaction
    "XX001": _OTHER,  # data_corrupted
}
_MYSQL: dict[int, str] = {
    1213: _DEADLOCK,  # ER_LOCK_DEADLOCK
    1020: _SERIAL,  # ER_CHECKREAD: record changed since last read (snapshot isolation)
    1205: _LOCK_WAIT,  # ER_LOCK_WAIT_TIMEOUT (innodb_lock_wait_timeout)
    3572: _LOCK_WAIT,  # ER_LOCK_NOWAIT
    1969: _STATEMENT,  # ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
    3024: _STATEMENT,  # ER_QUERY_TIMEOUT (MySQL max_execution_time)
    1927: _GONE,  # ER_CONNECTION_KILLED
    1053: _GONE,  # ER_SERVER_SHUTDOWN
    1040: _GONE,  # ER_CON_COUNT_ERROR: too many connections
    2002: _GONE,  # CR_CONNECTION_ERROR
    2003: _GONE,  # CR_CONN_HOST_ERROR
    2006: _GONE,  # CR_SERVER_GONE_ERROR
    2013: _GONE,  # CR_SERVER_LOST
    2055: _GONE,  # CR_SERVER_LOST_EXTENDED
    4031: _GONE,  # ER_CLIENT_INTERACTION_TIMEOUT
    1021: _FULL,  # ER_DISK_FULL
    1114: _FULL,  # ER_RECORD_FILE_FULL: the table is full
    1290: _READ_ONLY,  # ER_OPTION_PREVENTS_STATEMENT (--read-only)
    1036: _READ_ONLY,  # ER_OPEN_AS_READONLY
    1792: _READ_ONLY,  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    1317: _OTHER,  # ER_QUERY_INTERRUPTED (KILL QUERY)
}
_SQLITE: dict[int, str] = {
    13: _FULL,  # SQLITE_FULL
    8: _READ_ONLY,  # SQLITE_READONLY
    5: _LOCK_WAIT,  # SQLITE_BUSY: the write lock, past the busy timeout
    # SQLITE_LOCKED: a table lock of another connection sharing the cache (a Django test
    # database in memory, file::memory:?cache=shared), refused at once, without waiting.
    6: _LOCKED,
    14: _GONE,  # SQLITE_CANTOPEN
    10: _GONE,  # SQLITE_IOERR
    11: _OTHER,  # SQLITE_CORRUPT
    26: _OTHER,  # SQLITE_NOTADB
}


_PREFIX = "sessionkit_"
"""The prefix of sessionkit's tables, on every store."""


_TABLE_MISSING: dict[str, dict[str | int, re.Pattern[str]]] = {
    "postgresql": {"42P01": re.compile(r'^relation "([^"]+)" does not exist')},
    "mysql": {1146: re.compile(r"Table '([^']+)' doesn't exist")},
    "sqlite": {1: re.compile(r"^no such table: (\S+)|^table (\S+) has no column named")},
}
"""How each database says a table is missing (a code, and a message naming the table)."""
_COLUMN_MISSING: dict[str, dict[str | int, re.Pattern[str]]] = {
    "postgresql": {
        "42703": re.compile(r'^column (?:"([^"]+)"|(\S+)) (?:of relation .* )?does not')
    },
    "mysql": {1054: re.compile(r"Unknown column '([^']+)'")},
    "sqlite": {1: re.compile(r"^no such column: (\S+)|^table \S+ has no column named (\S+)")},
}
"""How each database says a column is missing."""
_NO_DATABASE = 1046
"""MySQL/MariaDB's ER_NO_DB_ERROR: the connection has no current database (a URL naming none)."""


def _named(
    patterns: dict[str | int, re.Pattern[str]], code: str | int | None, said: str
) -> str | None:
    """The name a matching message gives, or ``None`` when the code or the message is another."""
    pattern = None if code is None else patterns.get(code)
    found = None if pattern is None else pattern.search(said)
    return None if found is None else next(group for group in found.groups() if group)


def _schema_missing(
    backend: str, code: str | int | None, said: str, statement: str | None
) -> str | None:
    """The table or column of sessionkit's that the database did not find, or ``None``.

    Only sessionkit's own: a table whose name starts with ``sessionkit_``, a
    column of a statement on such a table (a host's statement run on a
    unit's connection keeps its own error).
    """
    table = _named(_TABLE_MISSING.get(backend, {}), code, said)
    if table is not None:
        # SQLite's "table T has no column named C" names the table; the column is missing.
        name = table.rsplit(".", 1)[-1]
        if not name.startswith(_PREFIX):
            return None
        if not said.startswith(f"table {table} has no column"):
            # The table alone (MySQL/MariaDB name its database too; the message keeps it),
            # so that "a.b" is always a table's column.
            return name
    column = _named(_COLUMN_MISSING.get(backend, {}), code, said)
    if column is None or (statement is not None and _PREFIX not in statement):
        return None
    if "." not in column:
        # A write's message names the column alone: its table from the message (SQLite,
        # PostgreSQL) or the statement (MySQL/MariaDB), so that a bare name is a table's.
        found = _WRITTEN.search(said) or _WRITTEN.search(statement or "")
        if found is not None:
            column = f"{next(group for group in found.groups() if group)}.{column}"
    return column


_WRITTEN = re.compile(
    r'^table (\S+) has no column named|of relation "([^"]+)"'
    r'|^\s*(?:INSERT\s+INTO|UPDATE)\s+(?:[`"]?\w+[`"]?\.)?[`"]?(\w+)',
    re.IGNORECASE,
)
"""The table of a write whose message named the missing column alone."""


def _kind(error: BaseException, backend: str, code: str | int | None, disconnect: bool) -> str:
    found: str | None = None
    if isinstance(code, str):
        found = _POSTGRES.get(code) or (_GONE if code.startswith("08") else None)
    elif isinstance(code, int):
        found = (_MYSQL if backend == "mysql" else _SQLITE).get(code)
    if found is None and disconnect:
        found = _GONE
    if found is None and backend == "postgresql" and code is None:
        # libpq's own failures (refused, closed under it) come without a SQLSTATE.
        operational = any(c.__name__ == "OperationalError" for c in type(error).__mro__)
        found = _GONE if operational else None
    return found or ""


def translate(
    error: BaseException,
    *,
    backend: str,
    statement: str | None = None,
    disconnect: bool = False,
    joined: bool = False,
    lock_timeout: timedelta | None = None,
    remedy: str,
) -> SessionKitError | None:
    """Return the sessionkit error that the driver's ``error`` means, or ``None`` to keep it.

    ``statement`` is what was running (it names what a lock wait waited for),
    ``disconnect`` whether SQLAlchemy found the connection dead, ``joined``
    whether the unit is part of the host's transaction (a transient conflict
    is then not ``retryable``), ``lock_timeout`` the limit the unit set,
    ``remedy`` how the store at hand makes its missing tables, said by
    ``SchemaMissing`` (each store names its own: the SQLAlchemy store's
    ``upgrade(engine)``, the Django store's migrate of its alias).
    """
    code = _code(error, backend)
    kind = _kind(error, backend, code, disconnect)
    said = _first_line(error)
    shown = None if code is None else str(code)
    if backend == "mysql" and code == _NO_DATABASE:
        return SchemaMissing(
            f"{backend} has no database selected ({said}): the engine's URL names none, so "
            "there are no sessionkit tables to use. Name the database in the URL "
            "(mysql+pymysql://user@host/dbname); nothing was written",
            backend=backend,
            code=shown,
        )
    missing = _schema_missing(backend, code, said, statement)
    if missing is not None:
        return SchemaMissing(
            f"{backend} has no {missing} ({said}): sessionkit's tables are not in this "
            "database, or are older than this sessionkit. Make or upgrade them first: "
            f"{remedy}; nothing was written",
            backend=backend,
            code=shown,
            missing=missing,
        )
    if kind in (_DEADLOCK, _SERIAL, _LOCKED):
        reason = {_DEADLOCK: "deadlock", _SERIAL: "serialization", _LOCKED: "locked"}[kind]
        return TransientConflict.aborted(reason, backend, joined=joined, code=shown)
    if kind == _LOCK_WAIT:
        if backend == "sqlite":
            return StorageTimeout.waiting(
                "the database's write lock",
                backend=backend,
                timeout=None,
                code=shown,
                setting="sqlite3 connect timeout",
            )
        # MySQL/MariaDB answer 1205 for a row lock (InnoDB's wait) and for a table's
        # metadata lock (lock_wait_timeout) alike; the store sets both to one value.
        setting = (
            "innodb_lock_wait_timeout or lock_wait_timeout"
            if backend == "mysql"
            else "lock_timeout"
        )
        return StorageTimeout.waiting(
            _waited_for(statement),
            backend=backend,
            timeout=lock_timeout,
            code=shown,
            setting=setting,
        )
    if kind == _STATEMENT and (backend != "postgresql" or "statement timeout" in said):
        setting = "statement_timeout" if backend == "postgresql" else "max_statement_time"
        return StorageTimeout.waiting(
            "the statement to finish", backend=backend, timeout=None, code=shown, setting=setting
        )
    if kind == _IDLE:
        return StorageTimeout(
            f"{backend} ended the transaction, idle or open for longer than it allows: {said}",
            backend=backend,
            code=shown,
            waited_for="the transaction to finish",
        )
    if kind == _GONE:
        return StorageUnavailable(
            # Neither "rolled back" nor "did not complete": the connection may never have
            # opened, and one lost in the COMMIT leaves its outcome unknown (the database
            # may have applied it; the unit adds a note saying so). Only sessionkit's side
            # is sure: it could not finish.
            f"the connection to {backend} failed or was lost ({said}); sessionkit could "
            "not finish the operation",
            backend=backend,
            code=shown,
        )
    if kind == _FULL:
        return StorageFull(
            f"{backend} has no room for the write ({said}); nothing of it was stored",
            backend=backend,
            code=shown,
        )
    if kind == _READ_ONLY:
        return StorageReadOnly(
            f"{backend} refuses writes ({said}); nothing was stored", backend=backend, code=shown
        )
    if kind in (_OTHER, _STATEMENT):
        return StorageError(f"{backend} failed: {said}", backend=backend, code=shown)
    return None
