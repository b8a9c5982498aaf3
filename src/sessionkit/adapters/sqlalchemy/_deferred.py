"""The events of units joined to a host's session, held back until the host commits.

A unit of work joined with :meth:`~.store.SqlAlchemyStore.join` commits by
releasing a SAVEPOINT; its writes are durable only when the host commits the
real transaction (when the host's session joined a transaction of its own
connection, that connection's: the batches then move there). Its events
wait in the host session's ``info`` until then: the host's commit publishes
them, through the publisher of the store whose unit collected them, and a
rollback of the host's transaction, or of any savepoint that enclosed the
unit's, drops them, as does the end of the host's transaction by any other
way than a commit (``close()``, ``reset()``).

A unit of a store over a ``sessionmaker`` bound to the host's ``Connection``,
in a transaction when the unit began, runs in that transaction the same way
(its session's commit releases its SAVEPOINT): its events wait beside the
connection (:func:`defer_on_connection`), published once the connection's
COMMIT went through and dropped by its rollback, a failed COMMIT, or the
rollback of a savepoint that was open around the unit's writes.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction

from sessionkit.adapters.sqlalchemy._hooks import listen_once
from sessionkit.model.events import DomainEvent
from sessionkit.ports import EventPublisher

__all__ = ["Publishing", "defer", "defer_on_connection", "forget_on_connection"]

_log = logging.getLogger("sessionkit.events")

_PENDING = "sessionkit.pending_events"
"""Where a host session keeps the events of joined units until the host commits."""
_LISTENING = "sessionkit.listening"


class Publishing(Protocol):
    """What holds the publisher of deferred events (a store), read when the host commits."""

    @property
    def publisher(self) -> EventPublisher | None:
        """Where the events go; ``None`` drops them."""
        ...


_Pending = tuple[Publishing, list[DomainEvent], list[SessionTransaction], frozenset[str]]
"""A batch, its store, the session's transactions around it and the connection's savepoints."""

_SESSIONS_ON: weakref.WeakKeyDictionary[Connection, weakref.WeakSet[OrmSession]] = (
    weakref.WeakKeyDictionary()
)
"""Host sessions bound to a Connection with batches pending, by connection: a savepoint
the host rolls back on the connection itself drops the batches it enclosed."""


def defer(
    db: OrmSession,
    store: Publishing,
    events: list[DomainEvent],
    connection: Connection | None = None,
) -> None:
    """Publish ``events`` when the host commits its transaction; drop them on a rollback.

    The batch remembers the transactions enclosing the released savepoint, so
    rolling back any of them (the host's whole transaction, or an outer
    savepoint) drops it; also the savepoints open around it on the Core
    connection the unit ran on (``connection``, or the one the session is
    bound to): the host may open and roll back one on the connection itself
    (``db.connection().begin_nested()``), whatever the session is bound to.
    """
    if not db.info.get(_LISTENING):
        event.listen(db, "before_commit", _committing)
        event.listen(db, "after_commit", _publish_pending)
        event.listen(db, "after_soft_rollback", _drop_pending)
        event.listen(db, "after_transaction_end", _drop_uncommitted)
        db.info[_LISTENING] = True
    chain: list[SessionTransaction] = []
    transaction = db.get_nested_transaction() or db.get_transaction()
    while transaction is not None:
        chain.append(transaction)
        transaction = transaction.parent
    names: frozenset[str] = frozenset()
    bind = db.bind
    on = bind if isinstance(bind, Connection) else connection
    if on is not None:
        names = frozenset(_savepoints(on))
        sessions = _SESSIONS_ON.get(on)
        if sessions is None:
            sessions = _SESSIONS_ON[on] = weakref.WeakSet()
            _listen_on(on)  # now: the batches may move to it from inside its events
            event.listen(on, "rollback_savepoint", _drop_pending_in)
            event.listen(on, "commit", _stage_pending)
        sessions.add(db)
    pending: list[_Pending] = db.info.setdefault(_PENDING, [])
    pending.append((store, events, chain, names))


def _drop_pending_in(connection: Connection, name: str, _context: object) -> None:
    """The host rolled back a savepoint of the connection: drop the batches it enclosed."""
    for session in list(_SESSIONS_ON.get(connection, ())):
        pending: list[_Pending] | None = session.info.get(_PENDING)
        if pending:
            session.info[_PENDING] = [batch for batch in pending if name not in batch[3]]


_COMMITTING = "sessionkit.committing"


def _committing(session: OrmSession) -> None:
    session.info[_COMMITTING] = True


def _stage_pending(connection: Connection) -> None:
    """The host commits the connection's transaction itself: its sessions' batches go with it.

    A session joined to that transaction whose own commit has not run (it is
    closed later, or never) keeps batches whose writes this COMMIT makes
    durable: they move to the connection, which publishes them once the
    COMMIT went through. A session committing now (one that began the
    connection's transaction itself) publishes its own, after its commit.
    """
    for session in list(_SESSIONS_ON.get(connection, ())):
        if not session.info.get(_COMMITTING):
            _hand_over(connection, session.info.pop(_PENDING, []))
    _stage_held(connection)


def _hand_over(connection: Connection, batches: list[_Pending]) -> None:
    """Let ``connection``'s transaction decide ``batches``, with the savepoints around each."""
    for store, events, _chain, names in batches:
        defer_on_connection(connection, store, events, names)


def _to_connection(session: OrmSession, batches: list[_Pending]) -> bool:
    """Hand ``batches`` to the session's connection if it is in a transaction; whether it did.

    The session joined a transaction of its connection ("join a Session into
    an external transaction"): neither its commit nor its end decides, that
    transaction does, as for a bound maker's units.
    """
    outer = session.bind
    if not isinstance(outer, Connection) or not outer.in_transaction():
        return False
    _hand_over(outer, batches)
    return True


def _publish_pending(session: OrmSession) -> None:
    session.info.pop(_COMMITTING, None)
    if session.in_nested_transaction():
        return
    batches: list[_Pending] = session.info.pop(_PENDING, [])
    if _to_connection(session, batches):
        return
    # This runs in SQLAlchemy's after_commit: an error raised here would leave the host's
    # session stuck in its committed transaction (no SQL, not even a rollback, until it
    # is closed). The commit stands; a publisher's error is logged, as at a host
    # connection's commit, and keeps no other batch back.
    for store, events, _chain, _names in batches:
        if store.publisher is None:
            continue
        try:
            store.publisher.publish(tuple(events))
        except Exception:  # noqa: BLE001  # logged: raising would break the host's session
            _log.exception(
                "publishing %d event(s) committed in the host's session failed", len(events)
            )


def _drop_pending(session: OrmSession, previous: SessionTransaction) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [
            batch for batch in pending if all(t is not previous for t in batch[2])
        ]


def _drop_uncommitted(session: OrmSession, transaction: SessionTransaction) -> None:
    """Drop the batches of a host transaction that ended without a commit (``close``, ``reset``).

    A commit published and removed its batches before the transaction ended
    (``after_commit`` comes first); any of its batches left now were never
    committed, unless the session had joined a transaction of its connection,
    which its end leaves open: they wait for that one then. A SAVEPOINT ending
    is left to the rollback listener: released, its batches wait for the real
    commit.
    """
    if transaction.parent is not None:
        return
    session.info.pop(_COMMITTING, None)
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    # A session joined to a transaction of its connection leaves that open when it ends
    # (its savepoints' rollbacks dropped their batches): that transaction decides the rest.
    _to_connection(session, pending)


_Held = tuple[Publishing, list[DomainEvent], frozenset[str]]
"""A batch, its store and the savepoints open around it when it was collected."""

_HELD: weakref.WeakKeyDictionary[Connection, list[_Held]] = weakref.WeakKeyDictionary()
"""The batches each host connection holds (listeners are per Connection object, and its
``info`` belongs to the pooled DBAPI connection, which outlives it)."""

_STAGED: dict[int, tuple[object, list[_Held]]] = {}
"""Batches whose connection's COMMIT was announced, by ``id`` of its DBAPI connection.

SQLAlchemy announces a commit (the ``commit`` event) before it runs it, and
has no event after it: the batches wait here until the COMMIT is known to
have gone through, when the connection begins its next transaction or goes
back to the pool, and are dropped if it failed (``handle_error``).
"""


def defer_on_connection(
    connection: Connection,
    store: Publishing,
    events: list[DomainEvent],
    around: frozenset[str] = frozenset(),
) -> None:
    """Publish ``events`` once ``connection``'s transaction has committed; drop them if not.

    Called before the unit's session commits (releases its SAVEPOINT); a
    rollback of that savepoint, or of any the host had open around it, drops
    the batch, and so does the rollback of the connection's transaction, or
    a COMMIT that fails. After a COMMIT that went through, the batches are
    published, in order, when the connection begins its next transaction or
    is closed (given back to its pool), whichever comes first.
    """
    _listen_on(connection).append((store, events, around | frozenset(_savepoints(connection))))


def _listen_on(connection: Connection) -> list[_Held]:
    """Return the connection's held batches, listening to its transaction's end the first time.

    Called outside the connection's own events (SQLAlchemy refuses a listener
    added while it dispatches one).
    """
    held = _HELD.get(connection)
    if held is None:
        held = _HELD[connection] = []
        event.listen(connection, "commit", _stage_held)
        event.listen(connection, "rollback", _drop_held)
        event.listen(connection, "rollback_savepoint", _drop_held_in)
        event.listen(connection, "begin", _publish_staged_of)
        # Per engine: handle_error exists only there, and the pool's events given to the
        # engine stay with the pool that dispose() makes in place of the old one.
        engine = connection.engine
        listen_once(engine, "handle_error", _drop_staged_on_error)
        listen_once(engine, "checkin", _publish_staged_at_checkin)
        listen_once(engine, "invalidate", _publish_staged_at_invalidation)
        listen_once(engine, "soft_invalidate", _publish_staged_at_invalidation)
    return held


def forget_on_connection(connection: Connection, events: list[DomainEvent]) -> None:
    """Drop the batch ``events`` again (the unit's commit that was to release it failed)."""
    held = _HELD.get(connection)
    if held:
        held[:] = [batch for batch in held if batch[1] is not events]


def _savepoints(connection: Connection) -> list[str]:
    """The names of the connection's open savepoints, innermost first."""
    names: list[str] = []
    nested: Any = connection.get_nested_transaction()
    while nested is not None:
        names.append(nested._savepoint)  # SQLAlchemy's name for it; no public accessor
        nested = nested._previous_nested
    return names


def _dbapi_of(connection: Connection) -> object | None:
    try:
        return connection.connection.dbapi_connection
    except Exception:  # noqa: BLE001  # closed or invalidated: it holds nothing any more
        return None


def _stage_held(connection: Connection) -> None:
    held = _HELD.get(connection)
    if not held:
        return
    dbapi = _dbapi_of(connection)
    staged = _STAGED.setdefault(id(dbapi), (dbapi, []))[1]
    staged.extend(held)
    held.clear()


def _publish(batches: list[_Held]) -> None:
    """Publish every batch, each through its own store; log a publisher's error.

    This runs after the host's COMMIT returned, from the connection's next
    ``begin`` or from the pool taking it back: raising there would fail the
    host's next transaction for an older one, or keep the connection from
    its pool. A failing publisher keeps no other batch back.
    """
    for store, events, _open in batches:
        if store.publisher is None:
            continue
        try:
            store.publisher.publish(tuple(events))
        except Exception:  # noqa: BLE001  # logged: nobody is left to raise it to
            _log.exception(
                "publishing %d event(s) committed in the host's transaction failed", len(events)
            )


def _publish_staged_of(connection: Connection) -> None:
    found = _STAGED.pop(id(_dbapi_of(connection)), None)
    if found is not None:
        _publish(found[1])


def _publish_staged_at_checkin(dbapi_connection: object, _record: object) -> None:
    found = _STAGED.get(id(dbapi_connection))
    if found is not None and found[0] is dbapi_connection:
        del _STAGED[id(dbapi_connection)]
        _publish(found[1])


def _publish_staged_at_invalidation(
    dbapi_connection: object, _record: object, _exception: object = None
) -> None:
    """A connection dropped after a COMMIT that went through: its batches go out now.

    A COMMIT that failed with it was dropped first (``handle_error`` runs
    before the invalidation).
    """
    _publish_staged_at_checkin(dbapi_connection, _record)


def _drop_staged_on_error(context: Any) -> None:
    connection = context.connection
    if connection is not None:
        _STAGED.pop(id(_dbapi_of(connection)), None)


def _drop_held(connection: Connection) -> None:
    held = _HELD.get(connection)
    if held:
        held.clear()
    _STAGED.pop(id(_dbapi_of(connection)), None)


def _drop_held_in(connection: Connection, name: str, _context: object) -> None:
    held = _HELD.get(connection)
    if held:
        held[:] = [batch for batch in held if name not in batch[2]]
