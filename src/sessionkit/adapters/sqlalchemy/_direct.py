"""The hot statements, sent on the driver's cursor beneath Core.

A booking sends two statements: the lock of its session's row and the
checked ``INSERT ... SELECT`` (:mod:`~._bookings`); on PostgreSQL a unit
of work of the store's own sends the ``set_config`` of its lock bound first
(:meth:`~._backend.Backend.bound_waits`, unless its connection has the bound
already), here too. The bookable sessions' listing (:func:`rows`) is the
other: a page of up to 500 rows, whose result rows and two instants each
cost more through Core than converting them here (on 2026-12-04, the same
listing of 291 sessions on PostgreSQL: 1.1-1.4 against 1.4-2.1 ms of client
CPU per call, the driver's statement alone 0.55-0.73). Run through Core, each
also builds an execution context, a result whose metadata is read from the
driver's description of every column, the parameters by way of the compiled
statement, and the events' checks: measured with callgrind on one PostgreSQL
client, 1.91 million instructions per booking through Core against 1.35
million here, where the floor (a hand-written psycopg loop) takes 0.50
million. :func:`run` compiles a statement once per dialect and sends it on
the DBAPI cursor of the unit's own connection, in its transaction, with the
parameters and the columns converted by the same type processors Core uses.

Core runs the statement itself whenever something watches or changes what it
sends, so nothing a host relies on is skipped: a listener of the connection's
or engine's ``before_execute``, ``after_execute``, ``before_cursor_execute``
or ``after_cursor_execute`` (statement counters, auditing, tracing such as
OpenTelemetry's), a dialect ``do_execute`` listener or a dialect class with
its own ``do_execute``, the engine's echo or INFO logging, a
``schema_translate_map``, and a statement Core renders anew per call
(expanding, literal-execute or post-compile parameters, escaped names, a
parameter computed by a callable). The driver's errors, an interrupt and a
type processor's error are handed to Core's own error handling
(``Connection._handle_dbapi_exception``, as Core's execution does), so the
store's fault hook (:mod:`~._faults`) translates them, a processor's error is
a ``StatementError``, and a lost or interrupted connection is invalidated,
exactly as for a statement Core ran; any other error of the driver's call
(psycopg dumping a value, say) passes unwrapped, as Core lets it. A
transaction Core would refuse (inactive after a failed COMMIT, or ended inside
its ``with`` block) is left to Core, which raises; with no transaction begun,
one is begun first, as Core begins it. The difference a ``handle_error``
listener can see: its context has no ``execution_context`` (``None``, as for
an error Core raises outside a statement's execution).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import attrs
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.base import RootTransaction
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

__all__ = [
    "Ran",
    "bound",
    "compiled_for",
    "converted",
    "drop_cursor",
    "kept_cursor",
    "processors_for",
    "result_processors",
    "rows",
    "run",
]

Processor = Callable[[Any], Any]


@attrs.frozen
class Ran:
    """What a statement did: the rows it counted and its first row, by column key."""

    rowcount: int
    row: dict[str, Any] | None = None


@attrs.define
class _Compiled:
    """A statement rendered for one dialect, with what converting its values needs."""

    sql: str
    order: tuple[str, ...] | None
    """The parameters' names in the order a positional driver takes them (else ``None``)."""
    binds: dict[str, Processor]
    defaults: dict[str, Any]
    """The statement's own bound values (literals), converted once."""
    columns: tuple[ColumnElement[Any], ...]
    names: tuple[str, ...]
    """The columns' keys, as a Core row's mapping has them."""
    results: tuple[Processor | None, ...] | None = None
    """The columns' result processors, from the driver's description at the first run."""
    kept: bool = False
    """Whether it runs on a cursor of its own per connection, kept open (:func:`kept_cursor`)."""
    converting: tuple[tuple[str, Processor], ...] = ()
    """``binds`` as pairs: a statement's parameters are many, its converted ones few."""


_CACHE: WeakKeyDictionary[Dialect, dict[Executable, _Compiled | None]] = WeakKeyDictionary()
_CURSORS = "sessionkit.cursors"
"""The key of a pooled connection's ``info`` that holds its kept cursors by statement."""
_HANDLES_ERRORS = hasattr(Connection, "_handle_dbapi_exception")
"""Whether Core's error handling can be called (else Core runs every statement)."""


def run(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> Ran:
    """Run ``statement`` with ``params`` on ``connection``'s transaction; see the module docstring.

    The statement is built once (a module constant, or cached per shape): it
    is compiled once per dialect and kept while the dialect lives.
    """
    compiled = _runnable(connection, statement)
    if compiled is None:
        result = connection.execute(statement, dict(params))
        rowcount = result.rowcount
        found = result.first() if result.returns_rows else None
        return Ran(rowcount, None if found is None else dict(found._mapping))
    with _sent(connection, compiled, params) as cursor:
        first = cursor.fetchone() if compiled.columns else None
        rowcount = cursor.rowcount
        if first is not None and compiled.results is None:
            compiled.results = result_processors(connection.dialect, compiled, cursor)
    if first is None:
        return Ran(rowcount)
    return Ran(rowcount, converted(compiled, first))


def converted(compiled: _Compiled, first: Sequence[Any]) -> dict[str, Any]:
    """The driver's row ``first`` of ``compiled``, by column key, converted as Core converts it."""
    assert compiled.results is not None
    return {
        name: value if process is None else process(value)
        for name, process, value in zip(compiled.names, compiled.results, first, strict=True)
    }


def rows(
    connection: Connection, statement: Executable, params: Mapping[str, Any]
) -> list[Sequence[Any]]:
    """Run the ``SELECT`` ``statement`` as :func:`run` does; return every row, in column order.

    Fetched at once by the driver, each row with its columns converted by
    Core's result processors (a row is a list then, else the driver's own
    tuple); through Core when :func:`run` would go through Core.
    """
    compiled = _runnable(connection, statement)
    if compiled is None:
        return [tuple(row) for row in connection.execute(statement, dict(params))]
    with _sent(connection, compiled, params, keep=False) as cursor:
        found: list[Sequence[Any]] = list(cursor.fetchall())  # PyMySQL's is a tuple
        if compiled.results is None:
            compiled.results = result_processors(connection.dialect, compiled, cursor)
    converting = [(n, p) for n, p in enumerate(compiled.results) if p is not None]
    if not found or not converting:
        return found
    converted: list[Sequence[Any]] = []
    for row in found:
        values = list(row)
        for n, process in converting:
            values[n] = process(values[n])
        converted.append(values)
    return converted


def _runnable(connection: Connection, statement: Executable) -> _Compiled | None:
    """Return the compiled ``statement`` if it can go to the driver's cursor, else ``None``.

    Begins the transaction if none is (as Core begins one, so it then commits
    or rolls back what runs); ``None`` for a transaction Core would refuse.
    """
    compiled = _compiled(connection, statement) if _plain(connection) else None
    if compiled is not None:
        transaction = connection.get_transaction()
        if transaction is None:
            connection.begin()
        elif not _usable(connection, transaction):
            return None  # Core raises what it raises for such a transaction
    return compiled


@contextlib.contextmanager
def _sent(
    connection: Connection, compiled: _Compiled, params: Mapping[str, Any], *, keep: bool = True
) -> Iterator[Any]:
    """Execute ``compiled`` with ``params`` on a cursor of the connection; yield it, then close it.

    Errors of the block (the cursor's fetches) are handled as the execution's.
    With ``keep``, a statement kept per connection (``compiled.kept``) runs on
    its own cursor of that connection, left open for its next run
    (:func:`kept_cursor`); a listing's (``keep=False``) would hold its rows there.
    """
    kept = keep and compiled.kept
    try:  # as Core's parameters are built: an error here is a StatementError
        parameters = bound(compiled, params)
    except Exception as error:  # noqa: BLE001 - wrapped by Core, as its parameters are
        connection._handle_dbapi_exception(error, compiled.sql, None, None, None)
    pooled = connection.connection
    cursor = kept_cursor(pooled, compiled) if kept else pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.sql, parameters)
        yield cursor
    except BaseException as error:
        if kept:
            drop_cursor(pooled, compiled)
        if isinstance(error, Exception) and not isinstance(error, _driver_error(connection)):
            cursor.close()  # as Core, which wraps only the driver's errors of an execution
            raise
        connection._handle_dbapi_exception(error, compiled.sql, parameters, cursor, None)
    if not kept:
        cursor.close()


def bound(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
    """The driver's parameters of ``compiled`` for ``params``, converted as Core converts them."""
    values = {**compiled.defaults, **params}
    for name, process in compiled.converting:
        if name in params:
            values[name] = process(params[name])
    return values if compiled.order is None else [values[n] for n in compiled.order]


def kept_cursor(pooled: PoolProxiedConnection, compiled: _Compiled) -> Any:
    """The cursor ``compiled`` ran on last on ``pooled``'s DBAPI connection (new the first time).

    Only for psycopg (``compiled.kept``), whose client-side cursor holds its
    whole result once the statement ran: nothing stays open on the server,
    and the statements that keep one are few (a booking's lock, its checked
    ``INSERT``s, the lock bound). psycopg keeps a cursor's dumpers and loaders
    while the same query runs on it again (a new cursor, or another query,
    looks them up anew for every parameter and column): a cursor for each of
    a booking's two statements saved 40-55 us of client CPU per booking (one
    client alone, 2026-12-05). The cursors live in the pool's ``info`` of the
    connection, which lasts as long as the DBAPI connection and is cleared
    when the pool replaces it; a cursor whose statement raised is dropped
    (:func:`drop_cursor`).
    """
    dbapi_connection: Any = pooled.dbapi_connection
    kept: dict[str, Any] = pooled.info.setdefault(_CURSORS, {})
    cursor = kept.get(compiled.sql)
    if cursor is None or cursor.closed or cursor.connection is not dbapi_connection:
        cursor = kept[compiled.sql] = dbapi_connection.cursor()
    return cursor


def drop_cursor(pooled: PoolProxiedConnection, compiled: _Compiled) -> None:
    """Forget ``compiled``'s kept cursor on ``pooled`` (its statement raised on it)."""
    pooled.info.get(_CURSORS, {}).pop(compiled.sql, None)


def _driver_error(connection: Connection) -> type[BaseException]:
    error: type[BaseException] = connection.dialect.loaded_dbapi.Error
    return error


def _plain(connection: Connection) -> bool:
    """Whether nothing watches or changes the statements Core would send on ``connection``."""
    dispatch = connection.dialect.dispatch
    return (
        _HANDLES_ERRORS
        and not _watched(connection)
        and not dispatch.do_execute
        and type(connection.dialect).do_execute is DefaultDialect.do_execute
        and not getattr(connection, "_echo", True)
        and not connection.get_execution_options().get("schema_translate_map")
    )


def _usable(connection: Connection, transaction: RootTransaction) -> bool:
    """Whether Core would run a statement in ``transaction`` as it stands.

    Not after a failed COMMIT (the transaction, or its SAVEPOINT, is
    inactive: Core raises ``PendingRollbackError``), nor once the transaction
    of a ``with connection.begin()`` block ended inside the block (Core
    raises ``InvalidRequestError``). The driver would quietly begin a new
    transaction there, which Core knows nothing of.
    """
    nested = connection.get_nested_transaction()
    context = getattr(connection, "_trans_context_manager", None)
    return (
        transaction.is_active
        and (nested is None or nested.is_active)
        and (context is None or context._transaction_is_active())
    )


def _watched(connection: Connection) -> bool:
    """Whether a listener of the connection's (or engine's) execution events would see it.

    A connection with no listeners of its own (``_has_events``, which a
    listener on the connection or on the ``Connection`` class sets) sees only
    its engine's, and its engine's class's, which the engine's dispatch
    holds: asked there, nothing is built per connection. The connection's own
    dispatch joins the engine's anew for each connection, and each event
    asked of it builds a joined listener first.
    """
    dispatch = connection.dispatch if connection._has_events else connection.engine.dispatch
    return bool(
        dispatch.before_execute
        or dispatch.after_execute
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
    )


def _compiled(connection: Connection, statement: Executable) -> _Compiled | None:
    """Return ``statement`` compiled for the connection's dialect (``None``: Core must run it)."""
    return compiled_for(connection.dialect, statement)


def compiled_for(dialect: Dialect, statement: Executable) -> _Compiled | None:
    """Return ``statement`` compiled for ``dialect``, once (``None``: Core must run it)."""
    known = _CACHE.get(dialect)
    if known is None:
        known = _CACHE[dialect] = {}
    try:
        return known[statement]
    except KeyError:
        compiled = known[statement] = _compile(dialect, statement)
        return compiled


def _compile(dialect: Dialect, statement: Executable) -> _Compiled | None:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    assert isinstance(compiled, SQLCompiler)
    if (
        compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
        or any(bind.callable is not None for bind in compiled.binds.values())
    ):
        return None  # rendered anew per call: Core's to run
    binds: dict[str, Processor] = {}
    defaults: dict[str, Any] = {}
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
        if not bind.required:
            defaults[name] = bind.value if process is None else process(bind.value)
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    columns = tuple(getattr(statement, "selected_columns", ()))
    names = tuple(str(column.key) for column in columns)
    kept = dialect.driver == "psycopg"
    converting = tuple(binds.items())
    return _Compiled(
        compiled.string, order, binds, defaults, columns, names, kept=kept, converting=converting
    )


def result_processors(
    dialect: Dialect, compiled: _Compiled, cursor: Any
) -> tuple[Processor | None, ...]:
    """The columns' result processors, for the types the driver describes (read once)."""
    return processors_for(dialect, compiled, [entry[1] for entry in cursor.description])


def processors_for(
    dialect: Dialect, compiled: _Compiled, codes: Sequence[Any]
) -> tuple[Processor | None, ...]:
    """The columns' result processors, for the driver's type ``codes`` of the columns."""
    return tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, code)
        for column, code in zip(compiled.columns, codes, strict=True)
    )
