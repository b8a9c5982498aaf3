"""The database's own failures, translated in one place for everything a unit of work runs.

:func:`install_fault_hook` registers SQLAlchemy's ``handle_error`` hook on an
engine. While a unit of work of a :class:`~.store.SqlAlchemyStore` is open in
the current thread (:func:`opened`), the hook replaces a driver error raised
on the unit's connection by any statement, ``BEGIN`` or ``COMMIT``, or by
the attempt to connect, with the sessionkit error it means, the driver's
exception chained as ``__cause__``; so it does for a unit opened in another
thread or context (a web framework's dependency, entered on one thread of its
pool and used on another), on the connection the unit has taken:

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

import threading
import weakref
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError

from sessionkit.adapters import _driver_faults
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._hooks import listen_once
from sessionkit.errors import (
    SessionKitError,
    StorageError,
    TransientConflict,
)

__all__ = [
    "REMEDY",
    "OpenUnit",
    "forgive",
    "from_database",
    "here",
    "install_fault_hook",
    "lose",
    "lost",
    "opened",
    "closed",
    "translate",
    "translate_for_unit",
    "translate_unhooked",
]

REMEDY = (
    "sessionkit.adapters.sqlalchemy.upgrade(engine) (or alembic upgrade head where your own "
    "Alembic history holds sessionkit's tables)"
)
"""How the SQLAlchemy store's tables are made or upgraded, as ``SchemaMissing`` says it."""


def translate(
    error: BaseException,
    *,
    backend: str,
    statement: str | None = None,
    disconnect: bool = False,
    joined: bool = False,
    lock_timeout: timedelta | None = None,
) -> SessionKitError | None:
    """:func:`~sessionkit.adapters._driver_faults.translate` for this store (:data:`REMEDY`)."""
    return _driver_faults.translate(
        error,
        backend=backend,
        statement=statement,
        disconnect=disconnect,
        joined=joined,
        lock_timeout=lock_timeout,
        remedy=REMEDY,
    )


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


_Entry = tuple[Dialect, weakref.ref[OpenUnit]]
"""An open unit and its dialect; weakly, so a unit entered and never left can be collected."""

_OPEN: ContextVar[tuple[_Entry, ...]] = ContextVar("sessionkit_open_units", default=())


_LIVE: dict[int, _Entry] = {}
"""Every unit of the process open now, by ``id``, whichever thread or context opened it.

A unit may be used and closed on other threads than the one that opened it
(a framework running a dependency's set-up, the route and the tear-down on
threads of its pool, each in a copy of the request's context): the context of
the thread that opened it does not see it there, and a closing elsewhere does
not take it out of that context. Such a unit is found by its connection, and
an entry of a context whose unit was closed elsewhere is ignored and dropped.

Units are held weakly, here and in the contexts: one entered and never left
(``__enter__`` called by hand, then dropped) is collected with its session,
and its connection goes back to the pool, rather than kept for the life of
the process; its entry goes with it.
"""
_LIVE_GUARD = threading.Lock()


def _gone(ref: weakref.ref[OpenUnit]) -> None:
    """Drop the entry of a unit collected while open (entered and never left)."""
    # Without the guard: the collector may call this while this thread holds it. A copy
    # of the dict and a pop are single, atomic operations.
    for key, entry in _LIVE.copy().items():
        if entry[1] is ref:
            _LIVE.pop(key, None)


def opened(dialect: Dialect, unit: OpenUnit) -> None:
    """Translate the errors of ``dialect``'s connections in this context until :func:`closed`."""
    entry = (dialect, weakref.ref(unit, _gone))
    with _LIVE_GUARD:
        _LIVE[id(unit)] = entry
    _OPEN.set((*_live(_OPEN.get()), entry))


def closed(unit: OpenUnit) -> None:
    """Stop translating for ``unit`` (units may close in any order, and on any thread)."""
    with _LIVE_GUARD:
        if _is_live(unit):
            del _LIVE[id(unit)]
    _OPEN.set(_live(_OPEN.get()))  # out of _LIVE, so out of this context too


def here(unit: OpenUnit) -> None:
    """Translate for the open ``unit`` in this context too (used where it was not opened).

    So a failure while it takes its connection, which no connection of its
    own names yet, is known as its own on this thread as well.
    """
    entries = _OPEN.get()
    for _, known in entries:
        if known() is unit:
            return
    with _LIVE_GUARD:
        entry = _LIVE.get(id(unit))
    if entry is not None and entry[1]() is unit:
        _OPEN.set((*_live(entries), entry))


def _is_live(unit: OpenUnit) -> bool:
    entry = _LIVE.get(id(unit))
    return entry is not None and entry[1]() is unit


def _live(entries: tuple[_Entry, ...]) -> tuple[_Entry, ...]:
    """The entries of a context whose units are still open (not closed on another thread)."""
    return tuple(entry for entry in entries if _LIVE.get(id(entry[1]())) is entry)


def _unit_of(dialect: Dialect, connection: Connection | None) -> OpenUnit | None:
    """The open unit whose statement failed on ``connection``: this context's, else any on it.

    Not one of the application's beside it. In this context, a connection that
    failed to open (``None``), or any while the unit takes its first, is taken
    to be the unit's; elsewhere only the connection the unit has taken is.
    """
    for opened_on, ref in reversed(_live(_OPEN.get())):
        unit = ref()
        if (
            unit is not None
            and opened_on is dialect
            and (connection is None or unit.connection is None or unit.connection is connection)
        ):
            return unit
    if connection is None:
        return None
    with _LIVE_GUARD:
        elsewhere = [(on, ref()) for on, ref in _LIVE.copy().values()]
    return next(
        (
            u
            for on, u in elsewhere
            if on is dialect and u is not None and u.connection is connection
        ),
        None,
    )


def install_fault_hook(engine: Engine) -> None:
    """Translate the driver errors of ``engine`` inside sessionkit's units of work. Idempotent."""
    listen_once(engine, "handle_error", _on_error)


def _on_error(context: ExceptionContext) -> BaseException | None:
    if not _LIVE or context.is_pre_ping:
        # A pool_pre_ping that found its connection dead: the pool opens a new one,
        # unless an error is raised here (a StorageUnavailable failed the unit instead).
        return None
    unit = _unit_of(context.dialect, context.connection)
    if unit is None:
        return None
    error = context.original_exception
    if not _driver_error(context.dialect, error):
        return None
    return _translate_for(
        unit,
        context.dialect,
        error,
        disconnect=context.is_disconnect,
        statement=context.statement,
    )


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
    unit = _unit_of(dialect, connection)
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
    unit: OpenUnit,
    dialect: Dialect,
    error: BaseException,
    *,
    disconnect: bool,
    statement: str | None = None,
) -> SessionKitError | None:
    """``error`` as sessionkit's, remembered by ``unit`` as what may have lost its transaction."""
    translated = translate(
        error,
        backend=_backend_name(dialect),
        statement=statement,
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
