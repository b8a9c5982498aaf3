"""The store and its unit of work: one SQLAlchemy ``Session`` (one transaction) per unit.

A :class:`SqlAlchemyStore` is built over an :class:`~sqlalchemy.engine.Engine`
or a :class:`~sqlalchemy.orm.sessionmaker`; each :meth:`SqlAlchemyStore.unit_of_work`
opens its own session and transaction. :meth:`SqlAlchemyStore.join` instead
runs a unit of work inside a session the host application already has open (a
FastAPI request's session, say): the unit becomes a SAVEPOINT, its ``commit``
releases it, and its events are published when the host commits the real
transaction (and dropped if the host rolls back).

While a unit is open, the database's own failures become sessionkit errors
(:mod:`~._faults`): a deadlock is a ``TransientConflict``, a lost connection
``StorageUnavailable``, a lock wait past ``lock_timeout`` ``StorageTimeout``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType
from typing import Self, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.base import NestedTransaction, RootTransaction
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, sessionmaker

from sessionkit.adapters.sqlalchemy import (
    _analytics,  # noqa: F401  # registers the analytics reader
    _faults,
    _kinds,  # noqa: F401  # registers sessions and series
)
from sessionkit.adapters.sqlalchemy._backend import Backend, backend_for
from sessionkit.adapters.sqlalchemy._db import CoreSession, Db
from sessionkit.adapters.sqlalchemy._kind import known_kinds, reader, registered
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.errors import (
    InvalidDuration,
    NestedUnitOfWork,
    SessionKitError,
    StorageTimeout,
    StorageUnavailable,
    UnsupportedKind,
    WrongType,
)
from sessionkit.model.events import DomainEvent
from sessionkit.ports import EventPublisher, Kind, UnitOfWorkBase, publish_batches

RepoT = TypeVar("RepoT")

__all__ = ["DEFAULT_LOCK_TIMEOUT", "SqlAlchemyStore", "SqlAlchemyUnitOfWork"]

DEFAULT_LOCK_TIMEOUT = timedelta(seconds=10)
"""How long a statement waits for a lock unless the store is told otherwise."""

_PENDING = "sessionkit.pending_events"
"""Where a host session keeps the events of joined units until the host commits."""
_LISTENING = "sessionkit.listening"


def _engine_of(maker: sessionmaker[OrmSession]) -> Engine:
    bind = maker.kw.get("bind")
    if isinstance(bind, Engine):
        return bind
    engine = getattr(bind, "engine", None)
    if isinstance(engine, Engine):
        return engine
    raise TypeError(
        "the sessionmaker must be bound to an Engine (or a Connection): "
        f"sessionmaker(bind=engine), got bind={bind!r}"
    )


class SqlAlchemyStore:
    """Sessions and series in a relational database, through SQLAlchemy 2.

    ``bind`` is an :class:`~sqlalchemy.engine.Engine` or a
    :class:`~sqlalchemy.orm.sessionmaker` bound to one; the tables must exist
    (:func:`~sessionkit.adapters.sqlalchemy.create_schema` or
    :func:`~sessionkit.adapters.sqlalchemy.upgrade`). ``publisher`` receives the
    events of every committed unit of work.

    On SQLite the store installs two engine hooks: every transaction starts with
    ``BEGIN IMMEDIATE`` (so check-then-insert cannot interleave) and connections
    enforce foreign keys. Units of work on one SQLite engine are also serialised
    inside the process (except units joined to a host transaction that has
    begun, which holds the database's write lock already); opening a second
    one in a thread that already has one open raises
    :class:`~sessionkit.errors.NestedUnitOfWork` rather than deadlocking.

    ``lock_timeout`` (default 10 seconds; ``None`` for the database's own
    default) bounds how long a statement of a unit waits for a lock another
    transaction holds: ``SET LOCAL lock_timeout`` in each transaction on
    PostgreSQL (whose default is to wait forever), ``innodb_lock_wait_timeout``
    and the named locks' wait on MySQL/MariaDB, the in-process queue on
    SQLite (where sqlite3's ``timeout`` connect argument bounds the wait for
    another process). A wait that runs out raises
    :class:`~sessionkit.errors.StorageTimeout` naming what it waited for. A
    unit joined to the host's session keeps the host transaction's settings.
    """

    def __init__(
        self,
        bind: Engine | sessionmaker[OrmSession],
        publisher: EventPublisher | None = None,
        *,
        lock_timeout: timedelta | None = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        if lock_timeout is not None and not isinstance(lock_timeout, timedelta):
            raise WrongType(lock_timeout, name="lock_timeout", expected="a timedelta or None")
        if lock_timeout is not None and lock_timeout <= timedelta(0):
            raise InvalidDuration(
                f"lock_timeout must be positive, got {lock_timeout}",
                value=lock_timeout,
                expected="a positive timedelta, or None to wait as long as the database does",
            )
        self.lock_timeout = lock_timeout
        if isinstance(bind, Engine):
            self._maker: sessionmaker[OrmSession] = sessionmaker(bind, expire_on_commit=False)
            self.engine = bind
            self._units_engine: Engine | None = bind
            """Where units get their Core connections (``None``: ORM sessions of ``_maker``)."""
        else:
            self._maker = bind
            self.engine = _engine_of(bind)
            self._units_engine = None
        self.publisher = publisher
        self.backend: Backend = backend_for(self.engine, lock_timeout)
        if self.backend.name == "mysql":
            # InnoDB's REPEATABLE READ would check for conflicts in a snapshot taken before
            # the named lock was granted; each statement must see the latest commits.
            committed = self.engine.execution_options(isolation_level="READ COMMITTED")
            options = {k: v for k, v in self._maker.kw.items() if k != "bind"}
            self._maker = sessionmaker(committed, class_=self._maker.class_, **options)
            if self._units_engine is not None:
                self._units_engine = committed

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        """Return a new, not yet entered, unit of work with its own session and transaction."""
        return SqlAlchemyUnitOfWork(self, self._maker, None)

    def join(self, session: OrmSession) -> SqlAlchemyUnitOfWork:
        """Return a unit of work that runs inside the host's ``session`` as a SAVEPOINT.

        Its ``commit`` releases the savepoint; the host's own commit makes the
        writes durable and publishes the unit's events, the host's rollback
        discards both.
        """
        return SqlAlchemyUnitOfWork(self, self._maker, session)


_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()
_HOLDER = threading.local()


def _engine_lock(engine: Engine) -> threading.Lock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(engine)
        if lock is None:
            lock = _LOCKS[engine] = threading.Lock()
        return lock


class SqlAlchemyUnitOfWork(UnitOfWorkBase):
    """One transaction on a :class:`SqlAlchemyStore` (see :class:`~sessionkit.ports.UnitOfWork`).

    Every write runs in its own SAVEPOINT, so a refused write (a duplicate, a
    conflict, a stale version) changes nothing and the unit stays usable.
    :meth:`commit` commits; the block may carry on and commit again. Leaving
    the block rolls back whatever was not committed, then publishes the events
    of the commits, in order (a handler may open a unit of work of its own).
    Repositories are made on first use, one per kind, from the registered
    :class:`~sessionkit.adapters.sqlalchemy.SqlKind`.
    """

    def __init__(
        self,
        store: SqlAlchemyStore,
        maker: sessionmaker[OrmSession],
        host: OrmSession | None,
    ) -> None:
        self._store = store
        self._maker = maker
        self._host = host
        self._db: Db | None = None
        self._savepoint: SessionTransaction | NestedTransaction | None = None
        self._lock: threading.Lock | None = None
        self._events: list[DomainEvent] = []
        self._committed: list[tuple[DomainEvent, ...]] = []
        self._used = False
        self._repositories: dict[str, object] = {}
        self.connection: Connection | None = None
        """The connection of the unit's current transaction: its errors are translated."""
        self._begun: SessionTransaction | RootTransaction | None = None
        self._bounds = store.backend.bounds_waits
        self._unbounded = False
        """Whether the current transaction's lock waits are still to be bounded."""

    @property
    def backend(self) -> Backend:
        """How the store's database keeps double bookings out."""
        return self._store.backend

    @property
    def joined(self) -> bool:
        """Whether the unit runs inside the host's transaction (``store.join``)."""
        return self._host is not None

    @property
    def lock_timeout(self) -> timedelta | None:
        """How long the unit's statements wait for a lock (the store's ``lock_timeout``)."""
        return self._store.lock_timeout

    def lose(self, error: SessionKitError) -> None:
        """Remember that the database may have lost the transaction with ``error``.

        :meth:`commit` raises it then; a rollback (or a SAVEPOINT rolled back
        cleanly) forgets it.
        """
        if self._db is not None:
            _faults.lose(self._db, error)

    def _open(self) -> Db:
        if self._db is None:
            raise RuntimeError("use the unit of work inside its `with` block")
        return self._db

    def db(self) -> Db:
        """Return the unit's open session; raise ``RuntimeError`` outside the ``with`` block.

        The ORM session of a joined unit or of a store built over a
        ``sessionmaker``; otherwise a :class:`~._db.CoreSession` over one Core
        connection, which runs statements (``execute``, ``scalar``,
        ``scalars``, ``connection()``) and SAVEPOINTs (``begin_nested``) the
        same way but has no ORM (no ``add``, no identity map).
        """
        db = self._begin()
        if self._unbounded:
            self._unbounded = False
            self._store.backend.bound_waits(db)
        return db

    def db_bounding(self) -> tuple[Db, str | None]:
        """Return the open session and the lock bound its caller's statement must set.

        For a statement that can set the bound itself, before it waits for any
        lock (see :meth:`Backend.bound_in_statement`): the value once per
        transaction, while nothing else has bounded the transaction's waits
        yet, else ``None`` (the waits are bounded, or are bounded by
        :meth:`db`'s way here). A caller handed a value whose statement did
        not run it must call ``backend.bound_waits`` itself.
        """
        db = self._begin()
        if not self._unbounded:
            return db, None
        self._unbounded = False
        value = self._store.backend.bound_in_statement()
        if value is None:
            self._store.backend.bound_waits(db)
        return db, value

    def core(self) -> Connection:
        """Return the Core connection of the unit's open transaction (begun if need be).

        What ``db().connection()`` returns, without asking the ORM session
        again while the transaction this unit began is still the active one
        (a booking command asks several times; each ask walks the session's
        transaction and bind machinery). Otherwise, and in a joined unit, the
        session is asked as before, so a transaction that can no longer be used
        is refused by the ORM as before.
        """
        db = self._db
        if db is not None and self._host is None and not self._unbounded:
            begun = self._begun
            nested = db.get_nested_transaction()
            if (
                begun is not None
                and self.connection is not None
                and db.get_transaction() is begun
                and (nested or begun).is_active
            ):
                return self.connection
        return self.db().connection()

    def _begin(self) -> Db:
        db = self._open()
        if self._host is None:
            current = db.get_transaction()
            if current is None or current is not self._begun:
                # A new transaction: take its connection now, to know its errors as ours.
                self.connection = db.connection()
                self._begun = db.get_transaction()
                self._unbounded = self._bounds
        return db

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return this unit's repository for ``kind`` (one per kind and unit).

        Raises ``UnsupportedKind`` for a kind nobody registered
        (:func:`~sessionkit.adapters.sqlalchemy.register`).
        """
        found = self._repositories.get(kind.name)
        if found is None:
            entry = registered(kind.name)
            make_reader = reader(kind.name) if entry is None else None
            if make_reader is not None:
                found = self._repositories[kind.name] = make_reader(self)
                return cast("RepoT", found)
            if entry is None:
                raise UnsupportedKind(kind.name, type(self._store).__name__, known_kinds())
            stored, sql = entry
            make = sql.repository or SqlRepository
            found = self._repositories[kind.name] = make(stored, sql, self)
        return cast("RepoT", found)

    def __enter__(self) -> Self:
        if self._used:
            raise RuntimeError("a unit of work is used once; ask the factory for a new one")
        self._used = True
        if self._store.backend.serialise_in_process:
            lock = _engine_lock(self._store.engine)
            held: set[int] = getattr(_HOLDER, "engines", set())
            if id(lock) in held:
                raise NestedUnitOfWork("SQLite database")
            # A host transaction that has begun holds SQLite's write lock already: its
            # units must not queue behind another thread's, which may be waiting for it.
            if self._host is None or not self._host.in_transaction():
                timeout = self._store.lock_timeout
                seconds = -1 if timeout is None else timeout.total_seconds()
                if not lock.acquire(timeout=seconds):
                    raise StorageTimeout.waiting(
                        "another unit of work of this process on the SQLite database",
                        backend="sqlite",
                        timeout=timeout,
                    )
                held.add(id(lock))
                _HOLDER.engines = held
                self._lock = lock
        dialect = self._store.engine.dialect
        if self._host is not None:
            try:
                bind = self._host.get_bind()
            except UnboundExecutionError:  # bound per mapper: sessionkit's rows use the store's
                bind = self._store.engine
            dialect = bind.dialect
            _faults.install_fault_hook(bind.engine)
        _faults.opened(dialect, self)
        try:
            if self._host is None:
                engine = self._store._units_engine
                self._db = self._maker() if engine is None else CoreSession(engine)
            else:
                self._db = self._host
                self._savepoint = self._host.begin_nested()
                self.connection = self._host.connection()
        except BaseException:
            _faults.closed(self)
            self._release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        db = self._db
        if db is None:
            return
        try:
            self._events.clear()
            if self._host is None:
                db.rollback()
            elif self._savepoint is not None and self._savepoint.is_active:
                self._savepoint.rollback()
        except Exception:
            # Rolling back after the database failed may fail too (the connection is
            # gone, the SAVEPOINT went with the transaction): the first error is the news.
            if exc is None:
                raise
        finally:
            if self._host is None:
                db.close()
            else:
                _faults.forgive(db)  # the host learnt of the error; its rollback is its own
            self._db = None
            self._savepoint = None
            _faults.closed(self)
            self._release()
        # Only now, with the connection back and the SQLite lock released, so that a
        # handler may open a unit of work of its own and read what was committed.
        self._publish_committed()

    def _release(self) -> None:
        if self._lock is not None:
            held: set[int] = getattr(_HOLDER, "engines", set())
            held.discard(id(self._lock))
            self._lock.release()
            self._lock = None

    def commit(self) -> None:
        """Commit every write so far; its events are published when the unit closes.

        Events of several commits are published in commit order, after the
        ``with`` block is left (and the SQLite lock released). In a joined unit
        the savepoint is released and the events wait for the host's commit.
        """
        db = self._open()
        lost = _faults.lost(db)
        if lost is not None:
            # The database may have rolled the transaction back already (MySQL after a
            # deadlock): committing what is left would store half of the unit.
            raise lost
        events, self._events = self._events, []
        if self._host is None:
            try:
                db.commit()
            except StorageUnavailable as error:
                error.add_note(
                    "the connection was lost while committing: the commit may or may not "
                    "have been applied; read before writing again"
                )
                raise
            if events:
                self._committed.append(tuple(events))
            return
        assert self._savepoint is not None
        self._savepoint.commit()
        if events:
            _defer(self._host, self._store, events)
        self._savepoint = self._host.begin_nested()

    def rollback(self) -> None:
        """Discard every write and collected event since the last commit."""
        db = self._open()
        self._events.clear()
        if self._host is None:
            db.rollback()
            _faults.forgive(db)
            return
        lost = _faults.lost(db)
        try:
            if self._savepoint is not None and self._savepoint.is_active:
                self._savepoint.rollback()
        except Exception:
            if lost is None:
                raise
            raise lost from None  # the host's transaction is gone: the host must roll back
        self._savepoint = db.begin_nested()

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish after the commit."""
        self._open()
        self._events.extend(events)

    def _publish_committed(self) -> None:
        """Publish each commit's events as one batch, in commit order; raise the first error after.

        A publisher error does not undo the commit, nor keep later batches back.
        """
        batches, self._committed = self._committed, []
        publish_batches(self._store.publisher, batches)


_Pending = tuple[SqlAlchemyStore, list[DomainEvent], list[SessionTransaction]]


def _defer(db: OrmSession, store: SqlAlchemyStore, events: list[DomainEvent]) -> None:
    """Publish ``events`` when the host commits its transaction; drop them on a rollback.

    The batch remembers the transactions enclosing the released savepoint, so
    rolling back any of them (the host's whole transaction, or an outer
    savepoint) drops it.
    """
    if not db.info.get(_LISTENING):
        event.listen(db, "after_commit", _publish_pending)
        event.listen(db, "after_soft_rollback", _drop_pending)
        db.info[_LISTENING] = True
    chain: list[SessionTransaction] = []
    transaction = db.get_nested_transaction() or db.get_transaction()
    while transaction is not None:
        chain.append(transaction)
        transaction = transaction.parent
    pending: list[_Pending] = db.info.setdefault(_PENDING, [])
    pending.append((store, events, chain))


def _publish_pending(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return
    batches: list[_Pending] = session.info.pop(_PENDING, [])
    for store, events, _chain in batches:
        if store.publisher is not None:
            store.publisher.publish(tuple(events))


def _drop_pending(session: OrmSession, previous: SessionTransaction) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [
            batch for batch in pending if all(t is not previous for t in batch[2])
        ]
