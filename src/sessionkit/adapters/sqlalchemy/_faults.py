"""The database's own failures, translated in one place for everything a unit of work runs.

:func:`install_fault_hook` registers SQLAlchemy's ``handle_error`` hook on an
engine. While a unit of work of a :class:`~.store.SqlAlchemyStore` is open in
the current thread (:func:`opened`), the hook replaces a driver error raised
on the unit's connection by any statement, ``BEGIN`` or ``COMMIT``, or by
the attempt to connect, with the sessionkit error it means, the driver's
exception chained as ``__cause__``:

- a deadlock or serialization failure: :class:`TransientConflict`;
- a lock or statement that waited too long: :class:`StorageTimeout`;
- a connection refused, lost or killed: :class:`StorageUnavailable`;
- no room left: :class:`StorageFull`; writes refused: :class:`StorageReadOnly`;
- a corrupt file, a statement cancelled by an operator: :class:`StorageError`.

Integrity errors are left to the repositories, which explain them as the
kind's own errors (:func:`~._versioned.savepoint`); errors not listed (a bad
statement, a driver's ``DataError``) pass unchanged, and so does everything
on other connections, so an application sharing the engine sees its own
errors as before.

After such an error the database may have lost the whole transaction (MySQL
rolls it back on a deadlock, SQLite on a full disk, PostgreSQL refuses every
later statement), so the unit remembers the error (:func:`lose`) and its
``commit`` raises it again; a SAVEPOINT that then rolls back cleanly shows the
transaction survived and clears it (:func:`forgive`).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.errors import (
    SessionKitError,
    StorageError,
    StorageFull,
    StorageReadOnly,
    StorageTimeout,
    StorageUnavailable,
    TransientConflict,
)

__all__ = [
    "OpenUnit",
    "forgive",
    "from_database",
    "install_fault_hook",
    "lose",
    "lost",
    "opened",
    "closed",
    "translate",
]

_LOST = "sessionkit.lost"
"""Where a unit's session keeps the error after which its transaction may be gone."""


class OpenUnit(Protocol):
    """What the hook needs of an open unit of work."""

    @property
    def joined(self) -> bool:
        """Whether the unit runs inside the host's transaction (``store.join``)."""
        ...

    @property
    def lock_timeout(self) -> timedelta | None:
        """How long the unit's statements wait for a lock (``None``: the database's default)."""
        ...

    @property
    def connection(self) -> Connection | None:
        """The connection of the unit's transaction (``None`` before it has one)."""
        ...

    def lose(self, error: SessionKitError) -> None:
        """Remember that the transaction may be lost after ``error``."""
        ...


_OPEN: ContextVar[tuple[tuple[Dialect, OpenUnit], ...]] = ContextVar(
    "sessionkit_open_units", default=()
)


def opened(dialect: Dialect, unit: OpenUnit) -> None:
    """Translate the errors of ``dialect``'s connections in this context until :func:`closed`."""
    _OPEN.set((*_OPEN.get(), (dialect, unit)))


def closed(unit: OpenUnit) -> None:
    """Stop translating for ``unit`` (units may close in any order)."""
    _OPEN.set(tuple(entry for entry in _OPEN.get() if entry[1] is not unit))


def install_fault_hook(engine: Engine) -> None:
    """Translate the driver errors of ``engine`` inside sessionkit's units of work. Idempotent."""
    if not event.contains(engine, "handle_error", _on_error):
        event.listen(engine, "handle_error", _on_error)


def _on_error(context: ExceptionContext) -> BaseException | None:
    units = _OPEN.get()
    if not units:
        return None
    unit = next((u for dialect, u in reversed(units) if _ours(u, dialect, context)), None)
    if unit is None:
        return None
    error = context.original_exception
    dbapi: Any = context.dialect.loaded_dbapi
    if not isinstance(error, dbapi.Error) or isinstance(error, dbapi.IntegrityError):
        return None
    translated = translate(
        error,
        backend=_backend_name(context.dialect),
        statement=context.statement,
        disconnect=context.is_disconnect,
        joined=unit.joined,
        lock_timeout=unit.lock_timeout,
    )
    if translated is not None:
        unit.lose(translated)
    return translated


def _ours(unit: OpenUnit, dialect: Dialect, context: ExceptionContext) -> bool:
    """Whether the failed statement is ``unit``'s (not one of the application's, beside it).

    A connection that failed to open, while the unit takes its first, is
    taken to be the unit's.
    """
    if dialect is not context.dialect:
        return False
    failed = context.connection
    return failed is None or unit.connection is None or failed is unit.connection


def _backend_name(dialect: Dialect) -> str:
    return "mysql" if dialect.name in ("mysql", "mariadb") else dialect.name


# ------------------------------------------------------------------ the translation

_TABLE = re.compile(r"\b(?:UPDATE|INTO|FROM|JOIN)\s+[`\"]?(\w+)", re.IGNORECASE)


def _waited_for(statement: str | None) -> str:
    """Say what a statement that timed out waiting for a lock was waiting for."""
    if statement is None:
        return "a lock"
    if "pg_advisory_xact_lock" in statement or "GET_LOCK" in statement:
        return "a resource or participant lock of sessionkit"
    found = _TABLE.search(statement)
    return f"a row lock on {found.group(1)}" if found else "a lock"


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


# Error kinds: what a driver code means.
_DEADLOCK, _SERIAL, _LOCK_WAIT, _STATEMENT, _IDLE = "dl", "ser", "lock", "stmt", "idle"
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
    6: _LOCK_WAIT,  # SQLITE_LOCKED
    14: _GONE,  # SQLITE_CANTOPEN
    10: _GONE,  # SQLITE_IOERR
    11: _OTHER,  # SQLITE_CORRUPT
    26: _OTHER,  # SQLITE_NOTADB
}


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
) -> SessionKitError | None:
    """Return the sessionkit error that the driver's ``error`` means, or ``None`` to keep it.

    ``statement`` is what was running (it names what a lock wait waited for),
    ``disconnect`` whether SQLAlchemy found the connection dead, ``joined``
    whether the unit is part of the host's transaction (a transient conflict
    is then not ``retryable``), ``lock_timeout`` the limit the unit set.
    """
    code = _code(error, backend)
    kind = _kind(error, backend, code, disconnect)
    said = _first_line(error)
    shown = None if code is None else str(code)
    if kind in (_DEADLOCK, _SERIAL):
        reason = "deadlock" if kind == _DEADLOCK else "serialization"
        return TransientConflict.aborted(reason, backend, joined=joined)
    if kind == _LOCK_WAIT:
        if backend == "sqlite":
            return StorageTimeout.waiting(
                "the database's write lock",
                backend=backend,
                timeout=None,
                code=shown,
                setting="sqlite3 connect timeout",
            )
        setting = "innodb_lock_wait_timeout" if backend == "mysql" else "lock_timeout"
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
            f"the connection to {backend} failed or was lost ({said}); the unit of work "
            "was rolled back",
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


# ------------------------------------------------------------------ a lost transaction


def lose(db: Db, error: SessionKitError) -> None:
    """Remember on ``db`` that its transaction may be gone after ``error``."""
    db.info[_LOST] = error


def lost(db: Db) -> SessionKitError | None:
    """Return the error after which ``db``'s transaction may be gone, if any."""
    found: SessionKitError | None = db.info.get(_LOST)
    return found


def forgive(db: Db, error: BaseException | None = None) -> None:
    """Forget the lost transaction: after a rollback, or one to a SAVEPOINT after ``error``.

    With ``error``, only that error is forgotten: one raised earlier, outside
    the savepoint, may still have cost the transaction.
    """
    if error is None or db.info.get(_LOST) is error:
        db.info.pop(_LOST, None)


def replace_lost(db: Db, old: BaseException, new: SessionKitError) -> None:
    """Remember ``new`` instead of ``old`` (a more precise error for the same failure)."""
    if db.info.get(_LOST) is old:
        db.info[_LOST] = new


def from_database(error: BaseException) -> bool:
    """Whether ``error`` came from the database (a driver error, or its translation)."""
    return isinstance(error, DBAPIError | StorageError | TransientConflict)
