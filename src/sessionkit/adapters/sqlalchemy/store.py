"""The store: a :class:`SqlAlchemyStore` hands out units of work over one database.

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

:class:`SqlAlchemyUnitOfWork` lives in :mod:`._unit`, the in-process queue of
SQLite units in :mod:`._locks` and the events held for the host's commit in
:mod:`._deferred`; both public classes are imported from here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from sessionkit.adapters.sqlalchemy import (
    _analytics,  # noqa: F401  # registers the analytics reader
    _kinds,  # noqa: F401  # registers sessions and series
    _quick,
)
from sessionkit.adapters.sqlalchemy._backend import Backend, SchemaWarning, backend_for
from sessionkit.adapters.sqlalchemy._unit import SqlAlchemyUnitOfWork
from sessionkit.errors import InvalidDuration, InvalidValue, WrongType
from sessionkit.errors._base import duration_text
from sessionkit.model.booking import Booking
from sessionkit.model.events import DomainEvent
from sessionkit.model.session import Session
from sessionkit.ports import EventPublisher, QuickRefusal, check_publisher

__all__ = ["DEFAULT_LOCK_TIMEOUT", "SqlAlchemyStore", "SqlAlchemyUnitOfWork"]

DEFAULT_LOCK_TIMEOUT = timedelta(seconds=10)
"""How long a statement waits for a lock unless the store is told otherwise."""


def _engine_of(maker: sessionmaker[OrmSession]) -> Engine:
    bind = maker.kw.get("bind")
    if isinstance(bind, Engine):
        return bind
    engine = getattr(bind, "engine", None)
    if isinstance(engine, Engine):
        return engine
    raise WrongType(
        bind,
        name="the sessionmaker's bind",
        expected="an Engine or a Connection (sessionmaker(bind=engine))",
    )


def _remade(maker: sessionmaker[OrmSession], **changes: Any) -> sessionmaker[OrmSession]:
    """A copy of the host's ``maker`` with ``changes`` to its arguments (the host's is kept)."""
    return sessionmaker(class_=maker.class_, **{**maker.kw, **changes})


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
    PostgreSQL (whose default is to wait forever; none on a connection opened
    with that ``lock_timeout`` and ``TimeZone=UTC``), ``innodb_lock_wait_timeout``
    and the named locks' wait on MySQL/MariaDB, the in-process queue on
    SQLite (where sqlite3's ``timeout`` connect argument bounds the wait for
    another process). A wait that runs out raises
    :class:`~sessionkit.errors.StorageTimeout` naming what it waited for. A
    unit joined to the host's session keeps the host transaction's settings, and so
    does a unit of a ``sessionmaker`` bound to a host's connection that is in a
    transaction when the unit begins one (the host's, then).

    On PostgreSQL and MySQL/MariaDB the store's own units run in
    ``READ COMMITTED``, set on each connection they take from the pool
    whenever the engine (or the database's default) gives another level or
    ``AUTOCOMMIT``: a seat count or conflict check after a lock must see what
    the lock's previous holder committed. A host's connection keeps its own
    level; a unit in the host's transaction reads it once, and a command
    there that locks a session or a participant to count its bookings
    raises :class:`~sessionkit.errors.InvalidValue` unless it is
    ``READ COMMITTED`` (or ``SERIALIZABLE`` on MySQL/MariaDB).

    On MySQL/MariaDB a ``sessionmaker`` bound to a host's connection is not
    used as bound: units run on connections of their own from the same engine,
    in ``READ COMMITTED``, and commit whatever the host's transaction does
    (the store warns with :class:`SchemaWarning`). The named locks of a unit
    are released when its connection goes back to the pool, and its checks
    need the latest commits; on a host's connection neither would hold. To
    write in the host's transaction, use :meth:`join` with the host's session.
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
                f"lock_timeout must be positive, got {duration_text(lock_timeout)}",
                value=lock_timeout,
                expected="a positive timedelta, or None to wait as long as the database does",
            )
        if not isinstance(bind, Engine | sessionmaker):
            # A Connection, a Session or a URL would fail later with a bare AttributeError.
            raise WrongType(
                bind,
                name="bind",
                expected=(
                    "an Engine, or a sessionmaker bound to an Engine or a Connection "
                    "(sessionmaker(bind=connection)); to write in a Session you have open, "
                    "use store.join(session)"
                ),
            )
        self.lock_timeout = lock_timeout
        if isinstance(bind, Engine):
            self._maker: sessionmaker[OrmSession] = sessionmaker(bind, expire_on_commit=False)
            self.engine = bind
            self.units_engine: Engine | None = bind
            """Where units get their Core connections (``None``: ORM sessions of ``_maker``)."""
        else:
            self._maker = bind
            self.engine = _engine_of(bind)
            self.units_engine = None
        if self._maker.kw.get("autobegin") is False:
            # A unit begins its session's transactions at its first statement: with the
            # host's autobegin=False that statement failed with a bare InvalidRequestError.
            self._maker = _remade(self._maker, autobegin=True)
        host = self._maker.kw.get("bind")
        self.host_connection: Connection | None = host if isinstance(host, Connection) else None
        """The host's connection a ``sessionmaker`` is bound to: a unit that finds it in a
        transaction runs in the host's transaction and leaves its settings alone."""
        if self.host_connection is not None and self._maker.kw.get(
            "join_transaction_mode", "conditional_savepoint"
        ) in ("conditional_savepoint", "rollback_only"):
            # Those modes hand the session's rollback to the host's transaction: a unit
            # leaving a refused command would roll back all of the host's work. In a
            # SAVEPOINT of its own a unit's rollback undoes only the unit.
            self._maker = _remade(self._maker, join_transaction_mode="create_savepoint")
        self.publisher = check_publisher(publisher)
        self.backend: Backend = backend_for(self.engine, lock_timeout)
        # Units of work run in READ COMMITTED (backend.isolate sets it on a connection in
        # another level), on PostgreSQL and MySQL alike: under REPEATABLE READ a count or
        # conflict check would read a snapshot taken before its lock was granted.
        if self.backend.name == "mysql":
            # The units' named locks go with their own pooled connections, never a host's.
            self._maker = _remade(self._maker, bind=self.engine)
            if self.host_connection is not None:
                warnings.warn(
                    "on MySQL/MariaDB the store's units of work run on connections of their "
                    "own (READ COMMITTED), not on the Connection the sessionmaker is bound to, "
                    "and commit whatever that connection's transaction does; use "
                    "store.join(session) to write in your transaction",
                    SchemaWarning,
                    stacklevel=2,
                )
            self.host_connection = None  # units get connections of their own now

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        """Return a new, not yet entered, unit of work with its own session and transaction."""
        return SqlAlchemyUnitOfWork(self, self._maker, None)

    def book_quickly(
        self,
        tenant: str,
        session_id: str,
        admit: Callable[[Session], Booking | None],
        refuse: QuickRefusal | None = None,
    ) -> Booking | None:
        """Take a plain booking in one transaction of the store's own, or answer ``None``.

        :class:`~sessionkit.ports.QuickBookings`, which ``kit.bookings.book``
        tries before a unit of work: on PostgreSQL (psycopg), for a store over
        an ``Engine`` whose statements nothing watches, the same lock and
        checked insert a unit sends, without the unit (:mod:`._quick`).
        ``None`` for a subclass that overrides :meth:`unit_of_work`.
        """
        if type(self).unit_of_work is not SqlAlchemyStore.unit_of_work:
            # A host's units (joined to its own session, say) are the only way it writes.
            return None
        return _quick.book_quickly(self, tenant, session_id, admit, refuse)

    def publish_committed(self, events: Sequence[DomainEvent]) -> None:
        """Publish a quick booking's events to the store's ``publisher``, as one batch."""
        _quick.publish(self, events)

    def join(self, session: OrmSession) -> SqlAlchemyUnitOfWork:
        """Return a unit of work that runs inside the host's ``session`` as a SAVEPOINT.

        Its ``commit`` releases the savepoint; the host's own commit makes the
        writes durable and publishes the unit's events, the host's rollback
        discards both. The unit runs in the host's isolation level: a command
        that locks a session (a booking, a cancel) raises ``InvalidValue``
        unless it is ``READ COMMITTED`` (or ``SERIALIZABLE`` on MySQL/MariaDB),
        where the count after the lock sees what was committed before it.

        ``session`` is an ORM :class:`~sqlalchemy.orm.Session` bound to one
        Engine or Connection; anything else raises ``WrongType`` (a
        ``scoped_session``: pass its current session, ``store.join(Scoped())``)
        and a session with only per-mapper ``binds`` ``InvalidValue``.
        """
        if not isinstance(session, OrmSession):
            # A scoped_session or a Connection failed later with a bare AttributeError, the
            # scoped_session's after its SAVEPOINT was released and its events lost.
            raise WrongType(
                session,
                name="session",
                expected=(
                    "an ORM Session (for a scoped_session, its current one: "
                    "store.join(Scoped())); to write in a Connection's transaction, build "
                    "the store over sessionmaker(bind=connection)"
                ),
            )
        try:
            session.get_bind()
        except UnboundExecutionError as error:
            raise InvalidValue(
                "store.join needs a session bound to one Engine or Connection "
                "(Session(engine), sessionmaker(bind=engine)); this one has only per-mapper "
                "binds",
                value=session,
                expected="a Session with a bind",
            ) from error
        return SqlAlchemyUnitOfWork(self, self._maker, session)
