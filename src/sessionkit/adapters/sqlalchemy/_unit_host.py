"""What a unit of work reads of its store, and does about the host's transaction it runs in.

:class:`UnitSource` is the store as its units see it. A host's connection in
AUTOCOMMIT is refused (:func:`refuse_autocommit`); a unit in the host's
transaction checks that its reads after a lock are fresh
(``refuse_stale_counts``), leaves its events and provider calls to the host's
commit (``defer_to_host``, ``_deferring``), and commits on a host's
AUTOCOMMIT connection (``_commit_autocommitted``). The methods are
:class:`~._unit.SqlAlchemyUnitOfWork`'s, assigned into its body.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Connection, Engine

from sessionkit.adapters.sqlalchemy._backend import Backend, autocommits
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._deferred import defer_on_connection
from sessionkit.errors import InvalidValue
from sessionkit.model.events import DomainEvent
from sessionkit.ports import EventPublisher

if TYPE_CHECKING:
    from sessionkit.adapters.sqlalchemy._unit import SqlAlchemyUnitOfWork


def refuse_autocommit(connection: Connection) -> None:
    """Raise ``InvalidValue`` for a host's connection in AUTOCOMMIT, except on SQLite.

    A unit's writes run in SAVEPOINTs of the host's transaction, which such a
    connection does not have: PostgreSQL refused the first one with a bare
    ``InternalError``, and MySQL/MariaDB committed each write as it went and
    then failed at the RELEASE, the session stored, the command failed and its
    events lost. Checked before anything is written. On SQLite a unit there
    writes statement by statement, as the host's statements do (documented).
    """
    if connection.dialect.name != "sqlite" and autocommits(connection):
        raise InvalidValue(
            "the host's connection is in AUTOCOMMIT: sessionkit's writes run in SAVEPOINTs "
            "of your transaction, and there each statement would commit alone. Use a "
            'session or connection without isolation_level="AUTOCOMMIT"',
            value="AUTOCOMMIT",
            expected="a connection that runs transactions",
        )


def _committed_itself(connection: Connection) -> bool:
    """Whether a write just released on ``connection`` is durable: AUTOCOMMIT, no savepoint open."""
    return autocommits(connection) and not connection.in_nested_transaction()


class UnitSource(Protocol):
    """What a unit of work reads of the store that made it (a :class:`.SqlAlchemyStore`).

    A protocol, not the store's class: the store makes its units, so naming
    the class here would close an import cycle.
    """

    backend: Backend
    """How the store's database keeps double bookings out."""
    engine: Engine
    """The store's engine (the SQLite lock is per engine)."""
    lock_timeout: timedelta | None
    """How long a statement waits for a lock."""
    publisher: EventPublisher | None
    """Where committed events go."""
    units_engine: Engine | None
    """Where units get their Core connections; ``None``: ORM sessions of the maker."""
    host_connection: Connection | None
    """The host's connection the maker is bound to, if it is bound to one."""


def refuse_stale_counts(self: SqlAlchemyUnitOfWork) -> None:
    """Raise ``InvalidValue`` if the unit runs in a host's transaction whose reads are stale.

    Called by every command that locks a session (or a participant) to count
    what it holds, and by a session's write where a query, not a constraint,
    finds the resources' overlaps (MySQL/MariaDB, PostgreSQL without
    ``btree_gist``). A unit of the store's own runs in ``READ COMMITTED`` and
    passes at no cost; a unit in the host's transaction runs in the host's
    level, read once (:meth:`~._backend.Backend.stale_level`): under
    PostgreSQL's ``REPEATABLE READ`` or ``SERIALIZABLE`` and MySQL/MariaDB's
    ``REPEATABLE READ`` the count after the lock read a snapshot taken
    before it, and a session took more bookings than its capacity. Refused
    before anything is locked or written.
    """
    if self._fresh or not self.joined:
        return
    level = self.backend.stale_level(self.core())
    if level is None:
        self._fresh = True
        return
    # PostgreSQL's SERIALIZABLE does not watch the store's own units (READ COMMITTED).
    postgres = self.backend.name == "postgresql"
    expected = "READ COMMITTED" if postgres else "READ COMMITTED or SERIALIZABLE"
    raise InvalidValue(
        f"your transaction runs in {level}, and sessionkit's unit joined to it checks "
        "what a lock guards after taking it (a session's seats, a resource's sessions): at "
        "that level the check reads a snapshot taken before the lock and misses what was "
        "committed meanwhile, so a session would take more than its capacity or a teacher "
        f"two sessions at once. Run the transactions you join in {expected} "
        '(Session(engine.execution_options(isolation_level="READ COMMITTED")))',
        value=level,
        expected=expected,
    )


def _commit_autocommitted(
    self: SqlAlchemyUnitOfWork, db: Db, host: Connection, events: list[DomainEvent]
) -> None:
    """Commit a unit on a host connection in AUTOCOMMIT (SQLite; the servers refuse it).

    Releasing the unit's SAVEPOINT committed its writes: no COMMIT of the
    host's follows (its statements commit themselves), and the rollback
    SQLAlchemy sends when the connection closes undoes nothing, yet dropped
    the events held for that COMMIT. They are published when the unit
    closes, as a unit of its own's, unless a savepoint of the host's
    encloses the unit.
    """
    db.commit()
    if not events:
        return
    if _committed_itself(host):
        self._committed.append(tuple(events))
    else:
        defer_on_connection(host, self._store, events)


def defer_to_host(self: SqlAlchemyUnitOfWork, action: Callable[[], object]) -> bool:
    """Leave ``action`` undone if this unit runs in the host's transaction.

    Joined to the host's session (``join``), or in the transaction of the
    ``Connection`` the store's ``sessionmaker`` is bound to. What
    sessionkit defers is provider calls, which stay due in the database:
    once the host commits, ``kit.payments.run_due`` (the payments' job)
    makes them; a rollback takes them back with the rest. They cannot run
    from the host's commit itself, where the session emits no SQL.
    """
    del action
    return self._host is not None or self._deferring()


def _deferring(self: SqlAlchemyUnitOfWork) -> bool:
    """Whether the unit's commits only release a SAVEPOINT in the host connection's transaction.

    Not under ``join_transaction_mode="control_fully"``, where the unit's
    commit is the host's.
    """
    mode = self._maker.kw.get("join_transaction_mode")
    return self._in_hosts and mode != "control_fully"
