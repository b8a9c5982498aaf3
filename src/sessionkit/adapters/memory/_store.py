"""The in-memory store and its unit of work."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from sessionkit.adapters.memory._repository import MemoryRepository, repository_class
from sessionkit.adapters.memory._table import Journal, Table
from sessionkit.errors import NestedUnitOfWork
from sessionkit.model.events import DomainEvent
from sessionkit.ports import (
    EventPublisher,
    Kind,
    UnitOfWorkBase,
    check_kind,
    check_publisher,
    publish_batches,
)

RepoT = TypeVar("RepoT")

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]


class InMemoryStore:
    """Records of every kind and tenant, kept in process memory.

    ``store.unit_of_work`` is a :class:`~sessionkit.ports.UnitOfWorkFactory`::

        store = InMemoryStore(publisher)
        with store.unit_of_work() as uow:
            uow.sessions.add(session)
            uow.commit()

    Any :class:`~sessionkit.ports.Kind` can be stored (``uow.repository(kind)``),
    each in a table of its own made on first use. Units of work are
    serialised: each one holds the store's lock from ``__enter__`` to
    ``__exit__``, so a transaction sees no one else's writes and nobody sees its
    writes before the commit. Keep them short. Opening a second unit of work on
    the same store in a thread that already has one open raises
    ``NestedUnitOfWork`` instead of deadlocking. A unit may be left in another
    thread than the one that entered it (a web framework running a dependency's
    set-up and tear-down on two threads of its pool): leaving it frees the store
    for every thread. Events are published after the unit's ``with`` block is
    left and the lock released, so an event handler may open a unit of work of
    its own. Nothing is persisted: the data lives as long as the object.
    """

    def __init__(self, publisher: EventPublisher | None = None) -> None:
        self._publisher = check_publisher(publisher)
        # A plain lock, not an RLock: the thread that leaves a unit may not be the one
        # that entered it, and an RLock refuses a release by another thread (the store
        # then stayed locked for good). Nesting is caught by the owner's thread instead.
        self._lock = threading.Lock()
        self._tables: dict[str, Table[Any]] = {}
        self._owner_thread: int | None = None

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """Return a new, not yet entered, unit of work on this store."""
        return InMemoryUnitOfWork(self)

    def _table(self, kind: Kind[Any]) -> Table[Any]:
        """Return ``kind``'s table, made (with its repository's indexes) on first use.

        Call with the lock held. Tables are looked up by the kind's name.
        """
        table = self._tables.get(kind.name)
        if table is None:
            indexes = repository_class(kind).indexes()
            table = self._tables[kind.name] = Table(kind, indexes)
        return table


class InMemoryUnitOfWork(UnitOfWorkBase):
    """One serialised transaction on an :class:`InMemoryStore` (see :class:`~sessionkit.ports.UnitOfWork`).

    Writes go straight to the store's tables while one undo journal remembers
    how to take them back; :meth:`rollback` (or leaving the ``with`` block
    without :meth:`commit`) replays it, :meth:`commit` forgets it and keeps the
    collected events for publishing. After a commit the block may carry on
    with further writes, which need another commit. A failed write (a
    duplicate, a conflict, a stale version) changes nothing and leaves the
    earlier writes of the transaction in place.

    Each commit's events are published, one batch per commit and in commit
    order, when the ``with`` block is left and the store's lock released, even
    if the block then raised; a rolled-back unit publishes nothing.
    """  # noqa: E501

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._journal = Journal()
        self._events: list[DomainEvent] = []
        self._committed: list[tuple[DomainEvent, ...]] = []
        self._active = False
        self._used = False
        self._repositories: dict[str, MemoryRepository[Any]] = {}

    @property
    def joined(self) -> bool:
        """Always false: an in-memory unit is a whole transaction, never part of a host's."""
        return False

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return this unit's repository for ``kind`` (the same object each time).

        A registered kind (sessions, series) gets its specialised repository,
        any other kind the generic :class:`MemoryRepository`.
        """
        found = self._repositories.get(kind.name)
        if found is None:
            check_kind(kind)
            found = self._repositories[kind.name] = repository_class(kind)(self, kind)
        return cast("RepoT", found)

    def __enter__(self) -> Self:
        if self._used:
            raise RuntimeError("a unit of work is used once; ask the factory for a new one")
        store = self._store
        # Only this thread sets its own id here, so the read needs no lock.
        if store._owner_thread == threading.get_ident():
            raise NestedUnitOfWork("in-memory store")
        store._lock.acquire()
        store._owner_thread = threading.get_ident()
        self._used = True
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._active:
            return
        try:
            self.rollback()
        finally:
            self._active = False
            self._store._owner_thread = None
            self._store._lock.release()
        self._publish()

    def _publish(self) -> None:
        """Publish each committed batch in order; the first publisher error is raised after all."""
        batches, self._committed = self._committed, []
        publish_batches(self._store._publisher, batches)

    def journal(self) -> Journal:
        """Return the journal of the open transaction; raise ``RuntimeError`` outside ``with``."""
        if not self._active:
            raise RuntimeError("use the unit of work inside its `with` block")
        return self._journal

    def table(self, kind: Kind[Any]) -> Table[Any]:
        """Return ``kind``'s table; raise ``RuntimeError`` outside the ``with`` block."""
        self.journal()
        return self._store._table(kind)

    def referring(self, kind: Kind[Any], tenant: str, record_id: str) -> dict[str, int]:
        """Return, per kind with rows pointing at ``kind``'s ``record_id``, how many do."""
        self.journal()
        counts: dict[str, int] = {}
        for table in self._store._tables.values():
            for field, parent in table.kind.parents.items():
                if parent.name == kind.name:
                    count = table.references[field].count(tenant, record_id)
                    if count:
                        counts[table.kind.name] = counts.get(table.kind.name, 0) + count
        return counts

    def commit(self) -> None:
        """Keep every write so far; its events are published when the unit closes."""
        self.journal().forget()
        events, self._events = self._events, []
        if events:
            self._committed.append(tuple(events))

    def rollback(self) -> None:
        """Undo every write since the last commit and drop the events collected since."""
        self.journal().undo_to(0)
        self._events.clear()

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish after the commit."""
        self.journal()
        self._events.extend(events)
