"""A plain booking's quickest way on PostgreSQL: one transaction on the driver's connection.

:meth:`SqlAlchemyStore.book_quickly <.store.SqlAlchemyStore.book_quickly>`
(the :class:`~sessionkit.ports.QuickBookings` port) takes a booking command's
common case without a unit of work: it checks a connection out of the
engine's pool, sends the lock bound (:meth:`~._backend.Backend.bound_waits`,
when the connection lacks it), the lock of the session's row
(:data:`~._booking_statements.SESSION_FOR_UPDATE`) and the checked, settled
``INSERT ... SELECT`` (:func:`~._booking_statements.insert_checked`) on the
psycopg cursors a unit would use (:mod:`~._direct`), and commits. The SQL is
the unit's, statement for statement, so the database keeps capacity exact in
the same way; what is saved is the unit's Python around it: the Core
connection, its transaction objects, the ORM-like session, the repository and
the command's unit-of-work bookkeeping. On 2026-12-06 that was about a third
of a booking's client CPU with 16 clients.

Only where nothing would tell the two ways apart: a store over an ``Engine``
(not a ``sessionmaker``, not joined to a host's session) on psycopg, whose
units need not set the isolation level, with nothing watching or changing the
statements Core would send (the conditions of :mod:`~._direct`). Anything else,
and anything the quick way did not take (a missing session, a refusal, a
session to settle, a full one, a taken idempotency key, an error it cannot
name), rolls back and answers ``None``: the command then runs in a unit of
work, which finds and raises what refused it. A failure the store's units
translate (a lock wait past ``lock_timeout``, a lost connection, a deadlock)
is translated here the same way and raised, so a command never waits twice
for a lock; a COMMIT that fails leaves the outcome unknown, as a unit's does
(:meth:`~sessionkit.errors.StorageUnavailable.lost_in_commit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.engine.default import DefaultDialect

from sessionkit.adapters.sqlalchemy import _booking_queries as queries
from sessionkit.adapters.sqlalchemy import _booking_statements as sql
from sessionkit.adapters.sqlalchemy import _direct as direct
from sessionkit.adapters.sqlalchemy._faults import translate
from sessionkit.adapters.sqlalchemy._lock_settings import _SET_LOCK_TIMEOUT
from sessionkit.adapters.sqlalchemy.booking_rows import booking_values
from sessionkit.adapters.sqlalchemy.mapping import session_from_row
from sessionkit.errors import SessionKitError, StorageUnavailable
from sessionkit.model.booking import Booking, stamped_at
from sessionkit.model.events import DomainEvent
from sessionkit.model.session import Session
from sessionkit.ports import QuickRefusal, publish_batches

if TYPE_CHECKING:
    from sessionkit.adapters.sqlalchemy.store import SqlAlchemyStore

__all__ = ["book_quickly", "publish", "quick_ready"]


def quick_ready(store: SqlAlchemyStore) -> bool:
    """Whether ``store`` may take a booking the quick way now (see the module docstring)."""
    engine = store.units_engine
    if engine is None or store.backend.name != "postgresql":
        return False
    dialect = engine.dialect
    dispatch = engine.dispatch
    return (
        dialect.driver == "psycopg"
        and not (
            dispatch.before_execute
            or dispatch.after_execute
            or dispatch.before_cursor_execute
            or dispatch.after_cursor_execute
        )
        and not dialect.dispatch.do_execute
        and type(dialect).do_execute is DefaultDialect.do_execute
        and not engine._should_log_info()  # Core's own echo test
        and not engine.get_execution_options().get("schema_translate_map")
        and store.backend.isolation_to_set(engine.get_execution_options(), dialect) is None
    )


def book_quickly(
    store: SqlAlchemyStore,
    tenant: str,
    session_id: str,
    admit: Callable[[Session], Booking | None],
    refuse: QuickRefusal | None = None,
) -> Booking | None:
    """Take the booking ``admit`` makes of the locked session, in one transaction; or ``None``.

    A booking the insert refused is handed to ``refuse`` (:func:`_refused`),
    whose error is raised, unless the session has something else to say.
    """
    if not quick_ready(store):
        return None
    try:
        pooled = store.engine.raw_connection()
    except Exception:  # noqa: BLE001  # a unit asks the pool again and says what failed
        return None
    connection: Any = pooled.dbapi_connection
    try:
        timeout = store.backend.pg_lock_timeout
        if timeout is not None and not store.backend.driver_bounded(connection):
            _sent(store, pooled, _SET_LOCK_TIMEOUT, {"timeout": timeout})
        locking = {"tenant": tenant, "session_id": session_id}
        found = _sent(store, pooled, sql.SESSION_FOR_UPDATE, locking)
        if found is None:
            return None
        session = session_from_row(found)
        booking = admit(session)
        if booking is None or not booking.active:
            return None
        at = stamped_at(booking)
        params = booking_values(booking)
        params["at"] = at
        statement = sql.insert_checked("postgresql", True, booking.takes_seats(at), True)
        if _sent(store, pooled, statement, params, rowcount=True) != 1:
            refusal = None if refuse is None else _refused(store, pooled, session, booking, refuse)
            if refusal is None:
                return None
            raise refusal
        try:
            connection.commit()
        except Exception as error:
            failure = _failed(store, pooled, error, "COMMIT", in_commit=True)
            if failure is error:
                raise
            raise failure from error
        return booking
    except _Unnamed:
        return None
    except BaseException as error:
        if not isinstance(error, Exception):
            # An interrupt mid-statement (Core invalidates such a connection too).
            pooled.invalidate(error)
        raise
    finally:
        # The pool's reset rolls back whatever did not commit, as it does for a unit's.
        pooled.close()


def _refused(
    store: SqlAlchemyStore, pooled: Any, session: Session, booking: Booking, refuse: QuickRefusal
) -> BaseException | None:
    """Why the insert took no row, if only because the session is full: ``refuse``'s error.

    Still under the session's lock, one read (:data:`~._booking_queries.FULL`)
    finds the seats taken at the booking's instant, as a unit's settling sums
    them, and the running holds' ends, for ``refuse`` to say when seats may free.
    ``None`` (the long way finds out) when the session has a hold that ran
    out or anyone waiting, the participant is in it already, or the request
    has an idempotency key (it may be a replay).
    """
    if booking.idempotency_key is not None:
        return None
    ref = booking.participant
    params = {
        "tenant": booking.tenant,
        "session_id": booking.session_id,
        "at": stamped_at(booking),
        "kind": ref.kind,
        "ident": ref.id,
    }
    found = _all(store, pooled, queries.FULL, params)
    if not found or any(acting for _, acting, _, _ in found):
        return None
    running = [(end, int(seats)) for _, _, end, seats in found if end is not None]
    return refuse(session, int(found[0][0]), running)


def _all(
    store: SqlAlchemyStore, pooled: Any, statement: Any, params: dict[str, Any]
) -> list[Any] | None:
    """Every row of ``statement``, converted as Core converts them; ``None``: Core must run it."""
    compiled = direct.compiled_for(store.engine.dialect, statement)
    if compiled is None:
        return None
    cursor = direct.kept_cursor(pooled, compiled)
    try:
        cursor.execute(compiled.sql, direct.bound(compiled, params))
        found = cursor.fetchall()
    except Exception as error:
        raise _failed(store, pooled, error, compiled.sql) from error
    if not found:
        return []
    if compiled.results is None:
        compiled.results = direct.result_processors(store.engine.dialect, compiled, cursor)
    return [list(direct.converted(compiled, row).values()) for row in found]


class _Unnamed(Exception):  # a signal, not an error anyone sees
    """A driver error no unit would translate: the command takes the long way instead."""


def _sent(
    store: SqlAlchemyStore,
    pooled: Any,
    statement: Any,
    params: dict[str, Any],
    *,
    rowcount: bool = False,
) -> Any:
    """Run ``statement`` on its kept cursor; its row's mapping, or its rowcount with ``rowcount``.

    ``_Unnamed`` for a statement that must go through Core, or a driver error
    the store does not translate; the translated error for one it does.
    """
    compiled = direct.compiled_for(store.engine.dialect, statement)
    if compiled is None:
        raise _Unnamed
    cursor = direct.kept_cursor(pooled, compiled)
    try:
        cursor.execute(compiled.sql, direct.bound(compiled, params))
        if rowcount:
            return cursor.rowcount
        first = cursor.fetchone() if compiled.columns else None
    except Exception as error:
        raise _failed(store, pooled, error, compiled.sql) from error
    if first is None:
        return None
    if compiled.results is None:
        compiled.results = direct.result_processors(store.engine.dialect, compiled, cursor)
    return direct.converted(compiled, first)


def _failed(
    store: SqlAlchemyStore,
    pooled: Any,
    error: Exception,
    statement: str,
    *,
    in_commit: bool = False,
) -> BaseException:
    """What a unit would raise for ``error`` of ``statement``: translated, or ``_Unnamed``.

    A dead connection is invalidated, so the pool opens a new one. Past a
    COMMIT, an error no unit translates is raised as it is: the outcome is
    unknown, so the long way must not run.
    """
    dialect = store.engine.dialect
    dbapi = cast("Any", dialect.loaded_dbapi)
    if not isinstance(error, dbapi.Error) or isinstance(error, dbapi.IntegrityError):
        return error if in_commit else _Unnamed()
    disconnect = bool(dialect.is_disconnect(error, pooled.dbapi_connection, None))
    if disconnect:
        pooled.invalidate(error)
    translated: SessionKitError | None = translate(
        error,
        backend="postgresql",
        statement=statement,
        disconnect=disconnect,
        lock_timeout=store.lock_timeout,
    )
    if translated is None:
        return error if in_commit else _Unnamed()
    if in_commit and isinstance(translated, StorageUnavailable):
        translated.lost_in_commit()
    return translated


def publish(store: SqlAlchemyStore, events: Sequence[DomainEvent]) -> None:
    """Publish a quick booking's events as one batch, as a unit publishes a commit's."""
    if events:
        publish_batches(store.publisher, [tuple(events)])
