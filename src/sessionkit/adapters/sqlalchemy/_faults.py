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

from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters._driver_faults import translate
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._hooks import listen_once
from sessionkit.errors import (
    SessionKitError,
    StorageError,
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
    "translate_for_unit",
    "translate_unhooked",
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
    listen_once(engine, "handle_error", _on_error)


def _on_error(context: ExceptionContext) -> BaseException | None:
    units = _OPEN.get()
    if not units or context.is_pre_ping:
        # A pool_pre_ping that found its connection dead: the pool opens a new one,
        # unless an error is raised here (a StorageUnavailable failed the unit instead).
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


def translate_unhooked(connection: Connection, error: BaseException) -> SessionKitError | None:
    """Translate a driver ``error`` that SQLAlchemy raised on ``connection`` bare, or ``None``.

    Setting a connection's isolation level (``execution_options(isolation_level=...)``)
    calls the driver directly, without the ``handle_error`` hook: on MySQL/MariaDB,
    where a unit sets READ COMMITTED on each connection it takes from the pool, a
    pooled connection the server had dropped (a restart, a ``KILL``, ``wait_timeout``)
    raised the driver's own ``OperationalError``. As in the hook, only while a unit
    of ``connection``'s engine is open, and it then remembers the error; a dead
    connection is invalidated, so the pool opens a new one for the next unit.
    """
    dialect = connection.dialect
    unit = next(
        (
            u
            for opened_on, u in reversed(_OPEN.get())
            if opened_on is dialect and (u.connection is None or u.connection is connection)
        ),
        None,
    )
    if unit is None or not _driver_error(dialect, error):
        return None
    dbapi_connection = connection.connection.dbapi_connection
    disconnect = bool(dialect.is_disconnect(cast("Any", error), dbapi_connection, None))
    if disconnect:
        connection.invalidate(error)
    return _translate_for(unit, dialect, error, disconnect=disconnect)


def translate_for_unit(
    unit: OpenUnit, dialect: Dialect, error: BaseException
) -> SessionKitError | None:
    """Translate a driver ``error`` raised bare while ``unit`` took its connection, or ``None``.

    An ORM session of a store's ``sessionmaker`` sets the unit's isolation
    level on the connection it takes, inside ``Session.connection()``: a
    pooled connection the server had dropped raised the driver's own error
    there, and there is no ``Connection`` of the unit's to hand it to (the
    session closed it; the pool's reset found it dead and discarded it).
    """
    if not _driver_error(dialect, error):
        return None
    disconnect = bool(dialect.is_disconnect(cast("Any", error), None, None))
    return _translate_for(unit, dialect, error, disconnect=disconnect)


def _driver_error(dialect: Dialect, error: BaseException) -> bool:
    dbapi: Any = dialect.loaded_dbapi
    return isinstance(error, dbapi.Error) and not isinstance(error, dbapi.IntegrityError)


def _translate_for(
    unit: OpenUnit, dialect: Dialect, error: BaseException, *, disconnect: bool
) -> SessionKitError | None:
    translated = translate(
        error,
        backend=_backend_name(dialect),
        disconnect=disconnect,
        joined=unit.joined,
        lock_timeout=unit.lock_timeout,
    )
    if translated is not None:
        unit.lose(translated)
    return translated


def _backend_name(dialect: Dialect) -> str:
    return "mysql" if dialect.name in ("mysql", "mariadb") else dialect.name


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
