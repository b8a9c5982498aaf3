"""The unit of work of a :class:`~.store.SqlAlchemyStore`: one transaction, or a SAVEPOINT.

A unit opens its own session (:class:`~._db.CoreSession`, or an ORM session of
the store's ``sessionmaker``) and transaction; a unit joined to the host's
session (:meth:`~.store.SqlAlchemyStore.join`) runs as a SAVEPOINT in it and
leaves its events to :mod:`._deferred` until the host commits. On SQLite a
unit queues on the engine's in-process lock (:mod:`._locks`) while it is open.
Import it from :mod:`.store` or the package; this module is private. What a
unit does about the host's transaction is in :mod:`._unit_host`, what it does
when something fails in :mod:`._unit_failures`: plain functions assigned into
the class body, so a call costs what a method defined here does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from types import TracebackType
from typing import Self, TypeVar, cast

from sqlalchemy.engine import Connection
from sqlalchemy.engine.base import NestedTransaction, RootTransaction
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, sessionmaker

from sessionkit.adapters.sqlalchemy import _faults, _locks, _unit_failures, _unit_host
from sessionkit.adapters.sqlalchemy._backend import (
    Backend,
    autocommits,
    begin_begun,
    holds_write_lock,
)
from sessionkit.adapters.sqlalchemy._db import CoreSession, Db
from sessionkit.adapters.sqlalchemy._deferred import (
    defer,
    defer_on_connection,
    forget_on_connection,
)
from sessionkit.adapters.sqlalchemy._kind import known_kinds, reader, registered
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy._unit_host import (
    UnitSource,
    _committed_itself,
    refuse_autocommit,
)
from sessionkit.errors import StorageUnavailable, UnsupportedKind
from sessionkit.model.events import DomainEvent
from sessionkit.ports import Kind, UnitOfWorkBase, check_kind, publish_batches

RepoT = TypeVar("RepoT")

__all__ = ["SqlAlchemyUnitOfWork", "UnitSource", "refuse_autocommit"]


class SqlAlchemyUnitOfWork(UnitOfWorkBase):
    """One transaction on a :class:`.SqlAlchemyStore` (see :class:`~sessionkit.ports.UnitOfWork`).

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
        store: UnitSource,
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
        self._in_hosts = False
        """Whether the unit runs in the transaction of the host's connection (a bound maker's)."""
        self._fresh = False
        """Whether the host's isolation level was found to let counts after a lock see commits."""

    @property
    def backend(self) -> Backend:
        """How the store's database keeps double bookings out."""
        return self._store.backend

    @property
    def joined(self) -> bool:
        """Whether the unit runs inside the host's transaction.

        Joined with ``store.join``, or a unit of a store over a ``sessionmaker``
        bound to the host's ``Connection`` that was in a transaction: only the
        host can run that transaction again, so sessionkit never does.
        """
        return self._host is not None or self._in_hosts

    @property
    def lock_timeout(self) -> timedelta | None:
        """How long the unit's statements wait for a lock (the store's ``lock_timeout``)."""
        return self._store.lock_timeout

    lose = _unit_failures.lose

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

    refuse_stale_counts = _unit_host.refuse_stale_counts

    def _begin(self) -> Db:
        db = self._open()
        if self._host is None:
            current = db.get_transaction()
            if current is None or current is not self._begun:
                # Perhaps on another thread than the unit was opened on: a failure while it
                # takes its connection, which names no connection of the unit's yet, is its own.
                _faults.here(self)
                # A host's connection already in a transaction: the session joins the
                # host's, whose settings (lock bound, zone) are the host's to make.
                host = self._store.host_connection
                if host is not None:
                    refuse_autocommit(host)
                hosts = host is not None and host.in_transaction()
                if host is not None and hosts:
                    begin_begun(host)  # before the session's SAVEPOINT
                self._in_hosts = hosts
                # A new transaction: take its connection now, to know its errors as ours,
                # in the store's isolation level (an ORM session of the store's maker;
                # a CoreSession sets it itself), unless it is the host's connection.
                level = None
                if host is None and isinstance(db, OrmSession):
                    bind = db.get_bind()
                    options = bind.get_execution_options()
                    level = self._store.backend.isolation_to_set(options, bind.dialect)
                try:
                    if level is not None and isinstance(db, OrmSession):
                        isolated = {"isolation_level": level}
                        self.connection = db.connection(execution_options=isolated)
                    else:
                        self.connection = db.connection()
                except PoolTimeout as error:
                    raise self._pool_timeout(db) from error
                except Exception as error:
                    # The driver's error, bare, from setting the isolation level (an ORM
                    # session of the store's maker on a dropped pooled connection).
                    translated = _faults.translate_for_unit(self, db.get_bind().dialect, error)
                    if translated is None:
                        raise
                    raise translated from error
                self._begun = db.get_transaction()
                self._unbounded = self._bounds and not hosts
        return db

    _pool_timeout = _unit_failures._pool_timeout

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return this unit's repository for ``kind`` (one per kind and unit).

        Raises ``UnsupportedKind`` for a kind nobody registered
        (:func:`~sessionkit.adapters.sqlalchemy.register`).
        """
        found = self._repositories.get(kind.name)
        if found is None:
            check_kind(kind)
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
            lock = _locks.engine_lock(self._store.engine)
            # A host transaction that has begun holds SQLite's write lock already: its
            # units must not queue behind another thread's, which may be waiting for it.
            # So does the transaction of the connection a store's sessionmaker is bound to.
            # Nor is a unit joined to it nested in another: both are the host's SAVEPOINTs
            # (a join inside a join whose host was idle at first, as on the other backends).
            host = self._store.host_connection
            hosted = self._host is not None and self._host.in_transaction()
            if not hosted and (host is None or not holds_write_lock(host)):
                _locks.refuse_nested(lock)
                self._lock = _locks.acquire(lock, self._store.lock_timeout)
        dialect = self._store.engine.dialect
        if self._host is not None:
            bind = self._host.get_bind()  # one bind: join() refused per-mapper binds
            dialect = bind.dialect
            _faults.install_fault_hook(bind.engine)
        _faults.opened(dialect, self)
        try:
            if self._host is None:
                engine = self._store.units_engine
                self._db = (
                    self._maker()
                    if engine is None
                    else CoreSession(engine, self._store.backend.isolate)
                )
            else:
                self._db = self._host
                try:
                    connection = self._host.connection()  # the host's first, perhaps
                except PoolTimeout as error:
                    raise self._pool_timeout(self._host) from error
                refuse_autocommit(connection)
                begin_begun(connection)
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
        failure: Exception | None = None
        try:
            self._events.clear()
            if self._host is None:
                db.rollback()
            elif self._savepoint is not None and self._savepoint.is_active:
                self._savepoint.rollback()
        except Exception as error:  # noqa: BLE001  # raised below, after the commits' events
            # Rolling back after the database failed may fail too (the connection is
            # gone, the SAVEPOINT went with the transaction): the first error is the news.
            if exc is None:
                failure = error
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
        # handler may open a unit of work of its own and read what was committed. A
        # rollback of what followed the last commit that failed takes none of it back:
        # the commits' events still go out, then its error is raised.
        try:
            self._publish_committed()
        finally:
            if failure is not None:
                raise failure

    def _release(self) -> None:
        if self._lock is not None:
            _locks.release(self._lock)
            self._lock = None

    def __del__(self, release: Callable[[threading.Lock], None] = _locks.release) -> None:
        # A unit entered and never left (__enter__ called by hand, an ExitStack never closed)
        # gives the SQLite lock back once collected: every later writer of the engine waited
        # for it forever. SQLAlchemy returns its connection, _faults drops its entry.
        # `release` is bound here, as the collector may call this during interpreter
        # shutdown, once this module's globals are cleared; on any thread (a Lock allows it).
        lock = self._lock
        if lock is not None:
            release(lock)

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
            # In the transaction of the host's connection, the commit only releases the
            # unit's SAVEPOINT: its events wait for the host's commit, as a joined unit's do.
            host = self._store.host_connection if self._deferring() else None
            if host is not None and autocommits(host):
                self._commit_autocommitted(db, host, events)
                return
            if host is not None and events:
                defer_on_connection(host, self._store, events)
            try:
                db.commit()
            except BaseException as error:
                if host is not None:
                    forget_on_connection(host, events)
                elif isinstance(error, StorageUnavailable):
                    error.lost_in_commit()
                raise
            if host is None and events:
                self._committed.append(tuple(events))
            return
        assert self._savepoint is not None
        self._savepoint.commit()
        if events:
            connection = self.connection
            if connection is not None and _committed_itself(connection):
                self._committed.append(tuple(events))
            else:
                defer(self._host, self._store, events, connection)
        self._savepoint = self._host.begin_nested()

    _commit_autocommitted = _unit_host._commit_autocommitted

    defer_to_host = _unit_host.defer_to_host

    _deferring = _unit_host._deferring

    rollback = _unit_failures.rollback

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
