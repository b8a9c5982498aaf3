"""Ports: the protocols storage adapters and hosts implement for sessionkit's services.

Services talk only to these. ``sessionkit.adapters.memory`` and
``sessionkit.adapters.sqlalchemy`` implement the storage ports and are held to
the same behaviour by ``sessionkit.testing.contract``.

Storage is generic: every aggregate (sessions, series, and the kinds later
features add) is a *kind* (:class:`Kind`), a tenant-scoped, versioned record
type with a :class:`Repository` of get / get_many / add / add_many / update /
delete. A kind whose records need more (sessions: conflict checks, queries)
names a wider repository protocol. A unit of work hands out repositories by
kind (:meth:`UnitOfWork.repository`); ``uow.sessions`` and ``uow.series`` are
typed accessors for the built-in kinds, inherited from :class:`UnitOfWorkBase`,
so an outside adapter implements ``repository`` once and adding a kind never
changes what it must implement.

Rules every storage adapter follows (the contract suite checks them):

- Every read and write is scoped to a tenant; another tenant's id behaves
  exactly like a missing one (the kind's ``...NotFound``).
- Writes are atomic per unit of work: ``commit`` makes all of them visible,
  anything else (an exception, ``rollback``) leaves storage as it was.
- ``add``/``add_many`` refuse a record whose id, or whose value of one of the
  kind's unique keys, is taken (the kind's ``Duplicate...``); for sessions
  that includes the same ``(series_id, occurrence_key)`` and the same
  ``(series_id, start)``, and a busy session overlapping another busy
  session on a shared resource (``SessionConflict``, carrying the blockers),
  so no race can double-book.
- ``update``/``delete`` take the version the caller read and raise
  ``ConcurrentModification`` if the stored one differs; ``update`` stores the
  record with ``version + 1``.
- A failed write (duplicate, conflict, stale version, missing id) changes
  nothing and the unit of work stays usable: earlier writes can still be
  committed (a database adapter uses a savepoint per write).
- Ids are scoped by tenant: two tenants may use the same id.
- Ties in a sort are broken by id, in the sort's direction;
  ``sort="updated"`` reads a never-updated session's ``updated_at`` as its
  ``created_at``; a cursor continues strictly after ``(value, id)`` and still
  works when its row was deleted. Title search is case-insensitive and literal.
- ``get_many`` returns each found id once, in the order first asked.
- Events are published after the unit of work closed (its ``with`` block
  left), in the order of the commits that produced them; a rolled-back
  unit publishes nothing. If the publisher raises, the commit still stands
  and the error reaches the caller.

``sessionkit.testing.contract.StorageContract`` checks every rule above, and
``sessionkit.testing.contract.RepositoryContract`` the generic ones for any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

import attrs

from sessionkit.errors import (
    Duplicate,
    DuplicateSeries,
    DuplicateSession,
    NotFound,
    SeriesNotFound,
    SessionNotFound,
)
from sessionkit.model.events import DomainEvent
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.series import Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

__all__ = [
    "SERIES",
    "SESSIONS",
    "Clock",
    "EventPublisher",
    "FactProvider",
    "Kind",
    "LinkChecker",
    "Record",
    "Repository",
    "SeriesRepository",
    "SessionRepository",
    "UniqueKey",
    "UnitOfWork",
    "UnitOfWorkBase",
    "UnitOfWorkFactory",
    "publish_batches",
]

RecordT = TypeVar("RecordT", bound="Record")
RepoT = TypeVar("RepoT")


class Record(Protocol):
    """What every stored aggregate has: an id, the tenant it belongs to, and a version."""

    @property
    def id(self) -> str:
        """The record's id, unique per tenant."""
        ...

    @property
    def tenant(self) -> str:
        """The tenant owning the record."""
        ...

    @property
    def version(self) -> int:
        """The optimistic-concurrency version, 1 for a new record."""
        ...


@attrs.frozen
class UniqueKey:
    """A set of fields no two records of one tenant may share (beside the id).

    ``fields`` are attribute names (properties work too). As in SQL, a record
    with ``None`` in any of them is not held to the key.
    """

    name: str
    fields: tuple[str, ...]
    _get: Callable[[Any], Any] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_get", attrgetter(*self.fields))

    def value(self, record: object) -> tuple[Any, ...] | None:
        """Return the key's value for ``record``, or ``None`` when a field is ``None``."""
        got = self._get(record)
        values = got if len(self.fields) > 1 else (got,)
        return None if any(v is None for v in values) else tuple(values)


def _not_found(kind: str, record_id: object, tenant: object) -> NotFound:
    return NotFound(kind, record_id, tenant)


def _duplicate(kind: str, record: Any, key: UniqueKey | None, existing: object) -> Duplicate:
    if key is None:
        return Duplicate.of(kind, record.id, record.tenant, existing=existing)
    return Duplicate.of(
        kind, record.id, record.tenant, key=key.name, value=key.value(record), existing=existing
    )


@attrs.frozen(eq=False)
class Kind(Generic[RepoT]):
    """One kind of stored aggregate: its name, record class, unique keys and errors.

    ``RepoT`` is the repository protocol the kind's repositories follow
    (:class:`Repository` of the record class, or a wider protocol with the
    kind's own queries); :meth:`UnitOfWork.repository` returns that type.
    ``not_found(kind, id, tenant)`` and ``duplicate(kind, record, key,
    existing)`` build the kind's own errors (``key`` is ``None`` for the id).
    Kinds compare by identity; adapters look them up by :attr:`name`.
    """

    name: str
    record_type: type[Any]
    unique: tuple[UniqueKey, ...] = ()
    not_found: Callable[[str, object, object], NotFound] = _not_found
    duplicate: Callable[[str, Any, UniqueKey | None, object], Duplicate] = _duplicate

    def missing(self, record_id: object, tenant: object) -> NotFound:
        """Return the error for a record of this kind that does not exist."""
        return self.not_found(self.name, record_id, tenant)

    def taken(self, record: object, key: UniqueKey | None, existing: object) -> Duplicate:
        """Return the error for ``record`` whose id (``key=None``) or unique ``key`` is taken."""
        return self.duplicate(self.name, record, key, existing)

    def key(self, name: str) -> UniqueKey:
        """Return the unique key called ``name``."""
        for key in self.unique:
            if key.name == name:
                return key
        raise LookupError(f"kind {self.name!r} has no unique key {name!r}")


class Repository(Protocol[RecordT]):
    """The records of one kind, of all tenants; every method is scoped by ``tenant``."""

    def get(self, tenant: str, record_id: str) -> RecordT:
        """Return the record; raise the kind's ``NotFound`` (also for another tenant's id)."""
        ...

    def get_many(self, tenant: str, record_ids: Iterable[str]) -> list[RecordT]:
        """Return the records that exist among ``record_ids``, in the order asked, each once."""
        ...

    def add(self, record: RecordT) -> None:
        """Store a new record; raise the kind's ``Duplicate`` for a taken id or unique key."""
        ...

    def add_many(self, records: Sequence[RecordT]) -> None:
        """Store new records in bulk, all or none; same errors as :meth:`add`."""
        ...

    def update(self, record: RecordT, *, expected_version: int) -> RecordT:
        """Replace the stored record, returning it with ``version + 1``.

        Raises the kind's ``NotFound``, ``ConcurrentModification`` or the kind's
        ``Duplicate`` (a unique key taken by another record).
        """
        ...

    def delete(self, tenant: str, record_id: str, *, expected_version: int) -> None:
        """Delete the record; raise the kind's ``NotFound`` or ``ConcurrentModification``."""
        ...


@runtime_checkable
class Clock(Protocol):
    """Where services get the current instant (never ``datetime.now()``)."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware."""
        ...


@runtime_checkable
class EventPublisher(Protocol):
    """Receives domain events after the unit of work that produced them committed."""

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Deliver ``events`` in the order they happened; raising does not undo the commit."""
        ...


@runtime_checkable
class LinkChecker(Protocol):
    """The host says which sessions have dependents (payments, attendance, bookings).

    A session with dependents is never deleted or moved by sessionkit. The
    checker is asked inside a command and gets that command's open unit of
    work to read through (``uow.sessions``, ``uow.repository(kind)``): opening
    another unit of work there would wait for the open one (``NestedUnitOfWork``).
    """

    def blocking_links(self, sessions: Sequence[Session], uow: UnitOfWork) -> Mapping[str, str]:
        """Return ``{session_id: reason}`` for those of ``sessions`` that have dependents."""
        ...


@runtime_checkable
class FactProvider(Protocol):
    """The host's facts about sessions that timed conditions read (attendance, counts).

    The coaching preset marks a session MISSED 30 minutes after its start only
    if ``attended`` is false: sessionkit asks this provider, inside the job's
    unit of work (``uow`` to read through), for the facts of the sessions it is
    about to advance. A fact a condition needs and the provider did not give
    raises ``MissingFact``; it is never taken as true or false.
    """

    def facts_for(
        self, sessions: Sequence[Session], uow: UnitOfWork
    ) -> Mapping[str, Mapping[str, object]]:
        """Return ``{session_id: {fact: value}}`` for those of ``sessions`` the host knows about."""
        ...


class SessionRepository(Repository[Session], Protocol):
    """Sessions of all tenants: the generic methods plus conflict checks and queries.

    ``add``, ``add_many`` and ``update`` also raise ``SessionConflict`` for a
    busy session overlapping another busy session on a shared resource, and
    ``DuplicateSession`` for a taken id, ``(series_id, occurrence_key)`` or
    ``(series_id, start)``.
    """

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        ...

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        ...

    def for_occurrences(
        self, tenant: str, series_id: str, keys: Iterable[datetime]
    ) -> dict[datetime, Session]:
        """Return the series' sessions for the given occurrence keys (naive local starts), by key.

        Reads only those sessions, never the series' whole history.
        """
        ...

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count."""
        ...

    def due(self, tenant: str, *, statuses: Iterable[str], start_before: datetime) -> list[Session]:
        """Return sessions in ``statuses`` starting before ``start_before``, by start then id."""
        ...


class SeriesRepository(Repository[Series], Protocol):
    """Series of all tenants: the generic methods plus the active ones for the jobs."""

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``, system jobs), by id."""
        ...

    def in_group(self, tenant: str, group: str) -> list[Series]:
        """Return the tenant's series whose ``group`` is ``group`` (any status), by id."""
        ...


class UnitOfWork(Protocol):
    """One atomic piece of work: ``with uow: ...; uow.commit()``.

    Leaving the block without ``commit`` (or with an exception) rolls back.
    Events handed to :meth:`collect` are published after the unit of work
    closed, in order, if (and only if) a commit covered them.

    An adapter implements :meth:`repository` and the transaction methods, and
    inherits the typed accessors (:attr:`sessions`, :attr:`series`) from
    :class:`UnitOfWorkBase`.
    """

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return this unit's repository for ``kind`` (the same object each time).

        Raises ``UnsupportedKind`` for a kind the adapter cannot store (the
        in-memory store stores any kind; a database adapter, the kinds it
        has tables for).
        """
        ...

    @property
    def sessions(self) -> SessionRepository:
        """The session repository, usable inside the ``with`` block."""
        ...

    @property
    def series(self) -> SeriesRepository:
        """The series repository, usable inside the ``with`` block."""
        ...

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back anything not committed, close, then publish the committed events in order."""
        ...

    def commit(self) -> None:
        """Make every write visible at once; its events are published when the unit closes."""
        ...

    def rollback(self) -> None:
        """Discard every write and collected event since the transaction began."""
        ...

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish after the commit."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per service call."""

    def __call__(self) -> UnitOfWork:
        """Return a new, not yet entered, unit of work."""
        ...


SESSIONS: Kind[SessionRepository] = Kind(
    "session",
    Session,
    unique=(
        UniqueKey("occurrence", ("series_id", "occurrence_key")),
        UniqueKey("series_start", ("series_id", "start")),
    ),
    not_found=lambda _kind, record_id, tenant: SessionNotFound(record_id, tenant),
    duplicate=lambda _kind, record, key, existing: _duplicate_session(record, key, existing),
)
"""Sessions: unique per tenant by id, by (series, occurrence key) and by (series, start)."""

SERIES: Kind[SeriesRepository] = Kind(
    "series",
    Series,
    not_found=lambda _kind, record_id, tenant: SeriesNotFound(record_id, tenant),
    duplicate=lambda _kind, record, _key, existing: DuplicateSeries(
        record.id, record.tenant, existing=existing
    ),
)
"""Series: unique per tenant by id."""


def _duplicate_session(record: Session, key: UniqueKey | None, existing: object) -> Duplicate:
    owner = getattr(existing, "id", None)
    if key is None:
        message = f"session {record.id!r} already exists for tenant {record.tenant!r}"
    elif key.name == "occurrence":
        assert record.occurrence_key is not None
        message = (
            f"series {record.series_id!r} already has session {owner!r} for the "
            f"occurrence {record.occurrence_key.isoformat()}"
        )
    else:
        message = (
            f"series {record.series_id!r} already has session {owner!r} "
            f"starting at {record.start.isoformat()}"
        )
    return DuplicateSession(
        message,
        session_id=record.id,
        existing=existing,
        key="id" if key is None else key.name,
        tenant=record.tenant,
    )


def publish_batches(
    publisher: EventPublisher | None, batches: Sequence[Sequence[DomainEvent]]
) -> None:
    """Publish each committed batch in order; raise the first publisher error after all of them.

    What adapters call when a unit of work closes: a publisher error does not
    undo the commits, nor keep the later batches back.
    """
    if publisher is None:
        return
    failure: BaseException | None = None
    for batch in batches:
        try:
            publisher.publish(batch)
        except BaseException as exc:  # noqa: BLE001  # the other batches still go out
            failure = failure or exc
    if failure is not None:
        raise failure


class UnitOfWorkBase:
    """The typed accessors of :class:`UnitOfWork`, for adapters to inherit.

    Subclasses implement ``repository(kind)``; every built-in kind gets a
    property here, so a new built-in kind costs an outside adapter nothing.
    """

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return the repository for ``kind`` (implemented by the adapter)."""
        raise NotImplementedError

    @property
    def sessions(self) -> SessionRepository:
        """The session repository."""
        return self.repository(SESSIONS)

    @property
    def series(self) -> SeriesRepository:
        """The series repository."""
        return self.repository(SERIES)
