"""The in-memory store, its unit of work and its repositories."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar, cast

import attrs

from sessionkit.adapters.memory._query import run_query
from sessionkit.adapters.memory._state import Journal, State, resource_keys
from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSeries,
    DuplicateSession,
    SeriesNotFound,
    SessionConflict,
    SessionNotFound,
    UnsupportedKind,
)
from sessionkit.model.events import DomainEvent
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.series import Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import SERIES, SESSIONS, EventPublisher, Kind, UnitOfWorkBase
from sessionkit.timespan import TimeSpan

RepoT = TypeVar("RepoT")

__all__ = [
    "InMemorySeriesRepository",
    "InMemorySessionRepository",
    "InMemoryStore",
    "InMemoryUnitOfWork",
]


def _by_start(sessions: Iterable[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.span.start, s.id))


class InMemoryStore:
    """Sessions and series of every tenant, kept in process memory.

    ``store.unit_of_work`` is a :class:`~sessionkit.ports.UnitOfWorkFactory`::

        store = InMemoryStore(publisher)
        with store.unit_of_work() as uow:
            uow.sessions.add(session)
            uow.commit()

    Units of work are serialised: each one holds the store's lock from
    ``__enter__`` to ``__exit__``, so a transaction sees no one else's writes
    and nobody sees its writes before the commit. Keep them short. Opening a
    second unit of work on the same store in a thread that already has one
    open raises ``RuntimeError`` instead of deadlocking; that includes event
    handlers, which run inside ``commit`` (queue their writes instead).
    Nothing is persisted: the data lives as long as the object.
    """

    def __init__(self, publisher: EventPublisher | None = None) -> None:
        self._publisher = publisher
        self._lock = threading.RLock()
        self._state = State()
        self._owner: InMemoryUnitOfWork | None = None

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """Return a new, not yet entered, unit of work on this store."""
        return InMemoryUnitOfWork(self)


class InMemoryUnitOfWork(UnitOfWorkBase):
    """One serialised transaction on an :class:`InMemoryStore` (see :class:`~sessionkit.ports.UnitOfWork`).

    Writes go straight to the store's tables while an undo journal remembers
    how to take them back; :meth:`rollback` (or leaving the ``with`` block
    without :meth:`commit`) replays it, :meth:`commit` forgets it and then
    publishes the collected events. After a commit the block may carry on with
    further writes, which need another commit. A failed write (a duplicate, a
    conflict, a stale version) changes nothing and leaves the earlier writes of
    the transaction in place.
    """  # noqa: E501

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._journal = Journal(store._state)
        self._events: list[DomainEvent] = []
        self._active = False
        self._used = False
        self._repositories: dict[str, object] = {
            SESSIONS.name: InMemorySessionRepository(self),
            SERIES.name: InMemorySeriesRepository(self),
        }

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return this unit's repository for ``kind``; raise ``UnsupportedKind`` if none."""
        try:
            return cast("RepoT", self._repositories[kind.name])
        except KeyError:
            raise UnsupportedKind(
                kind.name, type(self).__name__, list(self._repositories)
            ) from None

    def __enter__(self) -> Self:
        if self._used:
            raise RuntimeError("a unit of work is used once; ask the factory for a new one")
        store = self._store
        store._lock.acquire()
        if store._owner is not None:
            store._lock.release()
            raise RuntimeError(
                "this thread already has a unit of work open on this store; "
                "finish it before opening another (nesting would deadlock a database too)"
            )
        store._owner = self
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
            self._store._owner = None
            self._store._lock.release()

    def journal(self) -> Journal:
        """Return the journal of the open transaction; raise ``RuntimeError`` outside ``with``."""
        if not self._active:
            raise RuntimeError("use the unit of work inside its `with` block")
        return self._journal

    def commit(self) -> None:
        """Keep every write so far, then publish the collected events in order."""
        self.journal().forget()
        events, self._events = self._events, []
        publisher = self._store._publisher
        if events and publisher is not None:
            publisher.publish(tuple(events))

    def rollback(self) -> None:
        """Undo every write since the last commit and drop the collected events."""
        self.journal().undo_to(0)
        self._events.clear()

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish after the commit."""
        self.journal()
        self._events.extend(events)


class InMemorySessionRepository:
    """The :class:`~sessionkit.ports.SessionRepository` of an :class:`InMemoryUnitOfWork`."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _stored(self, journal: Journal, tenant: str, session_id: str) -> Session:
        found = journal.state.session(tenant, session_id)
        if found is None:
            raise SessionNotFound(session_id, tenant)
        return found

    def get(self, tenant: str, session_id: str) -> Session:
        """Return the session; raise ``SessionNotFound`` (also for another tenant's id)."""
        return self._stored(self._uow.journal(), tenant, session_id)

    def get_many(self, tenant: str, session_ids: Iterable[str]) -> list[Session]:
        """Return the sessions that exist among ``session_ids``, in the order asked, each once."""
        rows = self._uow.journal().state.sessions.get(tenant, {})
        found: dict[str, Session] = {}
        for session_id in session_ids:
            session = rows.get(session_id)
            if session is not None:
                found.setdefault(session_id, session)
        return list(found.values())

    def _check(self, journal: Journal, session: Session, *, replacing: bool) -> None:
        """Raise ``DuplicateSession`` or ``SessionConflict`` if ``session`` may not be stored."""
        state = journal.state
        tenant = session.tenant
        if not replacing:
            existing = state.session(tenant, session.id)
            if existing is not None:
                raise DuplicateSession(
                    f"session {session.id!r} already exists for tenant {tenant!r}",
                    session_id=session.id,
                    existing=existing,
                )
        if session.series_id is not None and session.occurrence_key is not None:
            owner = state.occurrences.get((tenant, session.series_id, session.occurrence_key))
            if owner is not None and owner != session.id:
                existing = state.sessions[tenant][owner]
                raise DuplicateSession(
                    f"series {session.series_id!r} already has session {owner!r} for the "
                    f"occurrence {session.occurrence_key.isoformat()}",
                    session_id=session.id,
                    existing=existing,
                )
        if session.busy and session.resources:
            keys = state.busy.conflicts_with(
                session.span,
                resource_keys(tenant, session.resources),
                exclude=((tenant, session.id),),
            )
            if keys:
                blockers = _by_start(state.sessions[tenant][key[1]] for key in keys)
                shared = sorted(
                    {str(r) for b in blockers for r in b.resources if r in session.resources}
                )
                raise SessionConflict(
                    f"session {session.id!r} ({session.span.isoformat()}) needs "
                    f"{', '.join(shared)}, already busy with "
                    + ", ".join(f"{b.id!r} ({b.span.isoformat()})" for b in blockers),
                    session=session,
                    conflicts=blockers,
                )

    def add(self, session: Session) -> None:
        """Store a new session; raise ``DuplicateSession`` or ``SessionConflict``."""
        journal = self._uow.journal()
        self._check(journal, session, replacing=False)
        journal.insert(session)

    def add_many(self, sessions: Sequence[Session]) -> None:
        """Store new sessions in bulk, all or none; same errors as :meth:`add`."""
        journal = self._uow.journal()
        mark = journal.mark()
        try:
            for session in sessions:
                self._check(journal, session, replacing=False)
                journal.insert(session)
        except BaseException:
            journal.undo_to(mark)
            raise

    def update(self, session: Session, *, expected_version: int) -> Session:
        """Replace the stored session, returning it with ``version + 1``.

        Raises ``SessionNotFound``, ``ConcurrentModification``, ``DuplicateSession``
        or ``SessionConflict`` (checked against every other session).
        """
        journal = self._uow.journal()
        old = self._stored(journal, session.tenant, session.id)
        if old.version != expected_version:
            raise ConcurrentModification(session.id, expected_version, old.version)
        new = attrs.evolve(session, version=old.version + 1)
        self._check(journal, new, replacing=True)
        journal.replace(old, new)
        return new

    def delete(self, tenant: str, session_id: str, *, expected_version: int) -> None:
        """Delete the session; raise ``SessionNotFound`` or ``ConcurrentModification``."""
        journal = self._uow.journal()
        old = self._stored(journal, tenant, session_id)
        if old.version != expected_version:
            raise ConcurrentModification(session_id, expected_version, old.version)
        journal.remove(old)

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        state = self._uow.journal().state
        refs = tuple(resources)
        if not refs:
            return []
        excluded = {(tenant, session_id) for session_id in exclude_ids}
        keys = state.busy.conflicts_with(span, resource_keys(tenant, refs), exclude=excluded)
        return _by_start(state.sessions[tenant][key[1]] for key in keys)

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        state = self._uow.journal().state
        ids = state.by_series.get((tenant, series_id), ())
        rows = state.sessions.get(tenant, {})
        members = (rows[session_id] for session_id in ids)
        if start_from is not None:
            members = (s for s in members if s.span.start >= start_from)
        return _by_start(members)

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count.

        ``updated`` sorts a never-updated session by its creation time; ties
        break by id in the same direction as the sort.
        """
        state = self._uow.journal().state
        return run_query(state.sessions.get(tenant, {}).values(), query)

    def due(self, tenant: str, *, statuses: Iterable[str], start_before: datetime) -> list[Session]:
        """Return sessions in ``statuses`` starting before ``start_before``, by start then id."""
        state = self._uow.journal().state
        wanted = {statuses} if isinstance(statuses, str) else set(statuses)
        return _by_start(
            s
            for s in state.sessions.get(tenant, {}).values()
            if s.status in wanted and s.span.start < start_before
        )


class InMemorySeriesRepository:
    """The :class:`~sessionkit.ports.SeriesRepository` of an :class:`InMemoryUnitOfWork`."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _stored(self, journal: Journal, tenant: str, series_id: str) -> Series:
        found = journal.state.series.get(tenant, {}).get(series_id)
        if found is None:
            raise SeriesNotFound(series_id, tenant)
        return found

    def get(self, tenant: str, series_id: str) -> Series:
        """Return the series; raise ``SeriesNotFound`` (also for another tenant's id)."""
        return self._stored(self._uow.journal(), tenant, series_id)

    def add(self, series: Series) -> None:
        """Store a new series; raise ``DuplicateSeries`` if the id exists for the tenant."""
        journal = self._uow.journal()
        existing = journal.state.series.get(series.tenant, {}).get(series.id)
        if existing is not None:
            raise DuplicateSeries(series.id, series.tenant, existing=existing)
        journal.add_series(series)

    def update(self, series: Series, *, expected_version: int) -> Series:
        """Replace the stored series, returning it with ``version + 1``.

        Raises ``SeriesNotFound`` or ``ConcurrentModification``.
        """
        journal = self._uow.journal()
        old = self._stored(journal, series.tenant, series.id)
        if old.version != expected_version:
            raise ConcurrentModification(series.id, expected_version, old.version)
        new = attrs.evolve(series, version=old.version + 1)
        journal.replace_series(old, new)
        return new

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``), by id then tenant."""
        tables = self._uow.journal().state.series
        if tenant is not None:
            rows: Iterable[Series] = tables.get(tenant, {}).values()
        else:
            rows = (s for table in tables.values() for s in table.values())
        return sorted((s for s in rows if s.is_active), key=lambda s: (s.id, s.tenant))

    def in_group(self, tenant: str, group: str) -> list[Series]:
        """Return the tenant's series whose ``group`` is ``group`` (any status), by id."""
        rows = self._uow.journal().state.series.get(tenant, {}).values()
        return sorted((s for s in rows if s.group == group), key=lambda s: s.id)
