"""A plain booking's quickest way on PostgreSQL: one transaction on the driver's connection.

:meth:`SqlAlchemyStore.book_quickly <.store.SqlAlchemyStore.book_quickly>`
(the :class:`~sessionkit.ports.QuickBookings` port) takes a booking command's
common case without a unit of work, in two round trips on a connection
checked out of the engine's pool (:mod:`~._wire`, libpq's pipeline mode):
``BEGIN``, the lock bound (:meth:`~._backend.Backend.bound_waits`, when the
connection lacks it) and the lock of the session's row
(:data:`~._booking_statements.SESSION_FOR_UPDATE`); then, once the services
admitted the booking, the checked, settled ``INSERT ... SELECT``
(:func:`~._booking_statements.insert_checked`) and the ``COMMIT``. The SQL
is the unit's, but for two things a unit cannot know: the session's
capacity is passed to the insert as read under the lock (``capacity=True``;
the unit's insert reads the row again), and the locked row comes in the
binary format. The database keeps capacity exact in the same way: the
insert's own check decides, under the lock; when it writes no row, the
``COMMIT`` sent with it commits nothing but the lock. What is saved is the
unit's Python around the statements (the Core connection, its transaction
objects, the ORM-like session, the repository, the command's unit-of-work
bookkeeping), psycopg's cursors, and two of a transaction's four round
trips. Same-run figures, 16 client processes on 2 cores, 2026-12-06: the
sessions filled in 1.25x the hand-written floor's time, against 1.54x with
the same statements sent one by one on psycopg's cursors.

Only where nothing would tell the two ways apart: a store over an ``Engine``
(not a ``sessionmaker``, not joined to a host's session, its ``unit_of_work``
not overridden) on psycopg with a libpq that has pipeline mode (14 or later),
whose units need not set the isolation level, with nothing watching or
changing the statements Core would send (the conditions of :mod:`~._direct`),
the transactions it begins and commits, or its errors (a host's
``engine_connect``, ``begin``, ``commit``, ``rollback`` or ``handle_error``
listener), no execution option that changes what a unit's
connection writes (``postgresql_readonly``), and bookings stored as sessionkit
registers them (not a host's ``register(BOOKINGS, ...)``).

A session that is only full (nothing run out, nobody waiting, the participant
not in it, no idempotency key) is refused here, with the error the services
build from one read after the COMMIT (:func:`_refused`). Anything else
the quick way does not take (a missing session, another refusal, a session
to settle, a taken idempotency key, an error no unit would name) is answered
``None`` with nothing written: the command then runs in a unit of work, which
finds and raises what refused it. A failure the store's units translate (a
lock wait past ``lock_timeout``, a lost connection, a deadlock, a pool with no
connection to lend) is translated here the same way and raised, so a command
never waits twice; a COMMIT that fails leaves the outcome unknown, as a
unit's does (:meth:`~sessionkit.errors.StorageUnavailable.lost_in_commit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from sessionkit.adapters.sqlalchemy import _booking_queries as queries
from sessionkit.adapters.sqlalchemy import _booking_statements as sql
from sessionkit.adapters.sqlalchemy import _deferred, _faults
from sessionkit.adapters.sqlalchemy import _direct as direct
from sessionkit.adapters.sqlalchemy import _wire as wire
from sessionkit.adapters.sqlalchemy._bookings import SqlAlchemyBookingRepository
from sessionkit.adapters.sqlalchemy._faults import translate
from sessionkit.adapters.sqlalchemy._kind import registered
from sessionkit.adapters.sqlalchemy._lock_settings import _SET_LOCK_TIMEOUT
from sessionkit.adapters.sqlalchemy._unit_failures import pool_timed_out
from sessionkit.adapters.sqlalchemy.booking_rows import booking_values, bookings_table
from sessionkit.adapters.sqlalchemy.mapping import session_from_row
from sessionkit.errors import SessionKitError, StorageUnavailable
from sessionkit.model.booking import Booking, stamped_at
from sessionkit.model.events import DomainEvent
from sessionkit.model.session import Session
from sessionkit.ports import BOOKINGS, QuickRefusal, publish_batches

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
    options = engine.get_execution_options()
    return (
        dialect.driver == "psycopg"
        and wire.supported()
        and not (
            dispatch.before_execute
            or dispatch.after_execute
            or dispatch.before_cursor_execute
            or dispatch.after_cursor_execute
            # A unit's Core connection fires these too: a host's listener must see them.
            or dispatch.engine_connect
            or dispatch.begin
            or dispatch.commit
            or dispatch.rollback
        )
        and not dialect.dispatch.do_execute
        # A unit's driver errors go through Core's chain, which calls the host's hooks.
        and all(hook in _OWN_ERROR_HOOKS for hook in dialect.dispatch.handle_error)
        and type(dialect).do_execute is DefaultDialect.do_execute
        and not engine._should_log_info()  # Core's own echo test
        and not any(options.get(name) for name in _CHANGING_OPTIONS)
        and store.backend.isolation_to_set(options, dialect) is None
        and _sessionkits_bookings()
    )


def _sessionkits_bookings() -> bool:
    """Whether bookings are stored as sessionkit registered them (a host may register its own).

    The quick way writes :func:`~.booking_rows.booking_values` with the
    repository's statements: a description of the host's (its ``values``,
    its repository) is what a unit writes with.
    """
    found = registered(BOOKINGS.name)
    if found is None:
        return False
    description = found[1]
    return (
        description.values is booking_values
        and description.repository is SqlAlchemyBookingRepository
        and description.table is bookings_table
    )


_OWN_ERROR_HOOKS = frozenset({_faults._on_error, _deferred._drop_staged_on_error})
"""sessionkit's own ``handle_error`` listeners, whose work :func:`_failed` does itself."""
_CHANGING_OPTIONS = ("schema_translate_map", "postgresql_readonly", "postgresql_deferrable")
"""Engine execution options a unit's Core connection applies, which change what it writes."""


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
    except PoolTimeout as error:
        # Raised as a unit raises it: the long way would wait pool_timeout a second time.
        raise pool_timed_out(store.engine.pool, store.backend.name) from error
    except Exception as error:
        # A database that refuses connections, translated as a unit's hook translates it
        # (the long way would wait for the connection to fail a second time); else the
        # unit asks the pool again and says what failed.
        refused = _failed(store, None, error, None)
        if isinstance(refused, _Unnamed):
            return None
        raise refused from error
    try:
        locking = {"tenant": tenant, "session_id": session_id}
        # The locked row comes in the binary format: less for both sides to convert.
        opening = [wire.BEGIN, *_bound(store, pooled)]
        opening.append(_step(store, sql.SESSION_FOR_UPDATE, locking, binary=True))
        found = _row(opening[-1], _sent(store, pooled, opening)[-1])
        if found is None:
            return None
        session = session_from_row(found)
        booking = admit(session)
        if booking is None or not booking.active:
            return None
        at = stamped_at(booking)
        params = booking_values(booking)
        params["at"] = at
        params["capacity"] = session.capacity  # locked: it stays as read
        seats = booking.takes_seats(at)
        statement = sql.insert_checked("postgresql", True, seats, True, capacity=True)
        # The COMMIT goes with the insert: with no row written it commits only the lock.
        inserting = _step(store, statement, params)
        written = _sent(store, pooled, [inserting, wire.COMMIT], committing=True)
        if written[0].rowcount == 1:
            return booking
        refusal = None if refuse is None else _refused(store, pooled, session, booking, refuse)
        if refusal is None:
            return None
        raise refusal
    except _Unnamed:
        return None
    except BaseException as error:
        if not isinstance(error, Exception):
            # An interrupt mid-statement (Core invalidates such a connection too).
            pooled.invalidate(error)
        raise
    finally:
        _ended(store, pooled)


def _bound(store: SqlAlchemyStore, pooled: Any) -> list[wire.Step]:
    """The transaction's lock bound, unless the connection has it (see ``Backend.bound_waits``)."""
    timeout = store.backend.pg_lock_timeout
    if timeout is None or store.backend.driver_bounded(pooled.dbapi_connection):
        return []
    return [_step(store, _SET_LOCK_TIMEOUT, {"timeout": timeout})]


def _ended(store: SqlAlchemyStore, pooled: Any) -> None:
    """Roll back what did not commit, then give the connection back to the pool.

    As Core's ``Connection.close`` does for a unit's, whatever the pool's
    ``reset_on_return``: with ``None`` (or ``"commit"``) the pool would hand
    on a connection still in the transaction, holding the session's row lock
    (a unit of work taking the long way then waited for it). Nothing is sent
    for a connection not in a transaction, so a committed booking, and the
    pool's own reset after this one, cost no round trip; the ``ROLLBACK`` goes
    through libpq (:func:`~._wire.rolled_back`), as psycopg's own would also
    deallocate every prepared statement, the quick way's with psycopg's.
    """
    try:
        if pooled.is_valid:
            wire.rolled_back(pooled, store.engine.dialect)
    except BaseException as error:
        # A dead connection, or an interrupt mid-ROLLBACK (as Core's pool invalidates one
        # whose reset was interrupted): the pool opens another.
        pooled.invalidate(error)
        if not isinstance(error, Exception):
            raise
    finally:
        pooled.close()


def _refused(
    store: SqlAlchemyStore, pooled: Any, session: Session, booking: Booking, refuse: QuickRefusal
) -> BaseException | None:
    """Why the insert took no row, if only because the session is full: ``refuse``'s error.

    One read (:data:`~._booking_queries.FULL`, a statement of its own after
    the COMMIT, so one snapshot) finds the seats taken at the booking's
    instant, as a unit's settling sums them, and the running holds' ends, for
    ``refuse`` to say when seats may free (``refuse`` answers ``None`` when
    seats freed meanwhile). ``None`` (the long way finds out) when the
    session has a hold that ran out or anyone waiting, the participant is in
    it already, or the request has an idempotency key (it may be a replay).
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
    reading = _step(store, queries.FULL, params)
    (done,) = _sent(store, pooled, [reading])
    found = [list(direct.converted(reading.compiled, row).values()) for row in done.rows]
    if any(acting for _, acting, _, _ in found):  # one row at least
        return None
    running = [(end, int(seats)) for _, _, end, seats in found if end is not None]
    return refuse(session, int(found[0][0]), running)


class _Unnamed(Exception):  # a signal, not an error anyone sees
    """A driver error no unit would translate: the command takes the long way instead."""


def _step(
    store: SqlAlchemyStore, statement: Any, params: dict[str, Any], *, binary: bool = False
) -> wire.Step:
    """``statement`` as a step of a round trip (``_Unnamed``: one Core must render per call)."""
    compiled = direct.compiled_for(store.engine.dialect, statement)
    if compiled is None:
        raise _Unnamed
    return wire.Step(compiled, params, binary)


def _sent(
    store: SqlAlchemyStore, pooled: Any, steps: list[wire.Step], *, committing: bool = False
) -> list[wire.Done]:
    """Send ``steps`` in one round trip (:func:`~._wire.sent`); what each step gave.

    A failure is translated as a unit's (:func:`_failed`). ``committing``:
    the steps end with the COMMIT, so a failure of the COMMIT, or of the
    connection before the server answered (it may have run both), leaves the
    outcome unknown; a step the server failed before the COMMIT (the connection
    lost after it, even: a FATAL error) ran no COMMIT.
    """
    try:
        return wire.sent(pooled, store.engine.dialect, steps)
    except wire.StepFailed as failed:
        step = steps[failed.index]
        statement = failed.statement or (step.command or b"").decode()
        unknown = committing and step is wire.COMMIT
        failure = _failed(store, pooled, failed.error, statement, in_commit=unknown)
        error = failed.error
    except wire.Lost as lost:
        failure = _failed(store, pooled, lost.error, None, in_commit=committing)
        error = lost.error
    if failure is error:
        raise error
    raise failure from error


def _row(step: wire.Step, done: wire.Done) -> dict[str, Any] | None:
    """The first row ``step`` gave, by column key (``None`` without one)."""
    return direct.converted(step.compiled, done.rows[0]) if done.rows else None


def _failed(
    store: SqlAlchemyStore,
    pooled: Any | None,
    error: Exception,
    statement: str | None,
    *,
    in_commit: bool = False,
) -> BaseException:
    """What a unit would raise for ``error`` of ``statement``: translated, or ``_Unnamed``.

    ``pooled`` is ``None`` for the pool's error opening a connection (no
    statement ran). A dead connection is invalidated with the pool's older
    ones, as Core invalidates them, so the pool opens new ones. Past a
    COMMIT, a driver error no unit translates is raised as Core raises a
    unit's (:func:`_as_core`): the outcome is unknown, so the long way must
    not run.
    """
    dialect = store.engine.dialect
    dbapi = cast("Any", dialect.loaded_dbapi)
    if not isinstance(error, dbapi.Error):
        return error if in_commit else _Unnamed()
    if isinstance(error, dbapi.IntegrityError):  # a deferred constraint's, at a COMMIT
        return _as_core(store, error, disconnect=False) if in_commit else _Unnamed()
    dbapi_connection = None if pooled is None else pooled.dbapi_connection
    disconnect = bool(dialect.is_disconnect(error, dbapi_connection, None))
    if disconnect and pooled is not None:
        # As Core does for a unit's statement: every connection the pool opened before
        # this one is stale too (a server restart ends them all), and is replaced at its
        # next checkout rather than failing the next command in turn. Invalidates this one.
        store.engine.pool._invalidate(pooled, error)
    translated: SessionKitError | None = translate(
        error,
        backend="postgresql",
        statement=statement,
        disconnect=disconnect,
        lock_timeout=store.lock_timeout,
    )
    if translated is None:
        return _as_core(store, error, disconnect=disconnect) if in_commit else _Unnamed()
    if in_commit and isinstance(translated, StorageUnavailable):
        translated.lost_in_commit()
    return translated


def _as_core(store: SqlAlchemyStore, error: Exception, *, disconnect: bool) -> StatementError:
    """The driver's ``error`` of a COMMIT wrapped as Core wraps a unit's (``sqlalchemy.exc``)."""
    dialect = store.engine.dialect
    return DBAPIError.instance(
        None,
        None,
        error,
        cast("Any", dialect.loaded_dbapi).Error,
        hide_parameters=store.engine.hide_parameters,
        connection_invalidated=disconnect,
        dialect=dialect,
    )


def publish(store: SqlAlchemyStore, events: Sequence[DomainEvent]) -> None:
    """Publish a quick booking's events as one batch, as a unit publishes a commit's."""
    if events:
        publish_batches(store.publisher, [tuple(events)])
