"""A few statements in one round trip, on psycopg's libpq connection (pipeline mode).

The quick booking (:mod:`~._quick`) sends its transaction in two round trips:
``BEGIN``, the lock bound and the session's lock, then the checked
``INSERT`` and ``COMMIT``; through psycopg's cursors that is four, each
with psycopg's Python around it. :func:`sent` hands a list of
:class:`Step` to libpq in pipeline mode (PostgreSQL's extended protocol,
one ``Sync`` at the end) and reads every result back. Measured with 16
client processes on 2 cores (2026-12-06), the same statements sent so
filled the sessions in 0.62x the hand-written floor's time, against 1.04x
through psycopg's cursors, at about half the client CPU per booking.

What stays psycopg's: the connection and its libpq (``pgconn``), the
parameters dumped and the columns loaded by its :class:`~psycopg.adapt.Transformer`
(with the connection's adapters, a host's own included), its errors
(:func:`psycopg.errors.error_from_result`, the class a cursor raises for
the same SQLSTATE), and its waiting (:meth:`psycopg.Connection.wait`, which
a ``KeyboardInterrupt`` cancels). A statement is prepared on the server at
its first run on a connection, as psycopg prepares one at its fifth, under
a name of sessionkit's (``_sessionkit_N``, never one of psycopg's); on a
connection whose ``prepare_threshold`` is ``None`` (psycopg's switch for
PgBouncer's transaction pooling) nothing is prepared and each statement is
parsed anew. A statement the server no longer knows (a ``DEALLOCATE ALL``
or ``DISCARD ALL``: the host's, or psycopg's own after its ``ROLLBACK``)
forgets the connection's names, and the round trip is sent once more,
prepared anew (:func:`sent`).

Once a step fails, PostgreSQL skips the rest up to the ``Sync``
(``PIPELINE_ABORTED``); a ``COMMIT`` among them is not run. The connection
leaves pipeline mode before :func:`sent` returns or raises, so psycopg
finds it as it left it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy.engine import Dialect

from sessionkit.adapters.sqlalchemy import _direct as direct

__all__ = ["BEGIN", "COMMIT", "Lost", "Step", "StepFailed", "rolled_back", "sent", "supported"]

_WIRE = "sessionkit.wire"
"""The key of a pooled connection's ``info`` that holds its :class:`_Wire`."""
_NAMED = re.compile(r"%\(([^)]+)\)s|%%")
_PREPARED_MAX = 64
"""Names known per connection at most (a booking's statements take three or four);
past it, statements are parsed at each run. Names forgotten with the server's
(``DEALLOCATE ALL``) do not count: a connection whose names went twenty times
would otherwise never prepare again."""


@attrs.frozen
class Step:
    """One statement of a pipeline: ``compiled`` with ``params``, or a bare ``command``."""

    compiled: Any = None
    """A :mod:`~._direct` compiled statement (``None`` for a ``command``)."""
    params: Mapping[str, Any] = attrs.field(factory=dict)
    binary: bool = False
    """Whether its rows come in the binary format."""
    command: bytes | None = None


BEGIN = Step(command=b"BEGIN")
COMMIT = Step(command=b"COMMIT")
_ROLLBACK = Step(command=b"ROLLBACK")


@attrs.frozen
class Done:
    """What one step gave: its rows as psycopg loaded them, in column order, and the rows it wrote.

    Core's result processors convert a row (:func:`~._direct.converted`).
    """

    rows: list[tuple[Any, ...]]
    rowcount: int


class StepFailed(Exception):  # carries the driver's error, raised by the caller
    """Step ``index`` failed with the driver's ``error`` (of ``statement``, when a statement)."""

    def __init__(self, index: int, error: Exception, statement: str | None) -> None:
        super().__init__(index, error, statement)
        self.index = index
        self.error = error
        self.statement = statement


class _Forgotten(StepFailed):
    """The server no longer knows a name of sessionkit's (SQLSTATE 26000): all were forgotten.

    Or it can no longer run one (SQLSTATE 0A000: a column it returns changed
    type): that name was forgotten, and is in ``stale``, to deallocate.
    """

    stale: tuple[bytes, ...] = ()


class Lost(Exception):
    """The connection failed before every result came back: ``error`` is the driver's."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


@functools.cache
def supported() -> bool:
    """Whether psycopg's libpq has pipeline mode (libpq 14 or later, built and loaded)."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the quick way asks only with psycopg loaded
        return False
    return bool(psycopg.Pipeline.is_supported())


@attrs.define
class _Wire:
    """A psycopg connection's prepared statements and transformers, kept while it lives."""

    connection: Any
    prepare: bool
    prepared: dict[tuple[bytes, tuple[int, ...]], bytes] = attrs.Factory(dict)
    """Each statement's (and parameter types') name on the server."""
    named: int = 0
    """Names given so far: a name is never given twice on one connection."""
    transformers: dict[tuple[str, bool], Any] = attrs.Factory(dict)
    loading: dict[tuple[str, bool], tuple[int, ...]] = attrs.Factory(dict)
    """The column types each transformer's loaders were chosen for: a statement gives the
    same columns until a column's type changes (an ``ALTER TABLE`` on any connection)."""


def _wire(pooled: Any) -> _Wire:
    connection = pooled.dbapi_connection
    wire: _Wire | None = pooled.info.get(_WIRE)
    if wire is None or wire.connection is not connection:
        wire = pooled.info[_WIRE] = _Wire(connection, connection.prepare_threshold is not None)
    return wire


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``sql`` (psycopg's ``%(name)s`` style) with ``$n`` placeholders, and the names in order."""
    order: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _NAMED.sub(placeholder, sql).encode(), tuple(order)


def sent(pooled: Any, dialect: Dialect, steps: Sequence[Step]) -> list[Done]:
    """Send ``steps`` in one round trip on ``pooled``'s psycopg connection; what each gave.

    A statement's rows are converted by Core's result processors for ``dialect``
    (:func:`~._direct.converted` turns one into a row by column key).

    :class:`StepFailed` for the first step the server failed (the later ones
    did not run), :class:`Lost` when the connection failed on the way.

    A name the server no longer knows (a ``DEALLOCATE ALL``: psycopg sends one
    at its own ``ROLLBACK`` whenever it has statements of its own prepared, so
    after any unit of work that rolled back) forgets the connection's names, and
    the steps are sent once more, prepared anew, when nothing of theirs can have
    stayed: their own transaction (begun by their ``BEGIN``, rolled back first),
    or the implicit one the failed pipeline ended.
    """
    from psycopg import pq

    try:
        return _sent_once(pooled, dialect, steps)
    except _Forgotten as forgotten:
        status = pooled.dbapi_connection.pgconn.transaction_status
        # DEALLOCATE is no transaction's: it runs in whichever block it meets.
        dropped = [Step(command=b"DEALLOCATE " + name) for name in forgotten.stale]
        if status == pq.TransactionStatus.IDLE:
            again = [*dropped, *steps]
        elif status == pq.TransactionStatus.INERROR and steps and steps[0] is BEGIN:
            again = [_ROLLBACK, *dropped, *steps]
        else:
            raise  # a transaction of earlier round trips: its caller takes the long way
    skipped = len(again) - len(steps)
    try:
        return _sent_once(pooled, dialect, again)[skipped:]
    except StepFailed as failed:
        raise StepFailed(max(0, failed.index - skipped), failed.error, failed.statement) from (
            failed.__cause__
        )


def rolled_back(pooled: Any, dialect: Dialect) -> None:
    """End ``pooled``'s transaction, if it is in one, with a ``ROLLBACK`` of its own.

    psycopg's ``rollback()`` sends a ``DEALLOCATE ALL`` after it whenever it has
    statements of its own prepared, which forgets sessionkit's too; in any
    other state than in a transaction (or a failed one), psycopg's is used.
    """
    from psycopg import pq

    connection = pooled.dbapi_connection
    status = connection.pgconn.transaction_status
    if status == pq.TransactionStatus.IDLE:
        return
    if status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
        sent(pooled, dialect, [_ROLLBACK])
    else:
        connection.rollback()


def _sent_once(pooled: Any, dialect: Dialect, steps: Sequence[Step]) -> list[Done]:
    """:func:`sent`, once."""
    from psycopg import pq
    from psycopg.adapt import PyFormat

    wire = _wire(pooled)
    connection = wire.connection
    pgconn = connection.pgconn
    # Every parameter is dumped before anything is sent, as a cursor dumps before it
    # sends: a value psycopg cannot dump (one the connection's encoding cannot encode)
    # then fails with nothing queued, and the connection stays usable (libpq does not
    # leave pipeline mode with a command queued and not synced).
    dumped_steps: list[tuple[Any, Any, tuple[int, ...], list[Any]] | None] = []
    for index, step in enumerate(steps):
        if step.command is not None:
            dumped_steps.append(None)
            continue
        compiled = step.compiled
        order = _numbered(compiled.sql)[1]
        key = (compiled.sql, step.binary)
        tx = wire.transformers.get(key)
        if tx is None:
            tx = wire.transformers[key] = _transformer(connection)
        try:
            values = direct.bound(compiled, step.params)
            dumped = tx.dump_sequence([values[n] for n in order], [PyFormat.AUTO] * len(order))
        except Exception as error:
            raise StepFailed(index, error, compiled.sql) from error
        dumped_steps.append((tx, dumped, tuple(tx.types), list(tx.formats)))
    sending: list[tuple[int, Any, bool, str | None]] = []  # (step, transformer, prepare, sql)
    try:
        pgconn.enter_pipeline_mode()
    except Exception as error:  # a closed connection, say
        raise Lost(error) from error
    try:
        for index, (step, dumping) in enumerate(zip(steps, dumped_steps, strict=True)):
            if dumping is None:
                command = _begin(connection) if step is BEGIN else step.command
                pgconn.send_query_params(command, None)
                sending.append((index, None, False, None))
                continue
            compiled = step.compiled
            sql = _numbered(compiled.sql)[0]
            tx, dumped, types, formats = dumping
            result_format = pq.Format.BINARY if step.binary else pq.Format.TEXT
            if not wire.prepare:
                pgconn.send_query_params(sql, dumped, types, formats, result_format)
                sending.append((index, tx, False, compiled.sql))
                continue
            name = wire.prepared.get((sql, types))
            prepare = name is None
            if name is None:
                if len(wire.prepared) >= _PREPARED_MAX:  # live names: forgotten ones are gone
                    pgconn.send_query_params(sql, dumped, types, formats, result_format)
                    sending.append((index, tx, False, compiled.sql))
                    continue
                wire.named += 1  # never a name used before on this connection
                name = f"_sessionkit_{wire.named}".encode()
                pgconn.send_prepare(name, sql, types)
                sending.append((index, None, True, compiled.sql))
            pgconn.send_query_prepared(name, dumped, formats, result_format)
            sending.append((index, tx, False, compiled.sql))
            if prepare:
                wire.prepared[(sql, types)] = name  # forgotten if the server refuses it
        pgconn.pipeline_sync()
        results = _received(connection, len(sending))
    except (StepFailed, Lost):
        _leave(pgconn)
        raise
    except Exception as error:
        _leave(pgconn)
        raise Lost(error) from error
    except BaseException:
        # An interrupt (psycopg's wait reads the answer to its end first, then raises it
        # again): the connection leaves pipeline mode all the same, or is closed.
        _leave(pgconn)
        raise
    _leave(pgconn)
    return _read(wire, dialect, steps, sending, results)


def _read(
    wire: _Wire,
    dialect: Dialect,
    steps: Sequence[Step],
    sending: list[tuple[int, Any, bool, str | None]],
    results: list[Any],
) -> list[Done]:
    from psycopg import errors, pq

    done: list[Done] = []
    encoding = wire.connection.info.encoding
    for position, ((index, tx, preparing, sql), result) in enumerate(
        zip(sending, results, strict=True)
    ):
        status = result.status
        if status == pq.ExecStatus.FATAL_ERROR:
            error = errors.error_from_result(result, encoding=encoding)
            if _unknown_name(result):
                wire.prepared.clear()  # the server forgot them (DEALLOCATE ALL): prepared anew
                raise _Forgotten(index, error, sql)
            if _replanned(result) and not preparing and sql is not None:
                # A plan the server will not run again (a column's type changed under
                # it): forgotten, as psycopg forgets a prepared statement that failed,
                # and deallocated when the round trip is sent again.
                replanned = _Forgotten(index, error, sql)
                replanned.stale = _forget(wire, sql)
                if replanned.stale:
                    raise replanned
            for _, _, skipped, skipped_sql in sending[position:]:
                if skipped and skipped_sql is not None:  # this PREPARE, or one that never ran
                    _forget(wire, skipped_sql)
            raise StepFailed(index, error, sql)
        if status == pq.ExecStatus.PIPELINE_ABORTED:  # pragma: no cover - after a failure
            raise StepFailed(index, errors.InternalError("pipeline aborted"), sql)
        if preparing:
            continue
        step = steps[index]
        rows: list[tuple[Any, ...]] = []
        if status == pq.ExecStatus.TUPLES_OK and tx is not None:
            key = (step.compiled.sql, step.binary)
            types = tuple(result.ftype(n) for n in range(result.nfields))
            try:  # a loader's error (a host's own loader, say) is the step's, as a fetch's
                tx.set_pgresult(result, set_loaders=wire.loading.get(key) != types)
                wire.loading[key] = types
                rows = tx.load_rows(0, result.ntuples, tuple)
            except Exception as error:
                raise StepFailed(index, error, sql) from error
            compiled = step.compiled
            if compiled.results is None and compiled.columns:
                codes = [result.ftype(n) for n in range(result.nfields)]
                compiled.results = direct.processors_for(dialect, compiled, codes)
        done.append(Done(rows, int(result.command_tuples or 0)))
    return done


def _unknown_name(result: Any) -> bool:
    """Whether ``result`` says a prepared statement is unknown (SQLSTATE 26000)."""
    from psycopg import pq

    return bool(result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000")


def _replanned(result: Any) -> bool:
    """Whether ``result`` says a prepared plan's result type changed (SQLSTATE 0A000)."""
    from psycopg import pq

    return bool(result.error_field(pq.DiagnosticField.SQLSTATE) == b"0A000")


def _transformer(connection: Any) -> Any:
    from psycopg.adapt import Transformer

    return Transformer(connection)


def _received(connection: Any, expected: int) -> list[Any]:
    """Every result up to the ``Sync``, waited for as psycopg waits (interruptible)."""
    from psycopg import errors

    pgconn = connection.pgconn
    results: list[Any] = connection.wait(_until_sync(pgconn))
    # Fewer is known only after a step the server failed (it ran nothing after it); more
    # (a FATAL after the last step, before the Sync) leaves what ran unknown.
    short = len(results) < expected and _refused_by_server(results)
    if len(results) != expected and not short:
        raise errors.OperationalError(
            f"expected {expected} results in the pipeline, received {len(results)}"
        )
    return results


def _until_sync(pgconn: Any) -> Any:
    """A psycopg wait generator: the results of the pipeline up to its ``Sync``."""
    from psycopg import errors, pq
    from psycopg.waiting import Ready, Wait

    while pgconn.flush() != 0:
        ready = yield Wait.RW
        if ready & Ready.R:  # as psycopg's own send: read what came, or wake again at once
            pgconn.consume_input()
    results: list[Any] = []
    while True:
        try:
            while pgconn.is_busy():
                yield Wait.R
                pgconn.consume_input()
        except errors.OperationalError:
            if _refused_by_server(results):
                return results  # what ran is known: nothing after the failed step
            raise
        result = pgconn.get_result()
        if result is None:  # the end of one statement's results
            if pgconn.status != pq.ConnStatus.OK:
                if _refused_by_server(results):
                    return results
                raise errors.OperationalError("the connection to the server was lost")
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results
        results.append(result)


def _begin(connection: Any) -> bytes:
    """The ``BEGIN`` psycopg sends on ``connection``: with its isolation level and access mode.

    SQLAlchemy sets an engine's ``isolation_level`` (and ``postgresql_readonly``,
    ``postgresql_deferrable``) on the psycopg connection, whose cursors begin
    each transaction with them; a bare ``BEGIN`` runs in the server's defaults
    (``default_transaction_isolation``) instead.
    """
    parts = [b"BEGIN"]
    level = connection.isolation_level
    if level is not None:
        parts.append(b"ISOLATION LEVEL " + level.name.replace("_", " ").encode())
    if connection.read_only is not None:
        parts.append(b"READ ONLY" if connection.read_only else b"READ WRITE")
    if connection.deferrable is not None:
        parts.append(b"DEFERRABLE" if connection.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _refused_by_server(results: Sequence[Any]) -> bool:
    """Whether the server failed one of ``results`` itself (an error with its SQLSTATE).

    It ran nothing of the pipeline after that step (it skips to the ``Sync``,
    or ended the session, as a ``FATAL`` error does): a connection lost after
    it leaves no ``COMMIT`` in doubt. An error libpq makes up for a lost
    connection has no SQLSTATE: the server may have run the step.
    """
    from psycopg import pq

    return any(
        result.status == pq.ExecStatus.FATAL_ERROR
        and result.error_field(pq.DiagnosticField.SQLSTATE) is not None
        for result in results
    )


def _leave(pgconn: Any) -> None:
    """Leave pipeline mode (psycopg's own calls refuse to run in it)."""
    if pgconn.pipeline_status:
        try:
            pgconn.exit_pipeline_mode()
        except Exception:  # noqa: BLE001  # results unread (a lost connection): closed instead
            pgconn.finish()


def _forget(wire: _Wire, sql: str) -> tuple[bytes, ...]:
    """Forget the names of ``sql`` (so the next run prepares it again); the names forgotten."""
    numbered = _numbered(sql)[0]
    return tuple(wire.prepared.pop(key) for key in [k for k in wire.prepared if k[0] == numbered])
